import type { Ids } from '#shared/runtime/ids.ts';
import type { CreditBook } from '../credits/credit-book.ts';
import { recordDecision, type PaymentBook } from './payment-book.ts';
import { failedPayment, Payment } from './payment.entity.ts';

export interface RefundCommand {
  orderId: string;
  customerId: string;
}

export type RefundOutcome =
  /** Money given back: payment REFUNDED, one REFUND ledger row. */
  | { kind: 'refunded'; amount: number }
  /**
   * Nothing moved: the order was never charged (its later charge will fail), its charge failed, or
   * it was refunded already (`amount` is what that earlier refund gave back).
   */
  | { kind: 'nothingToRefund'; amount: number; because: 'NEVER_CHARGED' | 'NOT_CHARGED' | 'ALREADY_REFUNDED' };

/**
 * RefundPayment: gives back a completed charge, once. A refund that overtakes its charge leaves a
 * FAILED payment (ORDER_ALREADY_REFUNDED) behind, so the late charge takes no money.
 */
export function refundPayment(payments: PaymentBook, credits: CreditBook, command: RefundCommand, now: Date, ids: Ids): RefundOutcome {
  const payment = payments.byOrder.get(command.orderId);
  if (!payment) {
    const draft = { id: ids.next(), ...command, amount: 0, now };
    const tombstone = failedPayment(draft, 'ORDER_ALREADY_REFUNDED', 'the order was refunded before it was charged');
    recordDecision(payments, Object.assign(new Payment(), tombstone));
    return { kind: 'nothingToRefund', amount: 0, because: 'NEVER_CHARGED' };
  }
  const decision = payment.refund(now);
  if (decision.kind === 'nothingToRefund') return decision;
  const account = credits.accounts.get(payment.customerId);
  if (!account) throw new Error(`completed payment ${payment.id}: no credit account ${payment.customerId} to refund to`);
  credits.ledger.push(account.refund(payment.orderId, decision.amount, now));
  payments.refunded.push(payment);
  return { kind: 'refunded', amount: decision.amount };
}
