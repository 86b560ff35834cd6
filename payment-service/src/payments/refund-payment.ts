import { LockMode } from '@mikro-orm/core';
import type { Em } from '#shared/db/orm.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import type { Ids } from '#shared/runtime/ids.ts';
import { refundCredit } from '../credits/balance-moves.ts';
import { answered, type Answer } from './answer.ts';
import { insertDecision } from './insert-decision.ts';
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
 *
 * The order's payment row is locked first (the guard against refunding twice); the customer's
 * credit row, which every charge of the customer needs too, is touched last, after the payment's
 * change and the reply are written, so it stays locked only for the credit and its ledger row.
 */
export function createRefundPayment(deps: { clock: Clock; ids: Ids }) {
  return async function refundPayment(em: Em, command: RefundCommand, answer: Answer<RefundOutcome>): Promise<RefundOutcome> {
    const now = deps.clock.now();
    const payment = await em.findOne(Payment, { orderId: command.orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!payment) {
      const draft = { id: deps.ids.next(), ...command, amount: 0, now };
      await insertDecision(em, failedPayment(draft, 'ORDER_ALREADY_REFUNDED', 'the order was refunded before it was charged'));
      return answered(em, answer, { kind: 'nothingToRefund', amount: 0, because: 'NEVER_CHARGED' });
    }
    const decision = payment.refund(now);
    if (decision.kind === 'nothingToRefund') return answered(em, answer, decision);

    const refunded = await answered(em, answer, { kind: 'refunded', amount: decision.amount });
    const move = { customerId: payment.customerId, orderId: payment.orderId, amount: decision.amount, now };
    if (!(await refundCredit(em, move))) {
      throw new Error(`completed payment ${payment.id}: no credit account ${payment.customerId}, or its refund passes the balance limit`);
    }
    return refunded;
  };
}
