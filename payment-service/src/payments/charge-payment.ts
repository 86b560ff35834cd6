import type { Ids } from '#shared/runtime/ids.ts';
import type { CreditBook } from '../credits/credit-book.ts';
import { recordDecision, type PaymentBook } from './payment-book.ts';
import { completedPayment, failedPayment, Payment } from './payment.entity.ts';

export interface ChargeCommand {
  orderId: string;
  customerId: string;
  amount: number;
}

export type ChargeOutcome =
  /** Money taken: payment COMPLETED, one CHARGE ledger row. */
  | { kind: 'charged'; payment: Payment }
  /** Nothing taken: payment FAILED with the code and reason (insufficient credit, unknown customer). */
  | { kind: 'declined'; payment: Payment }
  /** The order was already decided (charged, declined, refunded, or refunded before it was charged): nothing moves. */
  | { kind: 'alreadyDecided'; payment: Payment };

/**
 * ChargePayment: one payment per order, ever. Decided on the batch's locked payments and credit
 * accounts, in memory: the charges before it in the batch have already moved the balance.
 */
export function chargePayment(payments: PaymentBook, credits: CreditBook, command: ChargeCommand, now: Date, ids: Ids): ChargeOutcome {
  const decided = payments.byOrder.get(command.orderId);
  if (decided) return { kind: 'alreadyDecided', payment: decided };
  const draft = { id: ids.next(), ...command, now };
  const account = credits.accounts.get(command.customerId);
  if (!account) {
    const declined = failedPayment(draft, 'UNKNOWN_CUSTOMER', `no credit account for customer ${command.customerId}`);
    return { kind: 'declined', payment: recordDecision(payments, Object.assign(new Payment(), declined)) };
  }
  const balance = account.balance;
  const entry = account.charge(command.orderId, command.amount, now);
  if (!entry) {
    const declined = failedPayment(draft, 'INSUFFICIENT_CREDIT', `credit balance ${balance} KRW does not cover ${command.amount} KRW`);
    return { kind: 'declined', payment: recordDecision(payments, Object.assign(new Payment(), declined)) };
  }
  credits.ledger.push(entry);
  return { kind: 'charged', payment: recordDecision(payments, Object.assign(new Payment(), completedPayment(draft))) };
}
