import type { PlatformApi } from './platform-api.ts';
import { orderBodyOf, shapeFor, type OrderShape } from './order-mix.ts';

export interface PlacedOrder {
  index: number;
  shape: OrderShape;
  /** Client clock: when the POST was sent (performance.now based, ms). */
  sentAt: number;
  /**
   * Wall clock (ms since the epoch) when the POST was due: its scheduled time in an open loop, its
   * send time otherwise. On the same machine it compares with the server's `terminalAt`, so
   * `terminalAt - sentWallMs` is send → terminal without any polling blur.
   */
  sentWallMs: number;
  postMs: number;
  id: string | null;
  httpStatus: number;
  status: string | null;
  failureMessages: string[];
  /** Server clock: order accepted → saga terminal, ms. */
  sagaMs: number | null;
  createdAt: number | null;
  terminalAt: number | null;
  error: string | null;
}

export interface LoadPlan {
  mix: readonly OrderShape[];
  /** Closed loop: this many orders with at most `concurrency` POSTs in flight. */
  orders?: number;
  concurrency?: number;
  /** Open loop: `rate` orders per second for `durationS` seconds, whatever the latency. */
  rate?: number;
  durationS?: number;
  /** Give up waiting for terminal states after this long once the last order was placed. */
  deadlineMs: number;
  onProgress?: (progress: Progress) => void;
}

export interface Progress {
  sent: number;
  accepted: number;
  terminal: number;
  confirmed: number;
  cancelled: number;
  errors: number;
  elapsedMs: number;
  done: boolean;
}

/**
 * Places orders (closed or open loop), then follows each accepted one to a terminal state by
 * polling its status — gently, since the server's own timestamps give the saga latency.
 */
export async function runLoad(api: PlatformApi, plan: LoadPlan): Promise<{ orders: PlacedOrder[]; wallMs: number }> {
  const started = performance.now();
  const orders: PlacedOrder[] = [];
  const pending = new Set<PlacedOrder>();
  let placing = true;

  const progress = (): Progress => {
    let terminal = 0;
    let confirmed = 0;
    let cancelled = 0;
    let errors = 0;
    for (const order of orders) {
      if (order.error) errors++;
      if (order.terminalAt !== null) terminal++;
      if (order.status === 'CONFIRMED') confirmed++;
      if (order.status === 'CANCELLED') cancelled++;
    }
    const accepted = orders.filter((o) => o.id).length;
    return {
      sent: orders.length,
      accepted,
      terminal,
      confirmed,
      cancelled,
      errors,
      elapsedMs: performance.now() - started,
      done: !placing && pending.size === 0,
    };
  };

  async function place(index: number, dueWallMs = Date.now()): Promise<void> {
    const shape = shapeFor(index, plan.mix);
    const order: PlacedOrder = {
      index,
      shape,
      sentAt: performance.now(),
      sentWallMs: dueWallMs,
      postMs: 0,
      id: null,
      httpStatus: 0,
      status: null,
      failureMessages: [],
      sagaMs: null,
      createdAt: null,
      terminalAt: null,
      error: null,
    };
    orders.push(order);
    try {
      const response = await api.placeOrder(orderBodyOf(shape));
      order.postMs = performance.now() - order.sentAt;
      order.httpStatus = response.status;
      const body = (await response.json()) as { orderTrackingId?: string; orderStatus?: string; detail?: string };
      if (response.status !== 201 || !body.orderTrackingId) {
        order.error = `POST ${response.status}: ${body.detail ?? JSON.stringify(body).slice(0, 200)}`;
        return;
      }
      order.id = body.orderTrackingId;
      order.status = body.orderStatus ?? 'PENDING';
      pending.add(order);
    } catch (error) {
      order.postMs = performance.now() - order.sentAt;
      order.error = `POST failed: ${(error as Error).message}`;
    }
  }

  /**
   * Follows the order service's change feed for terminal orders (a request or two per tick,
   * whatever the number in flight) instead of polling each order, so watching does not load the
   * system it measures. `updatedAt` is stamped before commit, so the cursor trails the clock by a
   * safety window: a row committed late is still seen.
   */
  async function follow(): Promise<void> {
    const byId = new Map<string, PlacedOrder>();
    const safetyWindowMs = 2_000;
    // Gently: the latencies come from the orders' own timestamps, so polling faster would only load the platform measured.
    const pollEveryMs = 500;
    const cursors = new Map(['CONFIRMED', 'CANCELLED'].map((status) => [status, Date.now() - safetyWindowMs]));
    let deadline = Infinity;
    const pageSize = 200; // the API's page limit
    while (placing || pending.size > 0) {
      if (!placing && deadline === Infinity) deadline = performance.now() + plan.deadlineMs;
      if (performance.now() > deadline) break;
      for (const order of pending) if (!byId.has(order.id!)) byId.set(order.id!, order);
      try {
        for (const [status, cursor] of cursors) {
          const since = new Date(cursor).toISOString();
          let newest = cursor;
          for (let page = 0; ; page++) {
            const { items } = await api.ordersChangedSince(since, pageSize, page, status);
            for (const view of items) {
              newest = Math.max(newest, Date.parse(view.updatedAt));
              const order = byId.get(view.orderTrackingId);
              if (!order || order.terminalAt !== null || !view.terminalAt) continue;
              order.status = view.orderStatus;
              order.failureMessages = view.failureMessages;
              order.createdAt = Date.parse(view.createdAt);
              order.terminalAt = Date.parse(view.terminalAt);
              order.sagaMs = order.terminalAt - order.createdAt;
              pending.delete(order);
            }
            if (items.length < pageSize) break;
          }
          cursors.set(status, Math.min(newest, Date.now() - safetyWindowMs));
        }
      } catch {
        // a failed poll is retried on the next tick
      }
      plan.onProgress?.(progress());
      await new Promise((resolve) => setTimeout(resolve, pollEveryMs));
    }
  }

  const following = follow();
  if (plan.rate && plan.durationS) {
    const total = Math.round(plan.rate * plan.durationS);
    const interval = 1000 / plan.rate;
    const startedWall = Date.now() - (performance.now() - started);
    const inFlight: Promise<void>[] = [];
    for (let index = 0; index < total; index++) {
      const due = started + index * interval;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      inFlight.push(place(index, startedWall + index * interval));
    }
    await Promise.all(inFlight);
  } else {
    const total = plan.orders ?? 100;
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(plan.concurrency ?? total, total) }, async () => {
        while (next < total) await place(next++);
      }),
    );
  }
  placing = false;
  await following;
  plan.onProgress?.(progress());
  return { orders, wallMs: performance.now() - started };
}
