import type { PlacedOrder } from '../load/run-load.ts';
import { summarize } from '../load/stats.ts';

/**
 * What a report draws over time, kept with a run's JSON so a report can be drawn again from it:
 * per order, when it was sent, accepted and ended, in ms after the run's first send (columns, not
 * objects, so a long run stays a small file). Client and server clocks are the same machine's.
 */
export interface OrderTimeline {
  /** Wall clock (ms since the epoch) of the first send: what the offsets count from. */
  startedAtMs: number;
  /** The POST's send time (its scheduled time in an open loop). */
  sentMs: number[];
  /** The order's createdAt; null when the POST was not accepted. */
  acceptedMs: (number | null)[];
  /** The order's terminalAt; null when it did not end before the deadline. */
  terminalMs: (number | null)[];
  /** The last status seen (CONFIRMED, CANCELLED, PENDING…); null when the POST was not accepted. */
  outcome: (string | null)[];
}

const tenth = (value: number) => Math.round(value * 10) / 10;
const zeros = (length: number) => Array.from({ length }, () => 0);

export function timelineOf(orders: readonly PlacedOrder[]): OrderTimeline {
  const startedAtMs = orders.length === 0 ? 0 : Math.min(...orders.map((o) => o.sentWallMs));
  const offset = (wallMs: number | null) => (wallMs === null ? null : tenth(wallMs - startedAtMs));
  return {
    startedAtMs,
    sentMs: orders.map((o) => tenth(o.sentWallMs - startedAtMs)),
    acceptedMs: orders.map((o) => (o.id ? offset(o.createdAt) : null)),
    terminalMs: orders.map((o) => offset(o.terminalAt)),
    outcome: orders.map((o) => (o.id ? o.status : null)),
  };
}

/** One point per ended order: x = send time (s after the first send), y = send → end (ms). */
export interface LatencyPoint {
  x: number;
  y: number;
}

export function latencyPoints(timeline: OrderTimeline, outcome?: string): LatencyPoint[] {
  const points: LatencyPoint[] = [];
  for (let i = 0; i < timeline.sentMs.length; i++) {
    const end = timeline.terminalMs[i];
    if (end === null || (outcome !== undefined && timeline.outcome[i] !== outcome)) continue;
    points.push({ x: timeline.sentMs[i] / 1000, y: tenth(end - timeline.sentMs[i]) });
  }
  return points;
}

/** Send → end latencies of the ended orders, ms. */
export const latenciesOf = (timeline: OrderTimeline) => latencyPoints(timeline).map((p) => p.y);

/** A step of 1, 2 or 5 × 10^k at least `raw` (axis-friendly bucket widths). */
export function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 5, 10]) if (factor * magnitude >= raw) return factor * magnitude;
  return 10 * magnitude;
}

export interface PercentileWindow {
  /** Where the window's orders were sent on average, s after the first send; a window with none is a gap (NaN). */
  x: number;
  p50: number;
  p95: number;
  p99: number;
  count: number;
}

/**
 * p50/p95/p99 of send → end latency in windows of send time: about `windows` of them over the run,
 * fewer when there are few orders (some 15 per window, so that a p99 means something).
 */
export function percentileWindows(timeline: OrderTimeline, windows = 30): PercentileWindow[] {
  const points = latencyPoints(timeline);
  if (points.length === 0) return [];
  const count = Math.max(1, Math.min(windows, Math.round(points.length / 15)));
  const last = Math.max(...points.map((p) => p.x));
  const width = niceStep(Math.max(last / count, 0.1));
  const groups: LatencyPoint[][] = Array.from({ length: Math.floor(last / width) + 1 }, () => []);
  for (const point of points) groups[Math.floor(point.x / width)].push(point);
  return groups.map((group, index) => {
    const summary = summarize(group.map((p) => p.y));
    const x = group.length > 0 ? group.reduce((sum, p) => sum + p.x, 0) / group.length : (index + 0.5) * width;
    return { x: Math.round(x * 1000) / 1000, p50: summary.p50, p95: summary.p95, p99: summary.p99, count: summary.count };
  });
}

