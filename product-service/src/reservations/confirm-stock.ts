import type { Em } from '#shared/db/orm.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import { readOrder } from './order-records.ts';
import { shipReservedUnits } from './product-stock.ts';
import { settle } from './settle-order.ts';
import { refuse, type StockDecision, type WriteReply } from './stock-decision.ts';

export type ConfirmStock = (em: Em, command: { orderId: string }, reply: WriteReply) => Promise<StockDecision>;

/** The reserved units of a paid order leave the shelf (on hand and reserved both drop). Idempotent. */
export function confirmStock(deps: { clock: Clock }): ConfirmStock {
  return async (em, { orderId }, reply) => {
    const order = await readOrder(em, orderId);
    if (!order) {
      const refusal = refuse('NOT_RESERVED', `order ${orderId} has no stock reservation to confirm`);
      await reply(em, refusal);
      return refusal;
    }
    const now = deps.clock.now();
    return settle(em, order, order.record.confirm(now), shipReservedUnits, reply, now);
  };
}
