import type { ReservationItem } from '#shared/contracts/product-reservation.ts';
import type { Em } from '#shared/db/orm.ts';
import { RetryableError } from '#shared/db/retryable-errors.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import { decideReservation, mergeItems } from './decide-reservation.ts';
import { insertOrderRecord, insertReservedLines, lockOrderRecord, readOrder } from './order-records.ts';
import { lockStock, readStock, reserveUnits, type StockMove } from './product-stock.ts';
import { accepted, type Refusal, type StockDecision, type WriteReply } from './stock-decision.ts';

export interface ReserveStockCommand {
  orderId: string;
  items: readonly ReservationItem[];
}

export type ReserveStock = (em: Em, command: ReserveStockCommand, reply: WriteReply) => Promise<StockDecision>;

/** A line to reserve, at the catalog price the order was accepted at. */
type PricedMove = StockMove & { price: number };

const savepoint = 'reserve_stock';

/**
 * Reserves all of an order's items or none. The first ReserveStock for an order decides, and the
 * decision (reserved or rejected with its reason) is stored; any later ReserveStock for the order is
 * answered from it, as is one that comes after a release.
 *
 * Product rows are the contended ones, so they are written last. The order is decided on a plain
 * read of its products; an accepted order's record, lines and reply are written first, and only then
 * are the units reserved, product by product in id order, each by an UPDATE that re-checks stock,
 * price and sale against the current row, right before COMMIT. If one finds the units gone (another
 * order took them after the read), the attempt is rolled back to its savepoint and the order is
 * decided again on the current, locked rows: never oversold, all items or none.
 */
export function reserveStock(deps: { clock: Clock }): ReserveStock {
  return async (em, { orderId, items }, reply) => {
    if (await readOrder(em, orderId)) {
      // Already decided. Answered from the current record: a concurrent release may just have changed it.
      const answer = (await lockOrderRecord(em, orderId)).answerToReserve();
      await reply(em, answer);
      return answer;
    }

    const lines = mergeItems(items);
    const productIds = lines.map((line) => line.productId);
    const now = deps.clock.now();
    const stock = await readStock(em, productIds);
    const decision = decideReservation(lines, stock);
    if (decision.ok) {
      const moves = lines.map(({ productId, quantity }) => ({ productId, quantity, price: stock.get(productId)!.price }));
      if (await tryToReserve(em, orderId, moves, now, reply)) return accepted;
    }

    const refusal = decision.ok ? decideReservation(lines, await lockStock(em, productIds)) : decision;
    // The UPDATE found the units gone and this transaction holds that row's lock since, so the
    // current rows must refuse; if they do not, decide the whole command again.
    if (refusal.ok) throw new RetryableError(`order ${orderId}: stock changed while it was being reserved`);
    await recordRejection(em, orderId, refusal, now, reply);
    return refusal;
  };
}

/**
 * Writes an accepted reservation with the product rows last. Returns false, with everything it wrote
 * rolled back, if a product no longer has the units, the price or the sale it was decided on.
 */
async function tryToReserve(
  em: Em,
  orderId: string,
  moves: readonly PricedMove[],
  now: Date,
  reply: WriteReply,
): Promise<boolean> {
  await em.execute(`savepoint ${savepoint}`, [], 'run');
  // A unit of work of its own for the reply, so a rollback to the savepoint takes the reply with it.
  const attempt = em.fork({ keepTransactionContext: true });
  await insertOrderRecord(attempt, { orderId, status: 'RESERVED', now });
  await insertReservedLines(attempt, orderId, moves, now);
  await reply(attempt, accepted);
  // Last: a product row stays locked from its UPDATE to COMMIT. (No RELEASE SAVEPOINT: COMMIT
  // releases it, one round trip fewer while the locks are held.)
  if (await reserveUnits(attempt, moves, now)) return true;
  await em.execute(`rollback to savepoint ${savepoint}`, [], 'run');
  return false;
}

/** The rejection is stored, so a repeated ReserveStock for the order gets the very same answer. */
async function recordRejection(em: Em, orderId: string, refusal: Refusal, now: Date, reply: WriteReply): Promise<void> {
  await insertOrderRecord(em, { orderId, status: 'REJECTED', rejectionCode: refusal.code, rejectionReason: refusal.reason, now });
  await reply(em, refusal);
}
