import type { Em } from '#shared/db/orm.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import { OrderStock } from './order-stock.entity.ts';
import { accepted, decisionOf, type StockDecision } from './stock-decision.ts';
import { findOrderStockForUpdate, flushNewOrderStock, settleLines } from './stock-locks.ts';

export type ReleaseStock = (em: Em, command: { orderId: string; reason?: string }) => Promise<StockDecision>;

/**
 * Gives an order's reserved units back. Releasing an order this service never saw succeeds and leaves
 * a tombstone, so a ReserveStock that arrives later is rejected (ORDER_ALREADY_RELEASED) instead of
 * holding stock for an order the saga gave up. A confirmed order is never released.
 */
export function releaseStock(deps: { clock: Clock }): ReleaseStock {
  return async (em, { orderId, reason }) => {
    const order = await findOrderStockForUpdate(em, orderId);
    const now = deps.clock.now();
    if (!order) {
      em.create(OrderStock, {
        orderId,
        status: 'RELEASED',
        rejectionCode: null,
        rejectionReason: null,
        releaseReason: reason ?? null,
        createdAt: now,
        updatedAt: now,
      });
      await flushNewOrderStock(em, orderId);
      return accepted;
    }
    const transition = order.release(now, reason ?? null);
    if (transition.ok && transition.changed) {
      await settleLines(em, orderId, (product, line) => {
        product.releaseReserved(line.quantity, now);
        line.release(now);
      });
    }
    return decisionOf(transition);
  };
}
