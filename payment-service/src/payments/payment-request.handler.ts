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

type Decision = { reply: PaymentResponse; outcome: string };
type CommandHandler<T extends PaymentRequest['type']> = (
  em: Em,
  orderId: string,
  payload: Extract<PaymentRequest, { type: T }>['payload'],
) => Promise<Decision>;

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
    ChargePayment: async (em, orderId, { customerId, amount }) => {
      const outcome = await deps.chargePayment(em, { orderId, customerId, amount });
      return { reply: outcome.payment.chargeReply(), outcome: outcome.kind };
    },
    RefundPayment: async (em, orderId, { customerId }) => {
      const outcome = await deps.refundPayment(em, { orderId, customerId });
      return { reply: refundReply(outcome), outcome: outcome.kind === 'refunded' ? outcome.kind : outcome.because };
    },
  };

  return route(topics.paymentRequest, async (message, ctx) => {
    const { orderId, sagaId, messageId } = ctx.envelope;
    if (!orderId) throw new PoisonMessageError(`${message.type} carries no order id`);
    const handle = handlers[message.type] as CommandHandler<typeof message.type>;
    const { reply, outcome } = await handle(ctx.em, orderId, message.payload as never);
    deps.outbox.add(ctx.em, { ...reply, orderId, sagaId: sagaId ?? orderId, causationId: messageId });
    ctx.logger.debug({ outcome, reply: reply.type }, 'payment command decided');
    ctx.afterCommit(() => {
      commands.inc({ command: message.type, outcome });
      deps.relay.nudge();
    });
  });
}
