import type { Em } from '#shared/db/orm.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import { decisionOf, refuse, type StockDecision } from './stock-decision.ts';
import { findOrderStockForUpdate, settleLines } from './stock-locks.ts';

export type ConfirmStock = (em: Em, command: { orderId: string }) => Promise<StockDecision>;

/** The reserved units of a paid order leave the shelf (on hand and reserved both drop). Idempotent. */
export function confirmStock(deps: { clock: Clock }): ConfirmStock {
  return async (em, { orderId }) => {
    const order = await findOrderStockForUpdate(em, orderId);
    if (!order) return refuse('NOT_RESERVED', `order ${orderId} has no stock reservation to confirm`);
    const now = deps.clock.now();
    const transition = order.confirm(now);
    if (transition.ok && transition.changed) {
      await settleLines(em, orderId, (product, line) => {
        product.deductReserved(line.quantity, now);
        line.confirm(now);
      });
    }
    return decisionOf(transition);
  };
}
