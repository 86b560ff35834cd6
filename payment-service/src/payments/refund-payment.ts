import { LockMode } from '@mikro-orm/core';
import type { Em } from '#shared/db/orm.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import type { Ids } from '#shared/runtime/ids.ts';
import { appendToLedger } from '../credits/credit-history.entity.ts';
import { CustomerCredit } from '../credits/customer-credit.entity.ts';
import { failedPayment, Payment } from './payment.entity.ts';
import { insertDecision } from './insert-decision.ts';

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
export function createRefundPayment(deps: { clock: Clock; ids: Ids }) {
  return async function refundPayment(em: Em, command: RefundCommand): Promise<RefundOutcome> {
    const now = deps.clock.now();
    const payment = await em.findOne(Payment, { orderId: command.orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!payment) {
      const draft = { id: deps.ids.next(), ...command, amount: 0, now };
      await insertDecision(em, failedPayment(draft, 'ORDER_ALREADY_REFUNDED', 'the order was refunded before it was charged'));
      return { kind: 'nothingToRefund', amount: 0, because: 'NEVER_CHARGED' };
    }
    const decision = payment.refund(now);
    if (decision.kind === 'nothingToRefund') return decision;
    // Lock order: payment, then credit. A charge locks only the credit row and inserts a new payment.
    const credit = await em.findOne(CustomerCredit, payment.customerId, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!credit) throw new Error(`completed payment ${payment.id} has no credit account ${payment.customerId}`);
    appendToLedger(em, credit.credit('REFUND', decision.amount, payment.orderId, null, now));
    return { kind: 'refunded', amount: decision.amount };
  };
}
