import type { ReservationItem } from '#shared/contracts/product-reservation.ts';
import type { Em } from '#shared/db/orm.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import { flushEachMove, lockProducts } from '../catalog/lock-products.ts';
import { decideReservation, mergeItems } from './decide-reservation.ts';
import { OrderStock } from './order-stock.entity.ts';
import { ProductReservation } from './product-reservation.entity.ts';
import type { StockDecision } from './stock-decision.ts';
import { findOrderStockForUpdate, flushNewOrderStock } from './stock-locks.ts';

export interface ReserveStockCommand {
  orderId: string;
  items: readonly ReservationItem[];
}

export type ReserveStock = (em: Em, command: ReserveStockCommand) => Promise<StockDecision>;

/**
 * Reserves all of an order's items or none. The first ReserveStock for an order decides, and the
 * decision (reserved or rejected with its reason) is stored; any later ReserveStock for the order is
 * answered from it, as is one that comes after a release.
 */
export function reserveStock(deps: { clock: Clock }): ReserveStock {
  return async (em, { orderId, items }) => {
    const known = await findOrderStockForUpdate(em, orderId);
    if (known) return known.answerToReserve();

    const lines = mergeItems(items);
    const products = await lockProducts(em, lines.map((line) => line.productId));
    const decision = decideReservation(lines, products);
    const now = deps.clock.now();
    em.create(OrderStock, {
      orderId,
      status: decision.ok ? 'RESERVED' : 'REJECTED',
      rejectionCode: decision.ok ? null : decision.code,
      rejectionReason: decision.ok ? null : decision.reason,
      releaseReason: null,
      createdAt: now,
      updatedAt: now,
    });
    await flushNewOrderStock(em, orderId);
    if (decision.ok) {
      await flushEachMove(em, lines, (line) => {
        const product = products.get(line.productId)!;
        product.reserve(line.quantity, now);
        em.create(ProductReservation, {
          orderId,
          productId: product.id,
          quantity: line.quantity,
          unitPrice: product.price,
          status: 'RESERVED',
          createdAt: now,
          updatedAt: now,
        });
      });
    }
    return decision;
  };
}
