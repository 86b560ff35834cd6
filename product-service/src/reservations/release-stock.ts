import { OrderStock } from './order-stock.entity.ts';
import { settle } from './settle-order.ts';
import { recordNewOrder, type StockBook } from './stock-book.ts';
import { accepted, type StockDecision } from './stock-decision.ts';

/**
 * Gives an order's reserved units back. Releasing an order this service never saw succeeds and leaves
 * a tombstone, so a ReserveStock that arrives later is rejected (ORDER_ALREADY_RELEASED) instead of
 * holding stock for an order the saga gave up. A confirmed order is never released.
 */
export function releaseStock(book: StockBook, { orderId, reason }: { orderId: string; reason?: string }, now: Date): StockDecision {
  const order = book.orders.get(orderId);
  if (!order) {
    const tombstone = Object.assign(new OrderStock(), {
      orderId,
      status: 'RELEASED',
      rejectionCode: null,
      rejectionReason: null,
      releaseReason: reason ?? null,
      createdAt: now,
      updatedAt: now,
    } as const);
    recordNewOrder(book, tombstone, []);
    return accepted;
  }
  return settle(book, order, order.record.release(now, reason ?? null), now, {
    line: 'release',
    units: (product, quantity) => product.returnReserved(quantity),
  });
}
