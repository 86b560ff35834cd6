import type { OrderMoneyRecord, OrderMoneyState } from '#shared/http/order-records.ts';
import type { OrderLedgerSums } from '../credits/credit-queries.ts';
import type { Payment, PaymentStatus } from './payment.entity.ts';

/** What a payment's status says the order's money is; no payment (or a failed one) took nothing. */
const MONEY_STATE_OF: Record<PaymentStatus, OrderMoneyState> = {
  COMPLETED: 'charged',
  REFUNDED: 'refunded',
  FAILED: 'none',
};

/**
 * Each asked order's money, in the order asked: its state from its payment (what a refund acts on)
 * and the sums from the ledger (what actually moved). Pure.
 */
export function orderMoneyOf(orderIds: readonly string[], payments: readonly Payment[], ledger: readonly OrderLedgerSums[]): OrderMoneyRecord[] {
  const paymentOf = new Map(payments.map((payment) => [payment.orderId, payment]));
  const sumsOf = new Map(ledger.map((sums) => [sums.orderId, sums]));
  return orderIds.map((orderId) => {
    const payment = paymentOf.get(orderId);
    const { charged, refunded } = sumsOf.get(orderId) ?? { charged: 0, refunded: 0 };
    return { orderId, money: payment ? MONEY_STATE_OF[payment.status] : 'none', charged, refunded, net: charged - refunded };
  });
}
