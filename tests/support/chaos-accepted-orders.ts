// Every order the order service accepted during a chaos load, its POST answered or not, read from its database.
import type { RowDataPacket } from 'mysql2/promise';
import type { PlacedOrder } from '../../scripts/load/run-load.ts';
import { withRoot } from './chaos-db.ts';
import { sleep, type ChaosInfra } from './chaos-infra.ts';
import type { ChaosPlatform } from './chaos-platform.ts';
import type { ChaosContext } from './chaos-scenario.ts';
import { settle } from './chaos-settle.ts';

interface OrderRow {
  id: string;
  status: string;
  customerId: string;
  items: { productId: string; quantity: number; price: number }[];
  failureMessages: string[];
  createdAt: number;
  terminalAt: number | null;
}

/**
 * The ids of every order in the order service's database. Taken right before a load (the platform
 * settled, nothing else placing orders on it), it tells the load's orders apart from every earlier
 * one without any clock: see `runOrders`.
 */
export async function existingOrderIds(infra: ChaosInfra, platform: ChaosPlatform): Promise<Set<string>> {
  return withRoot(infra.db, async (connection) => {
    const [rows] = await connection.query<RowDataPacket[]>(`select id from \`${platform.databases['order-service']}\`.customer_order`);
    return new Set(rows.map((row) => row.id as string));
  });
}

/**
 * The rows of the run's orders, found by id, not by time: the ids the service answered with (the
 * load's `orders`), and every id that is in the database now but was not in `before` (the ids taken
 * right before the load) — the orders it accepted but whose answer was lost among them. A window on
 * `created_at` cannot do this: `created_at` is the order service's clock, so under a clock-skew fault
 * it is minutes off ours (5 min behind: the run's orders fall before the window and would count as
 * lost; 5 min ahead: they fall into the next runs' windows), and widening the window by the skew
 * takes in the orders of the previous faults, run minutes earlier. Nor can the row say which run it
 * came from: the load sends no Idempotency-Key, and its customers, items and address are the same
 * in every run.
 */
async function runOrders(infra: ChaosInfra, platform: ChaosPlatform, before: ReadonlySet<string>, answered: readonly string[]): Promise<OrderRow[]> {
  const table = `\`${platform.databases['order-service']}\`.customer_order`;
  return withRoot(infra.db, async (connection) => {
    // The primary key alone: an index scan of a few thousand ids, cheap enough to repeat every second.
    const [all] = await connection.query<RowDataPacket[]>(`select id from ${table}`);
    const ids = new Set(answered);
    for (const row of all) if (!before.has(row.id as string)) ids.add(row.id as string);
    const rows: RowDataPacket[] = [];
    const list = [...ids];
    for (let i = 0; i < list.length; i += 1_000) {
      const chunk = list.slice(i, i + 1_000);
      const [found] = await connection.query<RowDataPacket[]>(
        `select id, status, customer_id, items, failure_messages, created_at, terminal_at from ${table} where id in (?)`,
        [chunk],
      );
      rows.push(...found);
    }
    const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value);
    return rows.map((row) => ({
      id: row.id as string,
      status: row.status as string,
      customerId: row.customer_id as string,
      items: json(row.items),
      failureMessages: json(row.failure_messages) ?? [],
      createdAt: new Date(row.created_at).getTime(),
      terminalAt: row.terminal_at ? new Date(row.terminal_at).getTime() : null,
    }));
  });
}

/**
 * Waits (up to `settleMs`) for the run's orders (those not among `before`, the order ids taken right
 * before the load) to end and the platform to settle, then brings the load test's orders up to date
 * from the database and adds those whose POST answer was lost.
 */
export async function acceptedOrders(ctx: ChaosContext, faultName: string, before: ReadonlySet<string>, settleMs: number, orders: PlacedOrder[]) {
  // Every order the service accepted during the load, whether or not its POST was answered.
  const answered = orders.filter((o) => o.id).map((o) => o.id!);
  const read = () => runOrders(ctx.infra, ctx.platform, before, answered);
  const waitUntil = Date.now() + settleMs;
  let rows = await read();
  while (rows.some((r) => r.terminalAt === null) && Date.now() < waitUntil) {
    await sleep(1_000);
    rows = await read();
  }
  const settledIn = await settle(ctx, Math.max(10_000, waitUntil - Date.now()));
  if (settledIn) ctx.log(`${faultName}: platform did not settle: ${settledIn}`);
  rows = await read();
  const byId = new Map(rows.map((row) => [row.id, row]));
  const tracked = new Set(orders.filter((o) => o.id).map((o) => o.id!));
  for (const order of orders) {
    const row = order.id ? byId.get(order.id) : undefined;
    if (!row) continue;
    order.status = row.status;
    order.failureMessages = row.failureMessages;
    order.createdAt = row.createdAt;
    order.terminalAt = row.terminalAt;
    order.sagaMs = row.terminalAt === null ? null : row.terminalAt - row.createdAt;
  }
  const unanswered: PlacedOrder[] = rows
    .filter((row) => !tracked.has(row.id))
    .map((row, index) => ({
      index: -1 - index,
      shape: {
        name: 'accepted, answer lost',
        weight: 0,
        expect: row.status === 'CONFIRMED' ? 'CONFIRMED' : 'CANCELLED',
        customerId: row.customerId,
        lines: row.items.map((item) => ({ productId: item.productId, price: item.price, quantity: item.quantity })),
      },
      sentAt: 0,
      sentWallMs: row.createdAt,
      postMs: 0,
      id: row.id,
      httpStatus: 0,
      status: row.status,
      failureMessages: row.failureMessages,
      sagaMs: row.terminalAt === null ? null : row.terminalAt - row.createdAt,
      createdAt: row.createdAt,
      terminalAt: row.terminalAt,
      error: null,
    }));
  const accepted = [...orders.filter((o) => o.id), ...unanswered];
  const missing = orders.filter((o) => o.id && !byId.has(o.id));
  const lostOrders = [...accepted.filter((o) => o.terminalAt === null), ...missing];
  return { accepted, unanswered, lostOrders, settledIn };
}
