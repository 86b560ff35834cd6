import { deadLetterHeaders } from '#shared/dead-letters/dead-letter-publisher.ts';
import { allTopics, deadLetterTopicOf, originalTopicOf } from '#shared/contracts/topics.ts';
import type { Orm } from '#shared/db/orm.ts';
import { errorMessage, isRetryable } from '#shared/db/retryable-errors.ts';
import type { IncomingRecord, KafkaClient, KafkaConsumer } from '#shared/kafka/kafka-client.ts';
import type { Logger } from '#shared/observability/logger.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import { backoffMs, sleep } from '#shared/runtime/sleep.ts';
import { storeDeadLetter, type DeadLetterRecordFields } from './dead-letter-store.ts';

/** Every dead-letter topic of the platform: dead letters of all three services land there. */
export const deadLetterTopics: readonly string[] = allTopics.map(deadLetterTopicOf);

/**
 * Reads every `<topic>.dlq` topic from its beginning in a consumer group of its own and stores each
 * record in `dead_letter`, so operators see (and can redrive) the dead letters of the whole
 * platform in one place. Idempotent: a record read twice is stored once.
 */
export function createDeadLetterCollector(deps: { orm: Orm; kafka: KafkaClient; groupId: string; logger: Logger; clock: Clock }) {
  const stopping = new AbortController();
  let consumer: KafkaConsumer | null = null;

  async function store(record: IncomingRecord): Promise<void> {
    const row = deadLetterRowOf(record, deps.clock.now());
    for (let attempt = 1; ; attempt++) {
      try {
        await storeDeadLetter(deps.orm.em, row);
        return;
      } catch (error) {
        if (stopping.signal.aborted) throw error; // uncommitted: read again after a restart
        // Skipping it would lose it from the operators' view: wait out the database instead. A row
        // the database refuses for good must not block the dead letters behind it, though.
        if (!isRetryable(error) && attempt >= 3) {
          deps.logger.error({ err: errorMessage(error), topic: record.topic, offset: record.offset }, 'dead letter could not be stored; skipped');
          return;
        }
        deps.logger.warn({ err: errorMessage(error), attempt }, 'dead letter not stored yet, retrying');
        await sleep(backoffMs(attempt, 100, 5_000), stopping.signal);
      }
    }
  }

  return {
    async start() {
      consumer = await deps.kafka.consumer({
        groupId: deps.groupId,
        topics: deadLetterTopics,
        fromBeginning: true,
        maxWaitTimeMs: 2_000,
      });
      await consumer.run(store);
    },
    async stop() {
      stopping.abort();
      await consumer?.stop();
    },
  };
}

/** What the dead-letter publisher put on the record, read back; the original topic follows from the DLQ topic's name. */
export function deadLetterRowOf(record: IncomingRecord, now: Date): DeadLetterRecordFields {
  const header = (name: string): string | null => record.headers[name] ?? null;
  const failedAt = new Date(header(deadLetterHeaders.failedAt) ?? Number(record.timestamp));
  const originalPartition = header(deadLetterHeaders.originalPartition);
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    value: record.value?.toString('utf8') ?? '',
    headers: record.headers,
    reason: header(deadLetterHeaders.reason) ?? 'no reason given',
    originalTopic: originalTopicOf(record.topic),
    originalPartition: originalPartition !== null && /^\d+$/.test(originalPartition) ? Number(originalPartition) : null,
    originalOffset: header(deadLetterHeaders.originalOffset),
    consumerGroup: header(deadLetterHeaders.consumerGroup),
    failedAt: Number.isNaN(failedAt.getTime()) ? now : failedAt,
    receivedAt: now,
  };
}
