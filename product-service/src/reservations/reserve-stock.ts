import type { ReservationItem } from '#shared/contracts/product-reservation.ts';
import type { StockView } from './decide-reservation.ts';
import { decideReservation, mergeItems } from './decide-reservation.ts';
import { OrderStock } from './order-stock.entity.ts';
import { ProductReservation } from './product-reservation.entity.ts';
import { recordNewOrder, type StockBook } from './stock-book.ts';
import { accepted, type StockDecision } from './stock-decision.ts';

export interface ReserveStockCommand {
  orderId: string;
  items: readonly ReservationItem[];
}

/**
 * Reserves all of an order's items or none, on the batch's locked products (in memory: the orders
 * before it in the batch have already taken their units). The first ReserveStock for an order
 * decides, and the decision (reserved, or rejected with its reason) is stored; any later one — a
 * repeat, or one that comes after a release — is answered from it.
 */
export function reserveStock(book: StockBook, { orderId, items }: ReserveStockCommand, now: Date): StockDecision {
  const known = book.orders.get(orderId);
  if (known) return known.record.answerToReserve();

  const lines = mergeItems(items);
  const views = new Map<string, StockView>();
  for (const line of lines) {
    const product = book.products.get(line.productId);
    if (product) views.set(line.productId, { price: product.price, active: product.active, available: product.available });
  }
  const decision = decideReservation(lines, views);
  const record = Object.assign(new OrderStock(), {
    orderId,
    status: decision.ok ? 'RESERVED' : 'REJECTED',
    rejectionCode: decision.ok ? null : decision.code,
    rejectionReason: decision.ok ? null : decision.reason,
    releaseReason: null,
    createdAt: now,
    updatedAt: now,
  } as const);
  if (!decision.ok) {
    recordNewOrder(book, record, []);
    return decision;
  }
  const reservations = lines.map((line) => {
    const product = book.products.get(line.productId)!;
    product.reserve(line.quantity);
    return Object.assign(new ProductReservation(), {
      orderId,
      productId: line.productId,
      quantity: line.quantity,
      unitPrice: product.price,
      status: 'RESERVED',
      createdAt: now,
      updatedAt: now,
    } as const);
  });
  recordNewOrder(book, record, reservations);
  return accepted;
}
