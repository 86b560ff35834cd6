import { summarize, type Summary } from '../load/stats.ts';
import {
  flowOf,
  histogramOf,
  isBurst,
  latenciesOf,
  latencyPoints,
  mergedTimeline,
  percentileWindows,
  thinned,
  type OrderTimeline,
} from './timeline.ts';

/**
 * Chart.js configurations (plain JSON: the page draws them). Every axis carries a title with its
 * unit; dashed marks (the page's `marks` plugin) show percentiles and the floor.
 */
export interface ChartConfig {
  type: 'line' | 'bar' | 'scatter';
  data: { labels?: (string | number)[]; datasets: Dataset[] };
  options: Record<string, unknown>;
}

export type Dataset = { label: string; data: unknown[] } & Record<string, unknown>;

export interface Mark {
  value: number;
  label: string;
  color: string;
  /** 'x' (default): a vertical line at an x value; 'y': a horizontal one. */
  axis?: 'x' | 'y';
}

export const colors = {
  confirmed: 'rgba(31, 119, 180, 0.6)',
  cancelled: 'rgba(214, 39, 40, 0.6)',
  other: 'rgba(127, 127, 127, 0.6)',
  p50: '#2ca02c',
  p95: '#ff7f0e',
  p99: '#9467bd',
  ours: '#1f77b4',
  restate: '#e377c2',
  ideal: '#7f7f7f',
  floor: '#8c564b',
  // for series of their own (sweep steps, processes): without the percentile lines' green and purple
  series: ['#1f77b4', '#ff7f0e', '#17becf', '#d62728', '#8c564b', '#bcbd22', '#e377c2', '#7f7f7f', '#393b79', '#637939'],
};

const axis = (title: string, extra: Record<string, unknown> = {}) => ({ title: { display: true, text: title }, ...extra });

const options = (x: Record<string, unknown>, y: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
  responsive: true,
  maintainAspectRatio: false,
  parsing: true,
  scales: { x, y, ...(more.scales as Record<string, unknown> | undefined) },
  plugins: { legend: { position: 'bottom' }, ...(more.plugins as Record<string, unknown> | undefined) },
  ...Object.fromEntries(Object.entries(more).filter(([key]) => key !== 'scales' && key !== 'plugins')),
});

const percentileMarks = (summary: Summary): Mark[] =>
  (['p50', 'p95', 'p99'] as const)
    .filter((p) => Number.isFinite(summary[p]))
    .map((p) => ({ value: summary[p], label: `${p} ${summary[p].toFixed(1)} ms`, color: colors[p] }));

const line = (label: string, data: unknown[], color: string, extra: Record<string, unknown> = {}): Dataset => ({
  type: 'line',
  label,
  data,
  borderColor: color,
  backgroundColor: color,
  borderWidth: 2,
  pointRadius: 2,
  showLine: true,
  ...extra,
});

/**
 * Every ended order by its send time (CONFIRMED and CANCELLED apart), with p50/p95/p99 over
 * windows of send time; `floor` draws the floor as a horizontal mark. Orders all sent at once
 * (a burst) are drawn by their end time instead, with the run's p50/p95/p99 as horizontal marks.
 */
export function latencyOverTime(timeline: OrderTimeline, floor?: { ms: number; label: string }): ChartConfig {
  const burst = isBurst(timeline);
  const outcomes = [...new Set(timeline.outcome.filter((o): o is string => o !== null))];
  const scatter: Dataset[] = outcomes.map((outcome) => ({
    type: 'scatter',
    label: outcome,
    data: thinned(
      latencyPoints(timeline, outcome).map((p) => (burst ? { x: Math.round(p.x * 1000 + p.y) / 1000, y: p.y } : p)),
      Math.ceil(3000 / Math.max(1, outcomes.length)),
    ),
    backgroundColor: outcome === 'CONFIRMED' ? colors.confirmed : outcome === 'CANCELLED' ? colors.cancelled : colors.other,
    pointRadius: 3,
  }));
  const marks: Mark[] = floor ? [{ value: floor.ms, label: floor.label, color: colors.floor, axis: 'y' }] : [];
  let percentiles: Dataset[] = [];
  if (burst) {
    const summary = summarize(latenciesOf(timeline));
    marks.push(...percentileMarks(summary).map((m) => ({ ...m, axis: 'y' as const })));
  } else {
    const windows = percentileWindows(timeline);
    percentiles = (['p99', 'p95', 'p50'] as const).map((p) =>
      line(
        `${p} per window of send time`,
        windows.map((w) => ({ x: w.x, y: Number.isFinite(w[p]) ? w[p] : null })),
        colors[p],
      ),
    );
  }
  const xTitle = burst
    ? `end time (s after the first send; all ${timeline.sentMs.length} orders sent at once)`
    : 'send time (s after the first order)';
  return {
    type: 'scatter',
    // Lines first: Chart.js draws the first dataset on top.
    data: { datasets: [...percentiles, ...scatter] },
    options: options(axis(xTitle, { type: 'linear', min: 0 }), axis('send → end of saga (ms)', { type: 'linear', min: 0 }), {
      plugins: { marks: { lines: marks } },
    }),
  };
}

