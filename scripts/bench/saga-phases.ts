import { checkInvariants, readLedger, type InvariantResult } from '../load/invariants.ts';
import { runLoadTest, topUpForMix } from '../load/load-test.ts';
import { orderBodyOf, seedCustomers, seedProducts, type OrderShape } from '../load/order-mix.ts';
import type { PlatformApi, PlatformUrls } from '../load/platform-api.ts';
import type { PlacedOrder } from '../load/run-load.ts';
import { summarize, type Summary } from '../load/stats.ts';
import { timelineOf, type OrderTimeline } from '../report/timeline.ts';

/** The anchor's order: one coffee for the seed customer (what the Restate bench sends). */
export const hotMix: OrderShape[] = [
  {
    name: 'one coffee',
    weight: 1,
    expect: 'CONFIRMED',
    customerId: seedCustomers.rich,
    lines: [{ productId: seedProducts.coffee.id, price: seedProducts.coffee.price, quantity: 1 }],
  },
];

export interface PhaseResult {
  sagas: number;
  /** Orders the phase placed in all (warm-up included): what its costs are divided by. */
  placed?: number;
  /** Send (client wall clock, scheduled time in an open loop) → the order's own terminalAt. */
  latency: Summary;
  /** Accepted → terminalAt, both server timestamps. */
  serverLatency: Summary;
  achievedPerSecond: number;
  /** Last terminal − end of sending (open loop); 0 otherwise. */
  drainMs: number;
  notTerminal: number;
  postErrors: number;
  invariants: InvariantResult[];
  passed: boolean;
  /** The counted orders' send, accept and end times: what the HTML report draws over time. */
  timeline: OrderTimeline;
}

/** A phase's figures from its orders (exported for the report's fixtures, made from orders as a run places them). */
export function resultOf(orders: PlacedOrder[], invariants: InvariantResult[], sendingEndedWallMs: number | null): PhaseResult {
  const terminal = orders.filter((o) => o.terminalAt !== null);
  const firstSent = Math.min(...orders.map((o) => o.sentWallMs));
  const lastTerminal = Math.max(...terminal.map((o) => o.terminalAt!));
  return {
    sagas: terminal.length,
    latency: summarize(terminal.map((o) => o.terminalAt! - o.sentWallMs)),
    serverLatency: summarize(terminal.map((o) => o.terminalAt! - o.createdAt!)),
    achievedPerSecond: terminal.length > 0 ? (terminal.length * 1000) / Math.max(1, lastTerminal - firstSent) : 0,
    drainMs: sendingEndedWallMs === null || terminal.length === 0 ? 0 : Math.max(0, lastTerminal - sendingEndedWallMs),
    notTerminal: orders.filter((o) => o.id && o.terminalAt === null).length,
    postErrors: orders.filter((o) => o.error).length,
    invariants,
    passed: invariants.every((i) => i.pass),
    timeline: timelineOf(orders),
  };
}

const idsOf = (mix: readonly OrderShape[]) => ({
  products: [...new Set(mix.flatMap((shape) => shape.lines.map((l) => l.productId)))],
  customers: [...new Set(mix.map((shape) => shape.customerId))],
});

/**
 * (a) Orders one at a time: each is placed once the one before it is terminal, which the driver
 * learns from the order service's outcome endpoint (it answers when the saga ends: no polling).
 * The latency is read from the order's own terminalAt. The first `warmUp` orders warm up the services and are not counted.
 */
export async function oneAtATime(api: PlatformApi, count: number, mix: readonly OrderShape[] = hotMix, warmUp = 20): Promise<PhaseResult> {
  const { products, customers } = idsOf(mix);
  await api.signIn(customers);
  await topUpForMix(api, mix, count + warmUp, 2);
  const before = await readLedger(api, products, customers);
  const orders: PlacedOrder[] = [];
  for (let index = 0; index < count + warmUp; index++) {
    const shape = mix[index % mix.length];
    const sentWallMs = Date.now();
    const sentAt = performance.now();
    const response = await api.placeOrder(orderBodyOf(shape));
    const body = (await response.json()) as { orderTrackingId?: string };
    const order: PlacedOrder = {
      index,
      shape,
      sentAt,
      sentWallMs,
      postMs: performance.now() - sentAt,
      id: body.orderTrackingId ?? null,
      httpStatus: response.status,
      status: null,
      failureMessages: [],
      sagaMs: null,
      createdAt: null,
      terminalAt: null,
      error: response.status === 201 ? null : `POST ${response.status}`,
    };
    orders.push(order);
    if (!order.id) continue;
    // Waits for the order's end on the server (no polling to load the platform measured).
    const view = await api.orderOutcome(order.id, 30_000);
    if (view.terminalAt) {
      order.status = view.orderStatus;
      order.failureMessages = view.failureMessages;
      order.createdAt = Date.parse(view.createdAt);
      order.terminalAt = Date.parse(view.terminalAt);
      order.sagaMs = order.terminalAt - order.createdAt;
    }
  }
  const after = await readLedger(api, products, customers);
  // The warm-up orders (as the anchor's bench has them) count for the invariants, not for the numbers.
  return { ...resultOf(orders.slice(warmUp), await checkInvariants(api, orders, before, after), null), placed: orders.length };
}

/** (b) `count` orders sent at once, followed through the change feed. */
export async function allAtOnce(
  urls: PlatformUrls,
  count: number,
  authHeader: (() => Record<string, string>) | undefined,
  mix: readonly OrderShape[] = hotMix,
): Promise<PhaseResult> {
  const { report, orders } = await runLoadTest({
    urls,
    orders: count,
    concurrency: count,
    mix: [...mix],
    measureFloor: false,
    authHeader,
    deadlineMs: 120_000,
  });
  return resultOf(orders, report.invariants, null);
}

/** (c) One step of an open-loop sweep: `rate` orders per second for `seconds`, whatever the latency. */
export async function openLoopStep(
  urls: PlatformUrls,
  rate: number,
  seconds: number,
  authHeader: (() => Record<string, string>) | undefined,
  mix: readonly OrderShape[],
): Promise<PhaseResult> {
  const started = Date.now();
  const { report, orders } = await runLoadTest({
    urls,
    rate,
    durationS: seconds,
    mix: [...mix],
    measureFloor: false,
    authHeader,
    deadlineMs: 120_000,
  });
  const lastDue = Math.max(...orders.map((o) => o.sentWallMs), started);
  return resultOf(orders, report.invariants, lastDue);
}
