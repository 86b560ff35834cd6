import { settle } from './settle-order.ts';
import type { StockBook } from './stock-book.ts';
import { refuse, type StockDecision } from './stock-decision.ts';

/** The reserved units of a paid order leave the shelf (on hand and reserved both drop). Idempotent. */
export function confirmStock(book: StockBook, { orderId }: { orderId: string }, now: Date): StockDecision {
  const order = book.orders.get(orderId);
  if (!order) return refuse('NOT_RESERVED', `order ${orderId} has no stock reservation to confirm`);
  return settle(book, order, order.record.confirm(now), now, { line: 'confirm', units: (product, quantity) => product.shipReserved(quantity) });
}
