import type { Em } from '#shared/db/orm.ts';
import type { StockView } from './decide-reservation.ts';

/**
 * The stock columns of product rows, read and moved with plain SQL. These are the hottest rows of the
 * platform (a popular product is in most orders), so every move is one conditional UPDATE that checks
 * its own guard against the current row and says by `affectedRows` whether it happened: no earlier
 * SELECT … FOR UPDATE, no ORM round trip. A product row's lock is held from its UPDATE to COMMIT, so
 * callers issue these last in their transaction, in ascending product id order (every writer locks
 * product rows in that order, so they never wait for each other in a cycle).
 *
 * Stock moves leave `revision` alone (it numbers catalog changes, which are published; stock is not),
 * but do raise `version`: catalog changes are written by the ORM with `where version = ?`, so one that
 * read the row before a stock move fails (and is retried) instead of writing back stale stock.
 */

/** One product's units of one order, in the order the rows are to be locked. */
export interface StockMove {
  productId: string;
  quantity: number;
}

interface StockRow {
  id: string;
  price: number | string;
  active: number | boolean;
  available: number | string;
}

function toViews(rows: StockRow[]): Map<string, StockView> {
  return new Map(
    rows.map((row) => [
      row.id.toLowerCase(),
      { price: Number(row.price), active: Boolean(Number(row.active)), available: Number(row.available) },
    ]),
  );
}

function stockQuery(ids: readonly string[], locking: boolean): string {
  const placeholders = ids.map(() => '?').join(', ');
  return `select id, price, active, on_hand - reserved as available from product
           where id in (${placeholders}) order by id${locking ? ' for update' : ''}`;
}

/**
 * What a reservation decision needs to know about these products, as of the transaction's snapshot
 * (a plain read: no lock, nothing to wait for). The conditional UPDATE of `reserveUnits` re-checks
 * it against the current row.
 */
export async function readStock(em: Em, productIds: readonly string[]): Promise<Map<string, StockView>> {
  if (productIds.length === 0) return new Map();
  return toViews(await em.execute<StockRow[]>(stockQuery(productIds, false), [...productIds]));
}

/** The same, current and locked (ascending id order): to explain why a reservation could not be made. */
export async function lockStock(em: Em, productIds: readonly string[]): Promise<Map<string, StockView>> {
  if (productIds.length === 0) return new Map();
  return toViews(await em.execute<StockRow[]>(stockQuery(productIds, true), [...productIds]));
}

async function updated(em: Em, sql: string, params: unknown[]): Promise<boolean> {
  const result = await em.execute<{ affectedRows: number }>(sql, params, 'run');
  return result.affectedRows === 1;
}

/**
 * Reserves the units of each move if the product is still for sale at the price the order was
 * decided on and still has them available. Stops at the first move that cannot be made and returns
 * false; the caller rolls back the moves made so far.
 */
export async function reserveUnits(em: Em, moves: readonly (StockMove & { price: number })[], now: Date): Promise<boolean> {
  for (const move of moves) {
    const reserved = await updated(
      em,
      `update product set reserved = reserved + ?, version = version + 1, updated_at = ?
        where id = ? and active = 1 and price = ? and on_hand - reserved >= ?`,
      [move.quantity, now, move.productId, move.price, move.quantity],
    );
    if (!reserved) return false;
  }
  return true;
}

/** Reserved units leave the shelf: on hand and reserved both drop. */
export async function shipReservedUnits(em: Em, moves: readonly StockMove[], now: Date): Promise<void> {
  for (const move of moves) {
    const shipped = await updated(
      em,
      `update product set on_hand = on_hand - ?, reserved = reserved - ?, version = version + 1, updated_at = ?
        where id = ? and reserved >= ?`,
      [move.quantity, move.quantity, now, move.productId, move.quantity],
    );
    if (!shipped) throw settlingBug(move);
  }
}

/** Reserved units go back to the available pool. */
export async function returnReservedUnits(em: Em, moves: readonly StockMove[], now: Date): Promise<void> {
  for (const move of moves) {
    const returned = await updated(
      em,
      `update product set reserved = reserved - ?, version = version + 1, updated_at = ?
        where id = ? and reserved >= ?`,
      [move.quantity, now, move.productId, move.quantity],
    );
    if (!returned) throw settlingBug(move);
  }
}

/** An order's reserved units are always reserved on its product: if not, the data is broken. */
function settlingBug(move: StockMove): Error {
  return new Error(`bug: settling ${move.quantity} of product ${move.productId}, which does not exist or has fewer reserved`);
}
