import { randomUUID } from 'node:crypto';
import { randomIds } from '#shared/runtime/ids.ts';
import { topicOfMessageType } from '#shared/contracts/families.ts';
import type { Envelope } from '#shared/contracts/envelope.ts';
import type { KafkaClient, KafkaConsumer, KafkaProducer } from '#shared/kafka/kafka-client.ts';
import { eventually } from './test-infra.ts';

export interface SagaProbe {
  /** Publishes a command/reply envelope straight to its topic (as the saga would); returns it. */
  send(type: string, orderId: string, payload: unknown, messageId?: string): Promise<Envelope>;
  /** Publishes the exact same envelope again: a duplicate delivery. */
  resend(envelope: Envelope): Promise<void>;
  /** Every envelope seen on the watched topics for this order, in arrival order. */
  seen(orderId: string): Envelope[];
  /** Waits until `count` envelopes for the order arrived; returns them. */
  waitFor(orderId: string, count?: number, timeoutMs?: number): Promise<Envelope[]>;
  close(): Promise<void>;
}

/** An envelope as the saga sends a command (or a service its reply): the order is its own saga, and nothing caused it. */
export function envelopeOf(type: string, orderId: string, payload: unknown, messageId: string): Envelope {
  return {
    messageId,
    type,
    orderId,
    sagaId: orderId,
    occurredAt: new Date().toISOString(),
    causationId: null,
    payload,
  };
}

/**
 * Test-side stand-in for "the other services": publishes envelopes to a topic and watches the
 * reply topics. Its consumer group is new and starts at the end, so it sees only this run's records.
 */
export async function openSagaProbe(kafka: KafkaClient, watchTopics: string[]): Promise<SagaProbe> {
  const producer: KafkaProducer = await kafka.producer();
  const byOrder = new Map<string, Envelope[]>();
  const consumer: KafkaConsumer = await kafka.consumer({
    groupId: `probe-${randomUUID()}`,
    topics: watchTopics,
    fromBeginning: false,
  });
  await consumer.run(async (record) => {
    if (!record.value) return;
    try {
      const envelope = JSON.parse(record.value.toString()) as Envelope;
      if (!envelope.orderId) return;
      const list = byOrder.get(envelope.orderId) ?? [];
      list.push(envelope);
      byOrder.set(envelope.orderId, list);
    } catch {
      // not an envelope: not this probe's business
    }
  });
  const publish = (envelope: Envelope) =>
    producer.send([{ topic: topicOfMessageType(envelope.type), key: envelope.orderId, value: JSON.stringify(envelope) }]);
  return {
    async send(type, orderId, payload, messageId = randomIds.next()) {
      const envelope = envelopeOf(type, orderId, payload, messageId);
      await publish(envelope);
      return envelope;
    },
    resend: publish,
    seen: (orderId) => [...(byOrder.get(orderId) ?? [])],
    async waitFor(orderId, count = 1, timeoutMs = 20_000) {
      const list = await eventually(
        async () => byOrder.get(orderId) ?? [],
        (l) => l.length >= count,
        timeoutMs,
      );
      if (list.length < count) throw new Error(`expected ${count} replies for ${orderId}, got ${list.length}`);
      return [...list];
    },
    async close() {
      await consumer.stop();
      await producer.disconnect();
    },
  };
}
