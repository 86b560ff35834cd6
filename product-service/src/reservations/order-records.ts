import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Em } from '#shared/db/orm.ts';
import { RetryableError } from '#shared/db/retryable-errors.ts';
import { OrderStock, type OrderStockStatus } from './order-stock.entity.ts';
import type { StockMove } from './product-stock.ts';

/**
 * An order's stock record and its reservation lines, read and written with plain SQL on the hot path
 * of every stock command. The OrderStock entity still decides every status change (answerToReserve,
 * confirm, release); the instances here are detached (the unit of work never writes them), and each
 * change is written by one UPDATE that only applies to a record still RESERVED, so two commands for
 * the same order (two replicas during a rebalance) cannot both settle it.
 *
 * Reads are plain (no locks) and find records by their full primary key: a locking read of a missing
 * key, or of a key range, takes gap locks, and concurrent commands for neighbouring orders would
 * then wait on (or deadlock over) each other's inserts.
 */

export interface KnownOrder {
  /** Detached: its transition is written by `settleOrder`, never by the unit of work. */
  record: OrderStock;
  /** The lines still RESERVED, by ascending product id (the product lock order). */
  reservedLines: StockMove[];
}

interface OrderRow {
  order_id: string;
  status: OrderStockStatus;
  rejection_code: OrderStock['rejectionCode'];
  rejection_reason: string | null;
  release_reason: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const orderColumns = 'o.order_id, o.status, o.rejection_code, o.rejection_reason, o.release_reason, o.created_at, o.updated_at';

function detached(row: OrderRow): OrderStock {
  return Object.assign(new OrderStock(), {
    orderId: row.order_id,
    status: row.status,
    rejectionCode: row.rejection_code,
    rejectionReason: row.rejection_reason,
    releaseReason: row.release_reason,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  });
}

/** The order's record with its reserved lines in one query (snapshot read), or null if unknown. */
export async function readOrder(em: Em, orderId: string): Promise<KnownOrder | null> {
  const rows = await em.execute<(OrderRow & { product_id: string | null; quantity: number | null })[]>(
    `select ${orderColumns}, r.product_id, r.quantity
       from order_stock o
       left join product_reservation r on r.order_id = o.order_id and r.status = 'RESERVED'
      where o.order_id = ?
      order by r.product_id`,
    [orderId],
  );
  if (rows.length === 0) return null;
  const reservedLines = rows.flatMap((row) =>
    row.product_id === null ? [] : [{ productId: row.product_id, quantity: Number(row.quantity) }],
  );
  return { record: detached(rows[0]), reservedLines };
}

/** The order's record, current and locked (the record is known to exist: no gap lock). */
export async function lockOrderRecord(em: Em, orderId: string): Promise<OrderStock> {
  const [row] = await em.execute<OrderRow[]>(`select ${orderColumns} from order_stock o where o.order_id = ? for update`, [
    orderId,
  ]);
  if (!row) throw new RetryableError(`the stock record of order ${orderId} disappeared`);
  return detached(row);
}

export interface NewOrderRecord {
  orderId: string;
  status: OrderStockStatus;
  rejectionCode?: OrderStock['rejectionCode'];
  rejectionReason?: string | null;
  releaseReason?: string | null;
  now: Date;
}

/**
 * Records the first decision about an order. If another command for the same order recorded one
 * first (two replicas during a rebalance), the message is retried and then answered from that record.
 */
export async function insertOrderRecord(em: Em, record: NewOrderRecord): Promise<void> {
  try {
    await em.execute(
      `insert into order_stock (order_id, status, rejection_code, rejection_reason, release_reason, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?)`,
      [
        record.orderId,
        record.status,
        record.rejectionCode ?? null,
        record.rejectionReason ?? null,
        record.releaseReason ?? null,
        record.now,
        record.now,
      ],
      'run',
    );
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw new RetryableError(`a concurrent command for order ${record.orderId} recorded it first`, { cause: error });
    }
    throw error;
  }
}

/** The order's reservation lines (one per product, at the price the reservation was accepted at). */
export async function insertReservedLines(
  em: Em,
  orderId: string,
  lines: readonly (StockMove & { price: number })[],
  now: Date,
): Promise<void> {
  if (lines.length === 0) return;
  await em.execute(
    `insert into product_reservation (order_id, product_id, quantity, unit_price, status, created_at, updated_at)
     values ${lines.map(() => "(?, ?, ?, ?, 'RESERVED', ?, ?)").join(', ')}`,
    lines.flatMap((line) => [orderId, line.productId, line.quantity, line.price, now, now]),
    'run',
  );
}

/**
 * Writes a RESERVED order's transition (to CONFIRMED or RELEASED, already applied to `order.record`)
 * and moves its lines along. Only a record that is still RESERVED is changed: if a concurrent command
 * settled it after this transaction's snapshot, the message is retried and answered from the new state.
 */
export async function settleOrder(em: Em, order: KnownOrder): Promise<void> {
  const { record, reservedLines } = order;
  const settled = await em.execute<{ affectedRows: number }>(
    `update order_stock set status = ?, release_reason = ?, updated_at = ? where order_id = ? and status = 'RESERVED'`,
    [record.status, record.releaseReason, record.updatedAt, record.orderId],
    'run',
  );
  if (settled.affectedRows !== 1) throw new RetryableError(`order ${record.orderId} was settled concurrently`);
  if (reservedLines.length === 0) return;
  // By full primary key: record locks only (a range over the order id would lock the gap after it).
  await em.execute(
    `update product_reservation set status = ?, updated_at = ?
      where order_id = ? and product_id in (${reservedLines.map(() => '?').join(', ')})`,
    [record.status, record.updatedAt, record.orderId, ...reservedLines.map((line) => line.productId)],
    'run',
  );
}
