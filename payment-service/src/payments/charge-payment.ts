import type { PaymentFailureCode } from '#shared/contracts/payment.ts';
import type { Em } from '#shared/db/orm.ts';
import { RetryableError } from '#shared/db/retryable-errors.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import type { Ids } from '#shared/runtime/ids.ts';
import { currentBalance, debitCredit } from '../credits/balance-moves.ts';
import { answered, type Answer } from './answer.ts';
import { insertFirstDecision, rewriteUncommittedDecision } from './insert-decision.ts';
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

/** The reply a charge writes after this savepoint is undone when the debit is refused. */
const beforeReply = 'charge_reply';

/**
 * ChargePayment: one payment per order, ever. Runs in the caller's unit of work (the message's
 * transaction) and answers through `answer`.
 *
 * Statement order is the point: every charge of a customer needs that customer's credit row, which
 * stays locked from the debit's UPDATE until COMMIT. So the charge first writes what does not need
 * the row — the decision, optimistically COMPLETED, and its reply — and debits last. If the debit
 * is refused (not enough credit, unknown customer), the reply is rolled back to a savepoint and
 * the payment row, still this transaction's alone, is rewritten as the decline. That path holds
 * the credit row a few statements longer, but never waits for another lock while it does: it
 * inserts no payment row (a refund's gap lock on the order ids could hold that INSERT, while the
 * refund itself waits for the credit row: a deadlock).
 */
export function createChargePayment(deps: { clock: Clock; ids: Ids }) {
  return async function chargePayment(em: Em, command: ChargeCommand, answer: Answer<ChargeOutcome>): Promise<ChargeOutcome> {
    const now = deps.clock.now();
    const draft = { id: deps.ids.next(), ...command, now };

    const payment = await insertFirstDecision(em, completedPayment(draft));
    if (!payment) return answered(em, answer, { kind: 'alreadyDecided', payment: await decisionOf(em, command.orderId) });
    await em.execute(`savepoint ${beforeReply}`, [], 'run');
    const charged = await answered(em, answer, { kind: 'charged', payment });
    if (await debitCredit(em, { ...command, now })) return charged;

    const refusal = await whyDebitRefused(em, command);
    // The ORM still counts the rolled-back reply as written; nothing changes it again, so it stays gone.
    await em.execute(`rollback to savepoint ${beforeReply}`, [], 'run');
    const declined = await rewriteUncommittedDecision(em, failedPayment(draft, refusal.code, refusal.reason));
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
