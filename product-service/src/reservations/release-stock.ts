import type { Em } from '#shared/db/orm.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import { insertOrderRecord, readOrder } from './order-records.ts';
import { returnReservedUnits } from './product-stock.ts';
import { settle } from './settle-order.ts';
import { accepted, type StockDecision, type WriteReply } from './stock-decision.ts';

export type ReleaseStock = (em: Em, command: { orderId: string; reason?: string }, reply: WriteReply) => Promise<StockDecision>;

/**
 * Gives an order's reserved units back. Releasing an order this service never saw succeeds and leaves
 * a tombstone, so a ReserveStock that arrives later is rejected (ORDER_ALREADY_RELEASED) instead of
 * holding stock for an order the saga gave up. A confirmed order is never released.
 */
export function releaseStock(deps: { clock: Clock }): ReleaseStock {
  return async (em, { orderId, reason }, reply) => {
    const order = await readOrder(em, orderId);
    const now = deps.clock.now();
    if (!order) {
      await insertOrderRecord(em, { orderId, status: 'RELEASED', releaseReason: reason ?? null, now });
      await reply(em, accepted);
      return accepted;
    }
    return settle(em, order, order.record.release(now, reason ?? null), returnReservedUnits, reply, now);
  };
}
