import type { Registry } from 'prom-client';
import type { PaymentRequest, PaymentResponse } from '#shared/contracts/payment.ts';
import { topics } from '#shared/contracts/topics.ts';
import type { Em } from '#shared/db/orm.ts';
import { PoisonMessageError } from '#shared/db/retryable-errors.ts';
import { route, type Route } from '#shared/inbox/message-consumer.ts';
import { counter } from '#shared/observability/metrics.ts';
import type { Outbox } from '#shared/outbox/outbox.ts';
import type { OutboxRelay } from '#shared/outbox/outbox-relay.ts';
import type { createChargePayment } from './charge-payment.ts';
import type { createRefundPayment, RefundOutcome } from './refund-payment.ts';

export interface PaymentRequestDeps {
  chargePayment: ReturnType<typeof createChargePayment>;
  refundPayment: ReturnType<typeof createRefundPayment>;
  outbox: Outbox;
  relay: OutboxRelay;
  metrics: Registry;
}

/** Handles one command type: decides, answers through `answer`, returns the outcome's name for metrics. */
type CommandHandler<T extends PaymentRequest['type']> = (
  em: Em,
  orderId: string,
  payload: Extract<PaymentRequest, { type: T }>['payload'],
  answer: (reply: PaymentResponse) => void,
) => Promise<string>;

const refundReply = (outcome: RefundOutcome): PaymentResponse => ({
  type: 'PaymentRefunded',
  payload: { amount: outcome.amount, nothingToRefund: outcome.kind === 'nothingToRefund' },
});

/**
 * The payment service's side of the saga: one handler per command type on `payment-request`, each
 * answered on `payment-response` through the outbox in the same transaction as its money movement.
 * Business outcomes (declined, nothing to refund) are replies; only bugs throw.
 */
export function paymentRequestRoute(deps: PaymentRequestDeps): Route {
  const commands = counter(deps.metrics, 'payment_commands_total', 'Payment commands decided', ['command', 'outcome']);
  const handlers: { [T in PaymentRequest['type']]: CommandHandler<T> } = {
    ChargePayment: async (em, orderId, { customerId, amount }, answer) => {
      const outcome = await deps.chargePayment(em, { orderId, customerId, amount }, (decided) => answer(decided.payment.chargeReply()));
      return outcome.kind;
    },
    RefundPayment: async (em, orderId, { customerId }, answer) => {
      const outcome = await deps.refundPayment(em, { orderId, customerId }, (decided) => answer(refundReply(decided)));
      return outcome.kind === 'refunded' ? outcome.kind : outcome.because;
    },
  };

  return route(topics.paymentRequest, async (message, ctx) => {
    const { orderId, sagaId, messageId } = ctx.envelope;
    if (!orderId) throw new PoisonMessageError(`${message.type} carries no order id`);
    const handle = handlers[message.type] as CommandHandler<typeof message.type>;
    const replies: PaymentResponse['type'][] = [];
    // The use case decides when its reply is written: before it touches the customer's credit row.
    const answer = (reply: PaymentResponse) => {
      deps.outbox.add(ctx.em, { ...reply, orderId, sagaId: sagaId ?? orderId, causationId: messageId });
      replies.push(reply.type);
    };
    const outcome = await handle(ctx.em, orderId, message.payload as never, answer);
    if (replies.length === 0) throw new Error(`${message.type} for order ${orderId} was decided without a reply`);
    ctx.logger.debug({ outcome, reply: replies.at(-1) }, 'payment command decided');
    ctx.afterCommit(() => {
      commands.inc({ command: message.type, outcome });
      deps.relay.nudge();
    });
  });
}
