// The order service's Kafka consumer of product and payment replies: each fetched batch becomes saga
// events for the one step handler, applied in the consumer's transaction (rows locked in one statement).
import { topics } from '#shared/contracts/topics.ts';
import { batchRoute, type Route } from '#shared/inbox/route.ts';
import type { PaymentResponse } from '#shared/contracts/payment.ts';
import type { ProductReservationResponse } from '#shared/contracts/product-reservation.ts';
import type { OrderSagaEvent } from '#statecharts/saga-types.ts';
import { lockSagaRows, sagaRowsOf } from './saga-rows.ts';
import type { SagaInput, SagaSteps, StepResult } from './saga-step.ts';

type ReplyTopic = typeof topics.productReservationResponse | typeof topics.paymentResponse;

interface ReplyRouteDeps {
  steps: SagaSteps;
  /** What follows the commit of the steps' results (metrics, waiters, deadline jobs). */
  afterCommit(results: readonly StepResult[], started: number): void;
}

export function sagaReplyRoutes(deps: ReplyRouteDeps): Route[] {
  return [replyRoute(topics.productReservationResponse, deps), replyRoute(topics.paymentResponse, deps)];
}

function replyRoute(topic: ReplyTopic, deps: ReplyRouteDeps): Route {
  return batchRoute(topic, {
    load: (messages) => {
      const orderIds = messages.flatMap((message) => (message.envelope.orderId ? [message.envelope.orderId] : []));
      return orderIds.length > 0 ? [lockSagaRows(orderIds)] : [];
    },
    async handle(messages, loaded, { tx, refuse }) {
      const started = performance.now();
      const rows = sagaRowsOf(loaded[0] ?? []);
      const inputs: SagaInput[] = [];
      const sources: (typeof messages)[number][] = [];
      for (const message of messages) {
        const orderId = message.envelope.orderId;
        if (!orderId) {
          refuse(message, `${message.message.type} without an order id`);
          continue;
        }
        sources.push(message);
        inputs.push({
          kind: 'event',
          orderId,
          event: eventOfReply(message.message),
          origin: { source: 'kafka', messageId: message.envelope.messageId, traceparent: message.traceparent ?? undefined },
        });
      }
      const outcomes = deps.steps.apply(tx, rows, inputs);
      const results: StepResult[] = [];
      outcomes.forEach((outcome, index) => {
        if (outcome.kind === 'applied') results.push(outcome.result);
        else refuse(sources[index], `${sources[index].message.type} for unknown order ${inputs[index].orderId}`);
      });
      tx.afterCommit(() => deps.afterCommit(results, started));
    },
  });
}

/** Product and payment replies are facts the saga reacts to; this is the one table from message to event. */
export function eventOfReply(reply: ProductReservationResponse | PaymentResponse): OrderSagaEvent {
  switch (reply.type) {
    case 'StockReserved':
    case 'StockConfirmed':
    case 'StockReleased':
    case 'PaymentRefunded':
      return { type: reply.type };
    case 'StockRejected':
    case 'StockConfirmRejected':
    case 'StockReleaseRefused':
    case 'PaymentFailed':
      return { type: reply.type, reason: reply.payload.reason };
    case 'PaymentCompleted':
      return { type: reply.type, paymentId: reply.payload.paymentId };
  }
}
