import { messageFamilyByTopic, topicOfMessageType } from '../contracts/families.ts';
import type { Envelope } from '../contracts/envelope.ts';
import type { Em } from '../db/orm.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Ids } from '../runtime/ids.ts';
import { withTraceContext } from '../observability/tracing.ts';
import { OutboxMessage } from './outbox-message.entity.ts';

export interface NewMessage {
  type: string;
  payload: unknown;
  orderId: string | null;
  sagaId?: string | null;
  causationId?: string | null;
  /** Record key; defaults to the order id so one order's messages stay in one partition. */
  key?: string | null;
  headers?: Record<string, string>;
}

export interface Outbox {
  /**
   * Queues a message inside the caller's unit of work: it is published if and only if the caller's
   * transaction commits. The payload is validated against its topic's schema here, so a producer
   * bug fails the producer's transaction instead of poisoning a consumer.
   */
  add(em: Em, message: NewMessage): Envelope;
}

export function createOutbox(deps: { ids: Ids; clock: Clock }): Outbox {
  return {
    add(em, message) {
      const topic = topicOfMessageType(message.type);
      const checked = messageFamilyByTopic[topic].parse({ type: message.type, payload: message.payload });
      const now = deps.clock.now();
      const envelope: Envelope = {
        messageId: deps.ids.next(),
        type: checked.type,
        orderId: message.orderId,
        sagaId: message.sagaId ?? message.orderId,
        occurredAt: now.toISOString(),
        causationId: message.causationId ?? null,
        payload: checked.payload,
      };
      em.create(OutboxMessage, {
        messageId: envelope.messageId,
        topic,
        messageKey: message.key === undefined ? message.orderId : message.key,
        type: envelope.type,
        body: JSON.stringify(envelope),
        // the active trace context (traceparent), so the consumer's span joins this trace
        headers: withTraceContext(message.headers),
        createdAt: now,
        attempts: 0,
        nextAttemptAt: now,
        lastError: null,
        sentAt: null,
      });
      return envelope;
    },
  };
}
