// What a finished order's saga says against what the product and payment services hold for it.
// Pure: the reconciler feeds it what it read; the chaos checks can classify with it too.
import type { OrderMoneyRecord, OrderStockRecord } from '#shared/http/order-records.ts';

/** The finished order as the saga has it. */
export interface FinishedOrder {
  orderId: string;
  status: 'CONFIRMED' | 'CANCELLED';
  /** KRW the order costs (what a CONFIRMED order's charge must be). */
  price: number;
}

export const DRIFT_KINDS = [
  /** CANCELLED, but the product service still reserves stock for it (repaired: released again). */
  'stock-held-on-cancelled',
  /** CANCELLED, but its stock was confirmed: it left the shelf (reported: a release cannot undo that). */
  'stock-confirmed-on-cancelled',
  /** CANCELLED, but the payment service holds it charged or its ledger kept money (repaired: refunded again, when its payment can be refunded). */
  'money-taken-on-cancelled',
  /** The ledger gave back more than it took for the order (reported). */
  'refunded-more-than-charged',
  /** CONFIRMED, but its stock is not confirmed (reported). */
  'confirmed-without-stock',
  /** CONFIRMED, but nothing is charged for it, or it was refunded (reported). */
  'confirmed-without-payment',
  /** CONFIRMED and charged, but not its price (reported). */
  'confirmed-charge-mismatch',
] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

/** What the saga can do about a drift: release or refund again (CANCELLED only), or nothing (a person decides). */
export type DriftRepair = 'release' | 'refund' | null;

export interface Drift {
  orderId: string;
  status: FinishedOrder['status'];
  kind: DriftKind;
  detail: string;
  repair: DriftRepair;
}

/**
 * The rules: a CONFIRMED order has its stock confirmed and is charged its price, net; a CANCELLED
 * one holds nothing (no stock reserved or confirmed) and nets 0 in the ledger. Every rule broken
 * is one drift, in this order: stock first, then money.
 */
export function driftOf(order: FinishedOrder, stock: OrderStockRecord, money: OrderMoneyRecord): Drift[] {
  const found: Drift[] = [];
  const drift = (kind: DriftKind, detail: string, repair: DriftRepair = null) =>
    found.push({ orderId: order.orderId, status: order.status, kind, detail, repair });
  const ledger = `the ledger charged ${money.charged} and refunded ${money.refunded} KRW`;

  if (order.status === 'CANCELLED') {
    if (stock.stock === 'confirmed') drift('stock-confirmed-on-cancelled', 'the product service confirmed its stock: it left the shelf');
    else if (stock.stock === 'reserved' || stock.unitsHeld > 0)
      drift('stock-held-on-cancelled', `the product service still holds ${stock.unitsHeld} unit(s) for it (${stock.stock})`, 'release');
    if (money.net > 0 || money.money === 'charged') {
      // A refund acts only on a payment the payment service holds as charged.
      const refundable = money.money === 'charged';
      drift('money-taken-on-cancelled', `its payment is ${money.money}; ${ledger}`, refundable ? 'refund' : null);
    }
  } else {
    if (stock.stock !== 'confirmed') drift('confirmed-without-stock', `the product service has its stock as ${stock.stock}`);
    if (money.money !== 'charged' || money.net <= 0) drift('confirmed-without-payment', `its payment is ${money.money}; ${ledger}`);
    else if (money.net !== order.price) drift('confirmed-charge-mismatch', `it costs ${order.price} KRW; ${ledger}`);
  }
  if (money.net < 0) drift('refunded-more-than-charged', ledger);
  return found;
}

/** What the saga is told about a CANCELLED order's repairable drift (DriftFound), or null if there is nothing to repair. */
export function driftFoundOf(drifts: readonly Drift[]): { type: 'DriftFound'; stockHeld: boolean; moneyTaken: boolean } | null {
  const stockHeld = drifts.some((drift) => drift.status === 'CANCELLED' && drift.repair === 'release');
  const moneyTaken = drifts.some((drift) => drift.status === 'CANCELLED' && drift.repair === 'refund');
  return stockHeld || moneyTaken ? { type: 'DriftFound', stockHeld, moneyTaken } : null;
}
