import type { Statement } from '#shared/db/sql-pool.ts';
import { placeholders, rowsOf, valuesList, type SqlTransaction } from '#shared/db/sql-transaction.ts';
import { utcDate } from '#shared/db/sql-values.ts';
import type { OrderStockRecord, OrderStockState } from '#shared/http/order-records.ts';
import { Product } from '../catalog/product.entity.ts';
import { OrderStock, type OrderStockStatus } from './order-stock.entity.ts';
import { ProductReservation, type ReservationStatus } from './product-reservation.entity.ts';

/**
 * The repository of stock for the saga's commands: every SQL statement that reads or writes an
 * order's stock record, its reservation lines and the stock columns of products, for a batch.
 *
 * A batch is read once — the orders' records locked in the first round trip, then the products of
 * every item and reserved line locked in ascending id order (every writer locks product rows in that
 * order, so batches never wait for each other in a cycle) — decided in memory on these objects, one
 * command after the other, and written once with the commit: new records and lines as multi-row
 * INSERTs, each product's stock as ONE relative UPDATE with the sum of the batch's moves (the check
 * constraints, 0 ≤ reserved ≤ on hand, are the last line of defence). Locking reads of records that
 * do not exist take no locks (READ COMMITTED), so neighbouring orders never wait for each other.
 */
export interface StockBook {
  orders: Map<string, KnownOrder>;
  /** Locked products by (lower-case) id; a product missing here is not in the catalog. */
  products: Map<string, Product>;
}

export interface KnownOrder {
  record: OrderStock;
  lines: ProductReservation[];
  /** Written by this batch: inserted (new) or updated (changed, with the lines it moved). */
  isNew: boolean;
  changed: boolean;
  changedLines: ProductReservation[];
}

interface OrderRow {
  order_id: string;
  status: OrderStockStatus;
  rejection_code: OrderStock['rejectionCode'];
  rejection_reason: string | null;
  release_reason: string | null;
  created_at: string;
  updated_at: string;
}

interface LineRow {
  order_id: string;
  product_id: string;
  quantity: number;
  unit_price: number | string;
  status: ReservationStatus;
  created_at: string;
  updated_at: string;
}

interface ProductRow {
  id: string;
  name: string;
  price: number | string;
  on_hand: number;
  reserved: number;
  active: number;
  revision: number;
  version: number;
  created_at: string;
  updated_at: string;
}

/** The first round trip: the batch's orders, locked, with all their lines. */
export function loadOrders(orderIds: readonly string[]): Statement[] {
  const ids = [...new Set(orderIds)];
  const marks = placeholders(ids.length);
  return [
    {
      sql: `select order_id, status, rejection_code, rejection_reason, release_reason, created_at, updated_at
              from order_stock where order_id in (${marks}) order by order_id for update`,
      params: ids,
    },
    {
      sql: `select order_id, product_id, quantity, unit_price, status, created_at, updated_at
              from product_reservation where order_id in (${marks}) order by order_id, product_id`,
      params: ids,
    },
  ];
}

export function stockBookOf([orderRows, lineRows]: unknown[]): StockBook {
  const orders = new Map<string, KnownOrder>();
  for (const row of rowsOf<OrderRow>(orderRows)) {
    const record = Object.assign(new OrderStock(), {
      orderId: row.order_id,
      status: row.status,
      rejectionCode: row.rejection_code,
      rejectionReason: row.rejection_reason,
      releaseReason: row.release_reason,
      createdAt: utcDate(row.created_at),
      updatedAt: utcDate(row.updated_at),
    });
    orders.set(row.order_id, { record, lines: [], isNew: false, changed: false, changedLines: [] });
  }
  for (const row of rowsOf<LineRow>(lineRows)) {
    orders.get(row.order_id)?.lines.push(
      Object.assign(new ProductReservation(), {
        orderId: row.order_id,
        productId: row.product_id,
        quantity: Number(row.quantity),
        unitPrice: Number(row.unit_price),
        status: row.status,
        createdAt: utcDate(row.created_at),
        updatedAt: utcDate(row.updated_at),
      }),
    );
  }
  return { orders, products: new Map() };
}

/** The second round trip: every product the batch's items name or its orders hold reserved, locked in id order. */
export async function lockProducts(book: StockBook, itemProductIds: readonly string[], tx: SqlTransaction): Promise<void> {
  const ids = new Set(itemProductIds.map((id) => id.toLowerCase()));
  for (const order of book.orders.values()) {
    for (const line of order.lines) if (line.status === 'RESERVED') ids.add(line.productId.toLowerCase());
  }
  if (ids.size === 0) return;
  const sorted = [...ids].sort();
  const [rows] = await tx.run([
    {
      sql: `select id, name, price, on_hand, reserved, active, revision, version, created_at, updated_at
              from product where id in (${placeholders(sorted.length)}) order by id for update`,
      params: sorted,
    },
  ]);
  for (const row of rowsOf<ProductRow>(rows)) {
    const product = Object.assign(new Product(), {
      id: row.id.toLowerCase(),
      name: row.name,
      price: Number(row.price),
      onHand: Number(row.on_hand),
      reserved: Number(row.reserved),
      active: Boolean(Number(row.active)),
      revision: Number(row.revision),
      version: Number(row.version),
      createdAt: utcDate(row.created_at),
      updatedAt: utcDate(row.updated_at),
    });
    book.products.set(product.id, product);
  }
  lockedStock.set(book, new Map([...book.products].map(([id, product]) => [id, { onHand: product.onHand, reserved: product.reserved }])));
}

