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

async function ordersCreatedSince(infra: ChaosInfra, platform: ChaosPlatform, since: number): Promise<OrderRow[]> {
  return withRoot(infra.db, async (connection) => {
    const [rows] = await connection.query<RowDataPacket[]>(
      `select id, status, customer_id, items, failure_messages, created_at, terminal_at
         from \`${platform.databases['order-service']}\`.customer_order where created_at >= ?`,
      [new Date(since - 1_000)],
    );
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
 * Waits (up to `settleMs`) for the orders accepted since `loadStart` to end and the platform to settle, then brings the
 * load test's orders up to date from the database and adds those whose POST answer was lost.
 */
export async function acceptedOrders(ctx: ChaosContext, faultName: string, loadStart: number, settleMs: number, orders: PlacedOrder[]) {
  // Every order the service accepted in this window, whether or not its POST was answered.
  const waitUntil = Date.now() + settleMs;
  let rows = await ordersCreatedSince(ctx.infra, ctx.platform, loadStart);
  while (rows.some((r) => r.terminalAt === null) && Date.now() < waitUntil) {
    await sleep(1_000);
    rows = await ordersCreatedSince(ctx.infra, ctx.platform, loadStart);
  }
  const settledIn = await settle(ctx, Math.max(10_000, waitUntil - Date.now()));
  if (settledIn) ctx.log(`${faultName}: platform did not settle: ${settledIn}`);
  rows = await ordersCreatedSince(ctx.infra, ctx.platform, loadStart);
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
