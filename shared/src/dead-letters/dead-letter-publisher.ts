import { deadLetterTopicOf } from '../contracts/topics.ts';
import type { IncomingRecord, KafkaProducer } from '../kafka/kafka-client.ts';

/** Headers a dead letter carries besides the original record's own headers. */
export const deadLetterHeaders = {
  reason: 'x-dlq-reason',
  originalTopic: 'x-dlq-original-topic',
  originalPartition: 'x-dlq-original-partition',
  originalOffset: 'x-dlq-original-offset',
  consumerGroup: 'x-dlq-consumer-group',
  failedAt: 'x-dlq-failed-at',
  attempts: 'x-dlq-attempts',
} as const;

export interface DeadLetterPublisher {
  /** Publishes the record unchanged to `<topic>.dlq` with the reason and its origin; resolves once acknowledged. */
  publish(record: IncomingRecord, reason: string, attempts: number): Promise<void>;
}

export function createDeadLetterPublisher(producer: KafkaProducer, consumerGroup: string): DeadLetterPublisher {
  return {
    publish: (record, reason, attempts) =>
      producer.send([
        {
          topic: deadLetterTopicOf(record.topic),
          key: record.key,
          value: record.value ?? Buffer.alloc(0),
          headers: {
            ...record.headers,
            [deadLetterHeaders.reason]: reason.slice(0, 2000),
            [deadLetterHeaders.originalTopic]: record.topic,
            [deadLetterHeaders.originalPartition]: String(record.partition),
            [deadLetterHeaders.originalOffset]: record.offset,
            [deadLetterHeaders.consumerGroup]: consumerGroup,
            [deadLetterHeaders.failedAt]: new Date().toISOString(),
            [deadLetterHeaders.attempts]: String(attempts),
          },
        },
      ]),
  };
}