/** All sent within a moment (phase (b)): over send time there is nothing to draw, so the report plots by end time. */
export function isBurst(timeline: OrderTimeline): boolean {
  const latencies = latenciesOf(timeline);
  if (latencies.length < 2) return false;
  return Math.max(...timeline.sentMs) - Math.min(...timeline.sentMs) < 0.05 * Math.max(...latencies);
}

export interface Histogram {
  /** Bucket width, ms. */
  width: number;
  /** Bucket i holds [i × width, (i + 1) × width). */
  counts: number[];
}

/** About `buckets` equal buckets from 0 to the largest value, of a 1/2/5 width. */
export function histogramOf(values: readonly number[], buckets = 40): Histogram {
  if (values.length === 0) return { width: 1, counts: [] };
  const max = Math.max(...values);
  const width = niceStep(Math.max(max / buckets, 0.1));
  const counts = zeros(Math.floor(max / width) + 1);
  for (const value of values) counts[Math.floor(value / width)]++;
  return { width, counts };
}

export interface FlowPoint {
  /** End of the interval, s after the first send. */
  x: number;
  /** Orders sent in the interval, per second. */
  sentPerSecond: number;
  /** Orders that ended in the interval, per second. */
  endedPerSecond: number;
  /** Orders accepted and not ended at the interval's end. */
  inFlight: number;
}

/** Sent and ended per second, and orders in flight, in about `intervals` steps from the first send to the last end. */
export function flowOf(timeline: OrderTimeline, intervals = 40): FlowPoint[] {
  const ends = timeline.terminalMs.filter((t): t is number => t !== null);
  const span = Math.max(0, ...timeline.sentMs, ...ends);
  if (timeline.sentMs.length === 0) return [];
  const width = niceStep(Math.max(span / intervals, 100));
  const steps = Math.floor(span / width) + 1;
  const sent = zeros(steps);
  const ended = zeros(steps);
  const delta = zeros(steps + 1);
  for (let i = 0; i < timeline.sentMs.length; i++) {
    sent[Math.floor(timeline.sentMs[i] / width)]++;
    const end = timeline.terminalMs[i];
    if (end !== null) ended[Math.floor(end / width)]++;
    if (timeline.acceptedMs[i] === null) continue;
    // In flight from its send until the interval it ended in (for ever when it never ended).
    delta[Math.floor(timeline.sentMs[i] / width)]++;
    if (end !== null) delta[Math.floor(end / width)]--;
  }
  const points: FlowPoint[] = [];
  let inFlight = 0;
  for (let step = 0; step < steps; step++) {
    inFlight += delta[step];
    points.push({
      x: Math.round((step + 1) * width) / 1000,
      sentPerSecond: tenth((sent[step] * 1000) / width),
      endedPerSecond: tenth((ended[step] * 1000) / width),
      inFlight,
    });
  }
  return points;
}

/** At most `limit` points, every k-th: a scatter of a long run stays light (the percentile lines use every point). */
export function thinned<T>(points: readonly T[], limit = 3000): T[] {
  if (points.length <= limit) return [...points];
  const stride = Math.ceil(points.length / limit);
  return points.filter((_, i) => i % stride === 0);
}

/** Several runs (the steps of a sweep, one after the other) as one timeline from the first one's first send. */
export function mergedTimeline(timelines: readonly OrderTimeline[]): OrderTimeline {
  const present = timelines.filter((t) => t.sentMs.length > 0);
  const startedAtMs = present.length === 0 ? 0 : Math.min(...present.map((t) => t.startedAtMs));
  const merged: OrderTimeline = { startedAtMs, sentMs: [], acceptedMs: [], terminalMs: [], outcome: [] };
  for (const t of present) {
    const shift = t.startedAtMs - startedAtMs;
    const moved = (value: number | null) => (value === null ? null : tenth(value + shift));
    merged.sentMs.push(...t.sentMs.map((v) => tenth(v + shift)));
    merged.acceptedMs.push(...t.acceptedMs.map(moved));
    merged.terminalMs.push(...t.terminalMs.map(moved));
    merged.outcome.push(...t.outcome);
  }
  return merged;
}