/** Latency histogram in 1/2/5-wide buckets, with p50/p95/p99 marked. */
export function latencyHistogram(values: readonly number[], summary: Summary): ChartConfig {
  const { width, counts } = histogramOf(values);
  return {
    type: 'bar',
    data: {
      datasets: [
        {
          label: `orders per ${width} ms bucket`,
          data: counts.map((count, i) => ({ x: (i + 0.5) * width, y: count })),
          backgroundColor: colors.ours,
          barPercentage: 1,
          categoryPercentage: 1,
          grouped: false,
        },
      ],
    },
    options: options(
      axis('send → end of saga (ms)', { type: 'linear', min: 0, offset: false }),
      axis('orders', { beginAtZero: true, ticks: { precision: 0 } }),
      {
        plugins: { marks: { lines: percentileMarks(summary) } },
      },
    ),
  };
}

/** Orders sent and ended per second, and orders in flight (right axis). */
export function throughputAndInFlight(timeline: OrderTimeline): ChartConfig {
  const flow = flowOf(timeline);
  return {
    type: 'line',
    data: {
      datasets: [
        line(
          'sent per second',
          flow.map((f) => ({ x: f.x, y: f.sentPerSecond })),
          colors.series[1],
          { pointRadius: 0, stepped: 'before' },
        ),
        line(
          'ended per second (throughput)',
          flow.map((f) => ({ x: f.x, y: f.endedPerSecond })),
          colors.series[0],
          { pointRadius: 0, stepped: 'before' },
        ),
        line(
          'in flight (accepted, not ended)',
          flow.map((f) => ({ x: f.x, y: f.inFlight })),
          colors.series[3],
          { pointRadius: 0, yAxisID: 'inFlight', borderDash: [4, 3] },
        ),
      ],
    },
    options: options(axis('time (s after the first order)', { type: 'linear', min: 0 }), axis('orders per second', { beginAtZero: true }), {
      scales: {
        inFlight: axis('orders in flight', { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { precision: 0 } }),
      },
    }),
  };
}

export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
  stack?: string;
}

/** Bars side by side (or stacked per `stack`), one group per label. */
export function bars(labels: string[], series: readonly Series[], xTitle: string, yTitle: string, logarithmic = false): ChartConfig {
  const stacked = series.some((s) => s.stack !== undefined);
  return {
    type: 'bar',
    data: {
      labels,
      datasets: series.map((s) => ({ label: s.label, data: s.values, backgroundColor: s.color, ...(s.stack ? { stack: s.stack } : {}) })),
    },
    options: options(axis(xTitle, { stacked }), axis(yTitle, logarithmic ? { type: 'logarithmic' } : { beginAtZero: true, stacked })),
  };
}

/** Lines over a numeric x (offered rate), e.g. achieved rate or latency per sweep step. */
export function linesOver(
  xTitle: string,
  yTitle: string,
  series: readonly { label: string; points: { x: number; y: number | null }[]; color: string; dashed?: boolean }[],
  logarithmic = false,
): ChartConfig {
  return {
    type: 'line',
    data: {
      datasets: series.map((s) => line(s.label, s.points, s.color, { pointRadius: 4, ...(s.dashed ? { borderDash: [6, 4], pointRadius: 0 } : {}) })),
    },
    options: options(
      axis(xTitle, { type: 'linear', beginAtZero: true }),
      axis(yTitle, logarithmic ? { type: 'logarithmic' } : { beginAtZero: true }),
    ),
  };
}

/** The steps of a sweep on one time axis, each step's orders in its own colour, with p99 over windows of the whole sweep. */
export function sweepLatencyOverTime(steps: readonly { label: string; timeline: OrderTimeline }[]): ChartConfig {
  const merged = mergedTimeline(steps.map((s) => s.timeline));
  const datasets: Dataset[] = steps.map((step, i) => {
    const shift = (step.timeline.startedAtMs - merged.startedAtMs) / 1000;
    return {
      type: 'scatter',
      label: step.label,
      data: thinned(latencyPoints(step.timeline), Math.ceil(3000 / Math.max(1, steps.length))).map((p) => ({
        x: Math.round((p.x + shift) * 1000) / 1000,
        y: p.y,
      })),
      backgroundColor: colors.series[i % colors.series.length],
      pointRadius: 2,
    };
  });
  const windows = percentileWindows(merged, 60);
  const windowLine = (p: 'p50' | 'p99') => windows.map((w) => ({ x: w.x, y: Number.isFinite(w[p]) ? w[p] : null }));
  // Lines first: Chart.js draws the first dataset on top.
  datasets.unshift(
    line('p99 per window', windowLine('p99'), colors.p99, { pointRadius: 0 }),
    line('p50 per window', windowLine('p50'), colors.p50, { pointRadius: 0 }),
  );
  return {
    type: 'scatter',
    data: { datasets },
    options: options(
      axis('send time (s after the sweep’s first order)', { type: 'linear', min: 0 }),
      axis('send → end of saga (ms)', { type: 'logarithmic' }),
    ),
  };
}
