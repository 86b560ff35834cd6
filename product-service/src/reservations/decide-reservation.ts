import type { ReservationItem } from '#shared/contracts/product-reservation.ts';
import { accepted, refuse, type StockDecision } from './stock-decision.ts';

/** All of an order's items for one product. */
export interface RequestedLine {
  productId: string;
  quantity: number;
  /** Every unit price the order quoted for this product (once per item). */
  quotedPrices: number[];
}

/** What the decision needs to know about a product. */
export interface StockView {
  price: number;
  active: boolean;
  available: number;
}

/** Items of the same product are summed into one line; lines come sorted by product id (the lock order). */
export function mergeItems(items: readonly ReservationItem[]): RequestedLine[] {
  const byProduct = new Map<string, RequestedLine>();
  for (const item of items) {
    const productId = item.productId.toLowerCase();
    const line = byProduct.get(productId) ?? { productId, quantity: 0, quotedPrices: [] };
    line.quantity += item.quantity;
    line.quotedPrices.push(item.price);
    byProduct.set(productId, line);
  }
  return [...byProduct.values()].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
}

/**
 * All or nothing: the order is refused as a whole if any line fails. Checks run across all lines in
 * this order, so the answer does not depend on item order: the order names a product that is not for
 * sale, then quotes a wrong price, then asks for more than is available.
 */
export function decideReservation(lines: readonly RequestedLine[], products: ReadonlyMap<string, StockView>): StockDecision {
  for (const line of lines) {
    const product = products.get(line.productId);
    if (!product) return refuse('UNKNOWN_PRODUCT', `product ${line.productId} is not in the catalog`);
    if (!product.active) return refuse('UNKNOWN_PRODUCT', `product ${line.productId} is not for sale`);
  }
  for (const line of lines) {
    const { price } = products.get(line.productId)!;
    const quoted = line.quotedPrices.find((quote) => quote !== price);
    if (quoted !== undefined) {
      return refuse('PRICE_MISMATCH', `product ${line.productId} costs ${price} KRW, the order quoted ${quoted} KRW`);
    }
  }
  for (const line of lines) {
    const { available } = products.get(line.productId)!;
    if (line.quantity > available) {
      return refuse('INSUFFICIENT_STOCK', `product ${line.productId}: ${line.quantity} requested, ${Math.max(available, 0)} available`);
    }
  }
  return accepted;
}
