import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import type { OrderMoneyRecord, OrderStockRecord } from '#shared/http/order-records.ts';
import { driftOf } from '../../order-service/src/console/reconciler/order-drift.ts';
import type { ServiceName } from './platform.ts';
import { sleep, type DbAddress } from './chaos-infra.ts';

/** A root connection to the chaos MariaDB server, outside every pool of the platform. */
export async function rootConnection(db: DbAddress): Promise<Connection> {
  return createConnection({ ...db, timezone: 'Z' });
}

export async function withRoot<T>(db: DbAddress, work: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await rootConnection(db);
  try {
    return await work(connection);
  } finally {
    await connection.end().catch(() => {});
  }
}

/**
 * Cuts the platform off its databases: KILLs every connection whose current database is one of the
 * platform's (information_schema.processlist), again and again for `durationMs`, so pools that
 * reconnect are cut again. Returns how many connections were killed.
 */
export async function cutDatabaseConnections(db: DbAddress, databases: readonly string[], durationMs: number, everyMs = 100): Promise<number> {
  return withRoot(db, async (connection) => {
    let killed = 0;
    const until = Date.now() + durationMs;
    while (Date.now() < until) {
      const [rows] = await connection.query<RowDataPacket[]>(
        `select id from information_schema.processlist where db in (?) and id <> connection_id()`,
        [databases],
      );
      for (const row of rows) {
        try {
          await connection.query(`kill connection ${Number(row.id)}`);
          killed++;
        } catch {
          // already gone (unknown thread id)
        }
      }
      await sleep(everyMs);
    }
    return killed;
  });
}

/**
 * Waits (up to `timeoutMs`) for a connection to `database` running a locking read (`… for update`)
 * — with the rows it asks for held by someone else, a batch transaction stopped inside — and
 * answers the statement's first words; null if none came.
 */
export async function lockingReadOnHold(connection: Connection, database: string, timeoutMs: number): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [rows] = await connection.query<RowDataPacket[]>(
      `select left(info, 60) as statement from information_schema.processlist
        where db = ? and command = 'Query' and info like '%for update%' limit 1`,
      [database],
    );
    if (rows.length > 0) return String(rows[0].statement).replace(/\s+/g, ' ');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return null;
}

export async function unsentOutboxRows(connection: Connection, databases: readonly string[]): Promise<number> {
  let total = 0;
  for (const db of databases) {
    const [rows] = await connection.query<RowDataPacket[]>(`select count(*) as n from \`${db}\`.outbox_message where sent_at is null`);
    total += Number(rows[0].n);
  }
  return total;
}

export interface ConsistencyProblem {
  orderId: string;
  problem: string;
}

/**
 * Every order of the platform against the other two services' own records, straight from their
 * databases: a CONFIRMED order has its stock confirmed and exactly one charge and no refund; a
 * CANCELLED order holds no stock and its charges (if any) are all refunded. Also: no stock is held
 * by a reservation once everything is terminal, and no order was charged or refunded twice.
 * `driftKinds`: the finished orders classified as the order service's reconciler would
 * (`driftOf`), per kind — the same rules, named as its metric names them.
 */