/** The stock each product had when it was locked: the batch writes the difference. */
const lockedStock = new WeakMap<StockBook, Map<string, { onHand: number; reserved: number }>>();

/** A new order record (first decision, or a release that came first), with its lines. */
export function recordNewOrder(book: StockBook, record: OrderStock, lines: ProductReservation[]): KnownOrder {
  const order: KnownOrder = { record, lines, isNew: true, changed: true, changedLines: [] };
  book.orders.set(record.orderId, order);
  return order;
}

/** Everything the batch changed, written with the commit. */
export function saveStockBook(book: StockBook, tx: SqlTransaction, now: Date): void {
  tx.beforeCommit(() => {
    const statements: Statement[] = [];
    const orders = [...book.orders.values()];
    const inserted = orders.filter((order) => order.isNew);
    const updated = orders.filter((order) => !order.isNew && order.changed);
    if (inserted.length > 0) {
      statements.push({
        sql: `insert into order_stock (order_id, status, rejection_code, rejection_reason, release_reason, created_at, updated_at)
              values ${valuesList(inserted.length, 7)}`,
        params: inserted.flatMap(({ record }) => [
          record.orderId,
          record.status,
          record.rejectionCode ?? null,
          record.rejectionReason ?? null,
          record.releaseReason ?? null,
          record.createdAt,
          record.updatedAt,
        ]),
      });
      const lines = inserted.flatMap((order) => order.lines);
      if (lines.length > 0) {
        statements.push({
          sql: `insert into product_reservation (order_id, product_id, quantity, unit_price, status, created_at, updated_at)
                values ${valuesList(lines.length, 7)}`,
          params: lines.flatMap((line) => [line.orderId, line.productId, line.quantity, line.unitPrice, line.status, line.createdAt, line.updatedAt]),
        });
      }
    }
    for (const { record, changedLines } of updated) {
      statements.push({
        sql: 'update order_stock set status = ?, release_reason = ?, updated_at = ? where order_id = ?',
        params: [record.status, record.releaseReason ?? null, record.updatedAt, record.orderId],
      });
      for (const line of new Set(changedLines)) {
        statements.push({
          sql: 'update product_reservation set status = ?, updated_at = ? where order_id = ? and product_id = ?',
          params: [line.status, line.updatedAt, line.orderId, line.productId],
        });
      }
    }
    const locked = lockedStock.get(book);
    for (const [id, product] of book.products) {
      const before = locked?.get(id);
      if (!before) continue;
      const onHandMove = product.onHand - before.onHand;
      const reservedMove = product.reserved - before.reserved;
      if (onHandMove === 0 && reservedMove === 0) continue;
      // `version` rises with every move, so a catalog change that read the row before fails its
      // optimistic check (and is retried) instead of writing back stale stock; `revision` (published
      // catalog changes) stays.
      statements.push({
        sql: 'update product set on_hand = on_hand + ?, reserved = reserved + ?, version = version + 1, updated_at = ? where id = ?',
        params: [onHandMove, reservedMove, now, id],
      });
    }
    return { statements };
  });
}

/** A read the book runs outside a transaction (the service's SQL pool). */
export type SqlQuery = (sql: string, params: unknown[]) => Promise<unknown>;

/**
 * What the product service holds for each of these orders, for the order service's reconciler: a
 * plain read (no locks) of the order's stock record and the units its lines still hold. An order
 * this service never heard of, or whose reservation it rejected, holds nothing (`none`).
 */
export async function readOrderStock(query: SqlQuery, orderIds: readonly string[]): Promise<OrderStockRecord[]> {
  const ids = [...new Set(orderIds.map((id) => id.toLowerCase()))];
  if (ids.length === 0) return [];
  const rows = rowsOf<{ order_id: string; status: OrderStockStatus; units_held: number | string | null }>(
    await query(
      `select s.order_id, s.status,
              (select sum(l.quantity) from product_reservation l where l.order_id = s.order_id and l.status = 'RESERVED') as units_held
         from order_stock s where s.order_id in (${placeholders(ids.length)})`,
      ids,
    ),
  );
  const byOrder = new Map(rows.map((row) => [row.order_id.toLowerCase(), row]));
  return ids.map((orderId) => {
    const row = byOrder.get(orderId);
    return { orderId, stock: row ? STOCK_STATE_OF[row.status] : 'none', unitsHeld: Number(row?.units_held ?? 0) };
  });
}

const STOCK_STATE_OF: Record<OrderStockStatus, OrderStockState> = {
  RESERVED: 'reserved',
  CONFIRMED: 'confirmed',
  RELEASED: 'released',
  REJECTED: 'none',
};
