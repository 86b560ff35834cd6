import type { Product } from '../catalog/product.entity.ts';
import type { KnownOrder, StockBook } from './stock-book.ts';
import { decisionOf, type StockDecision, type Transition } from './stock-decision.ts';

/**
 * Carries out a confirm or a release the order's record allowed: its reserved lines follow the record
 * and their units move on the batch's locked products (shipped, or returned to the available pool).
 */
export function settle(
  book: StockBook,
  order: KnownOrder,
  transition: Transition,
  now: Date,
  move: { line: 'confirm' | 'release'; units: (product: Product, quantity: number) => void },
): StockDecision {
  if (transition.ok && transition.changed) {
    order.changed = true;
    for (const line of order.lines) {
      if (line.status !== 'RESERVED') continue;
      const product = book.products.get(line.productId.toLowerCase());
      if (!product) throw new Error(`bug: order ${order.record.orderId} holds product ${line.productId}, which does not exist`);
      move.units(product, line.quantity);
      line[move.line](now);
      order.changedLines.push(line);
    }
  }
  return decisionOf(transition);
}
