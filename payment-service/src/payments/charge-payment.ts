import { LockMode } from '@mikro-orm/core';
import type { Em } from '#shared/db/orm.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import type { Ids } from '#shared/runtime/ids.ts';
import { appendToLedger } from '../credits/credit-history.entity.ts';
import { CustomerCredit } from '../credits/customer-credit.entity.ts';
import { completedPayment, failedPayment, Payment } from './payment.entity.ts';
import { insertDecision } from './insert-decision.ts';

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
 * ChargePayment: one payment per order, ever. Runs in the caller's unit of work (the message's
 * transaction); the customer's credit row is locked while the balance is checked and debited, so
 * concurrent charges against one customer queue instead of overdrawing.
 */
export function createChargePayment(deps: { clock: Clock; ids: Ids }) {
  return async function chargePayment(em: Em, command: ChargeCommand): Promise<ChargeOutcome> {
    const decided = await em.findOne(Payment, { orderId: command.orderId });
    if (decided) return { kind: 'alreadyDecided', payment: decided };

    const now = deps.clock.now();
    const draft = { id: deps.ids.next(), ...command, now };
    const credit = await em.findOne(CustomerCredit, command.customerId, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!credit) {
      const reason = `no credit account for customer ${command.customerId}`;
      const payment = await insertDecision(em, failedPayment(draft, 'UNKNOWN_CUSTOMER', reason));
      return { kind: 'declined', payment };
    }
    const debit = credit.debit(command.amount, command.orderId, now);
    if (!debit.ok) {
      const payment = await insertDecision(em, failedPayment(draft, debit.code, debit.reason));
      return { kind: 'declined', payment };
    }
    appendToLedger(em, debit.entry);
    const payment = await insertDecision(em, completedPayment(draft));
    return { kind: 'charged', payment };
  };
}