export async function crossServiceConsistency(
  connection: Connection,
  databases: Record<ServiceName, string>,
): Promise<{
  orders: number;
  problems: ConsistencyProblem[];
  heldReservations: number;
  anomalies: number;
  anomalyKinds: Record<string, number>;
  driftKinds: Record<string, number>;
}> {
  const orderDb = databases['order-service'];
  const productDb = databases['product-service'];
  const paymentDb = databases['payment-service'];
  const [orders] = await connection.query<RowDataPacket[]>(
    `select id, status, price, json_extract(snapshot, '$.context.anomalies') as anomalies from \`${orderDb}\`.customer_order`,
  );
  const [stock] = await connection.query<RowDataPacket[]>(`select order_id, status from \`${productDb}\`.order_stock`);
  const [payments] = await connection.query<RowDataPacket[]>(`select order_id, status from \`${paymentDb}\`.payment`);
  const [ledger] = await connection.query<RowDataPacket[]>(
    `select order_id, sum(kind = 'CHARGE') as charges, sum(kind = 'REFUND') as refunds,
            sum(case when kind = 'CHARGE' then -amount else 0 end) as charged, sum(case when kind = 'REFUND' then amount else 0 end) as refunded
       from \`${paymentDb}\`.credit_history where order_id is not null group by order_id`,
  );
  const [held] = await connection.query<RowDataPacket[]>(`select count(*) as n from \`${productDb}\`.product_reservation where status = 'RESERVED'`);
  const [heldByOrder] = await connection.query<RowDataPacket[]>(
    `select order_id, sum(quantity) as units from \`${productDb}\`.product_reservation where status = 'RESERVED' group by order_id`,
  );
  const unitsHeldOf = new Map(heldByOrder.map((row) => [row.order_id as string, Number(row.units)]));
  const stockOf = new Map(stock.map((row) => [row.order_id as string, row.status as string]));
  const paymentOf = new Map(payments.map((row) => [row.order_id as string, row.status as string]));
  const ledgerOf = new Map(
    ledger.map((row) => [
      row.order_id as string,
      { charges: Number(row.charges), refunds: Number(row.refunds), charged: Number(row.charged), refunded: Number(row.refunded) },
    ]),
  );
  const problems: ConsistencyProblem[] = [];
  let anomalies = 0;
  const anomalyKinds: Record<string, number> = {};
  const driftKinds: Record<string, number> = {};
  for (const order of orders) {
    const id = order.id as string;
    const status = order.status as string;
    const noted = (typeof order.anomalies === 'string' ? JSON.parse(order.anomalies) : order.anomalies) as string[] | null;
    if (noted && noted.length > 0) anomalies++;
    for (const text of noted ?? []) anomalyKinds[text] = (anomalyKinds[text] ?? 0) + 1;
    const stockStatus = stockOf.get(id) ?? 'none';
    const paymentStatus = paymentOf.get(id) ?? 'none';
    const moves = ledgerOf.get(id) ?? { charges: 0, refunds: 0, charged: 0, refunded: 0 };
    if (status === 'CONFIRMED' || status === 'CANCELLED') {
      const stockRecord: OrderStockRecord = { orderId: id, stock: STOCK_STATE_OF[stockStatus] ?? 'none', unitsHeld: unitsHeldOf.get(id) ?? 0 };
      const moneyRecord: OrderMoneyRecord = {
        orderId: id,
        money: MONEY_STATE_OF[paymentStatus] ?? 'none',
        charged: moves.charged,
        refunded: moves.refunded,
        net: moves.charged - moves.refunded,
      };
      for (const drift of driftOf({ orderId: id, status, price: Number(order.price) }, stockRecord, moneyRecord)) {
        driftKinds[drift.kind] = (driftKinds[drift.kind] ?? 0) + 1;
      }
    }
    if (moves.charges > 1) problems.push({ orderId: id, problem: `charged ${moves.charges} times` });
    if (moves.refunds > 1) problems.push({ orderId: id, problem: `refunded ${moves.refunds} times` });
    if (status === 'CONFIRMED') {
      if (stockStatus !== 'CONFIRMED') problems.push({ orderId: id, problem: `CONFIRMED but its stock is ${stockStatus}` });
      if (paymentStatus !== 'COMPLETED') problems.push({ orderId: id, problem: `CONFIRMED but its payment is ${paymentStatus}` });
      if (moves.charges !== 1 || moves.refunds !== 0) {
        problems.push({ orderId: id, problem: `CONFIRMED with ${moves.charges} charge(s) and ${moves.refunds} refund(s)` });
      }
    } else if (status === 'CANCELLED') {
      if (stockStatus === 'RESERVED' || stockStatus === 'CONFIRMED')
        problems.push({ orderId: id, problem: `CANCELLED but its stock is ${stockStatus}` });
      if (paymentStatus === 'COMPLETED') problems.push({ orderId: id, problem: 'CANCELLED but its payment is COMPLETED (charged, not refunded)' });
      if (moves.charged !== moves.refunded) {
        problems.push({ orderId: id, problem: `CANCELLED with ${moves.charged} charged and ${moves.refunded} refunded` });
      }
    } else {
      problems.push({ orderId: id, problem: `not terminal: ${status}` });
    }
  }
  return { orders: orders.length, problems, heldReservations: Number(held[0].n), anomalies, anomalyKinds, driftKinds };
}

/** The product and payment services' statuses as their order-records endpoints name them (order-stock, order-payments). */
const STOCK_STATE_OF: Record<string, OrderStockRecord['stock']> = {
  RESERVED: 'reserved',
  CONFIRMED: 'confirmed',
  RELEASED: 'released',
  REJECTED: 'none',
};
const MONEY_STATE_OF: Record<string, OrderMoneyRecord['money']> = { COMPLETED: 'charged', REFUNDED: 'refunded', FAILED: 'none' };

/** Timeout events recorded for these orders after `since` (the saga_event rows the timers wrote). */
export async function timeoutEventsSince(
  connection: Connection,
  orderDb: string,
  since: Date,
): Promise<{ orderId: string; eventType: string; attempt: number | null; source: string; occurredAt: Date }[]> {
  const [rows] = await connection.query<RowDataPacket[]>(
    `select order_id, event_type, json_extract(event, '$.attempt') as attempt, source, occurred_at
       from \`${orderDb}\`.saga_event where event_type like '%TimedOut' and occurred_at >= ?`,
    [since],
  );
  return rows.map((row) => ({
    orderId: row.order_id as string,
    eventType: row.event_type as string,
    attempt: row.attempt === null ? null : Number(row.attempt),
    source: row.source as string,
    occurredAt: new Date(row.occurred_at),
  }));
}

/** Pending timers of non-terminal orders right now: (order, timer, attempt, deadline). */
export async function pendingTimers(
  connection: Connection,
  orderDb: string,
): Promise<{ orderId: string; status: string; timer: string; attempt: number; deadlineAt: Date }[]> {
  const [rows] = await connection.query<RowDataPacket[]>(
    `select id, status, timers from \`${orderDb}\`.customer_order where status not in ('CONFIRMED', 'CANCELLED')`,
  );
  const result: { orderId: string; status: string; timer: string; attempt: number; deadlineAt: Date }[] = [];
  for (const row of rows) {
    const timers = (typeof row.timers === 'string' ? JSON.parse(row.timers) : row.timers) as Record<string, { attempt: number; deadlineAt: string }>;
    for (const [timer, pending] of Object.entries(timers ?? {})) {
      result.push({
        orderId: row.id as string,
        status: row.status as string,
        timer,
        attempt: pending.attempt,
        deadlineAt: new Date(pending.deadlineAt),
      });
    }
  }
  return result;
}
