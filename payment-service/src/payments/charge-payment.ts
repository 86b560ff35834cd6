import type { PaymentFailureCode } from '#shared/contracts/payment.ts';
import type { Em } from '#shared/db/orm.ts';
import { RetryableError } from '#shared/db/retryable-errors.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import type { Ids } from '#shared/runtime/ids.ts';
import { currentBalance, debitCredit } from '../credits/balance-moves.ts';
import { answered, type Answer } from './answer.ts';
import { insertDecision, insertFirstDecision } from './insert-decision.ts';
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

/** Everything a charge writes after this savepoint is undone when the debit is refused. */
const beforeDecision = 'charge_decision';

/**
 * ChargePayment: one payment per order, ever. Runs in the caller's unit of work (the message's
 * transaction) and answers through `answer`.
 *
 * Statement order is the point: every charge of a customer needs that customer's credit row, which
 * stays locked from the debit's UPDATE until COMMIT. So the charge first writes what does not need
 * the row — the decision, optimistically COMPLETED, and its reply — and debits last. If the debit
 * is refused (not enough credit, unknown customer), both are rolled back to a savepoint and the
 * decline is written instead; that path keeps the row locked a little longer, the common one doesn't.
 */
export function createChargePayment(deps: { clock: Clock; ids: Ids }) {
  return async function chargePayment(em: Em, command: ChargeCommand, answer: Answer<ChargeOutcome>): Promise<ChargeOutcome> {
    const now = deps.clock.now();
    const draft = { id: deps.ids.next(), ...command, now };

    await em.execute(`savepoint ${beforeDecision}`, [], 'run');
    const payment = await insertFirstDecision(em, completedPayment(draft));
    if (!payment) return answered(em, answer, { kind: 'alreadyDecided', payment: await decisionOf(em, command.orderId) });
    const charged = await answered(em, answer, { kind: 'charged', payment });
    if (await debitCredit(em, { ...command, now })) return charged;

    const refusal = await whyDebitRefused(em, command);
    // The ORM still counts the rolled-back reply as written; nothing changes it again, so it stays gone.
    await em.execute(`rollback to savepoint ${beforeDecision}`, [], 'run');
    const declined = await insertDecision(em, failedPayment(draft, refusal.code, refusal.reason));
    return answered(em, answer, { kind: 'declined', payment: declined });
  };
}

/**
 * The decision that made this order's INSERT fail. It is committed (an INSERT meeting an uncommitted
 * duplicate waits for it), so this read sees it unless this transaction's snapshot is older: then a retry will.
 */
async function decisionOf(em: Em, orderId: string): Promise<Payment> {
  const decided = await em.findOne(Payment, { orderId });
  if (!decided) throw new RetryableError(`payment for order ${orderId} exists but is not visible yet`);
  return decided;
}

async function whyDebitRefused(em: Em, command: ChargeCommand): Promise<{ code: PaymentFailureCode; reason: string }> {
  const balance = await currentBalance(em, command.customerId);
  if (balance === null) return { code: 'UNKNOWN_CUSTOMER', reason: `no credit account for customer ${command.customerId}` };
  return { code: 'INSUFFICIENT_CREDIT', reason: `credit balance ${balance} KRW does not cover ${command.amount} KRW` };
}
