import type { Registry } from 'prom-client';
import type { PaymentRequest, PaymentResponse } from '#shared/contracts/payment.ts';
import { topics } from '#shared/contracts/topics.ts';
import { commandRoute } from '#shared/inbox/command-route.ts';
import type { Route } from '#shared/inbox/route.ts';
import { counter } from '#shared/observability/metrics.ts';
import type { Outbox } from '#shared/outbox/outbox.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import type { Ids } from '#shared/runtime/ids.ts';
import { creditBookOf, loadCredits, saveCreditBook, type CreditBook } from '../credits/credit-book.ts';
import { chargePayment } from './charge-payment.ts';
import { loadPayments, paymentBookOf, savePaymentBook, type PaymentBook } from './payment-book.ts';
import { refundPayment, type RefundOutcome } from './refund-payment.ts';

interface PaymentBatch {
  payments: PaymentBook;
  credits: CreditBook;
  now: Date;
  /** What each command came to, for the metrics once the batch committed. */
  outcomes: { command: PaymentRequest['type']; outcome: string }[];
}

const refundReply = (outcome: RefundOutcome): PaymentResponse => ({
  type: 'PaymentRefunded',
  payload: { amount: outcome.amount, nothingToRefund: outcome.kind === 'nothingToRefund' },
});

/**
 * The payment service's side of the saga: the commands on payment-request, a batch at a time — the
 * batch's payments and its customers' credit accounts read and locked once, each command decided in
 * arrival order on them, every balance written once — each answered on payment-response in the same
 * transaction as its money movement. Business outcomes (declined, nothing to refund) are replies.
 */
export function paymentCommandRoute(deps: { outbox: Outbox; clock: Clock; ids: Ids; metrics: Registry }): Route {
  const decided = counter(deps.metrics, 'payment_commands_total', 'Payment commands decided', ['command', 'outcome']);
  return commandRoute<typeof topics.paymentRequest, PaymentBatch, PaymentResponse>(topics.paymentRequest, deps.outbox, {
    load: (commands) => [
      ...loadPayments(commands.map((command) => command.orderId)),
      ...loadCredits(commands.map((command) => command.message.payload.customerId)),
    ],
    state: ([payments, credits]) => ({ payments: paymentBookOf(payments), credits: creditBookOf(credits), now: deps.clock.now(), outcomes: [] }),
    decide(command, batch): PaymentResponse {
      const message: PaymentRequest = command.message;
      const { orderId } = command;
      if (message.type === 'ChargePayment') {
        const outcome = chargePayment(batch.payments, batch.credits, { orderId, ...message.payload }, batch.now, deps.ids);
        batch.outcomes.push({ command: message.type, outcome: outcome.kind });
        return outcome.payment.chargeReply();
      }
      const outcome = refundPayment(batch.payments, batch.credits, { orderId, customerId: message.payload.customerId }, batch.now, deps.ids);
      batch.outcomes.push({ command: message.type, outcome: outcome.kind === 'refunded' ? outcome.kind : outcome.because });
      return refundReply(outcome);
    },
    save(batch, tx) {
      savePaymentBook(batch.payments, tx);
      saveCreditBook(batch.credits, tx);
      tx.afterCommit(() => {
        for (const labels of batch.outcomes) decided.inc(labels);
      });
    },
  });
}
