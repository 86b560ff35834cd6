import type { Registry } from 'prom-client';
import { createDeadLetterPublisher } from '../dead-letters/dead-letter-publisher.ts';
import { errorMessage, isRetryable, PoisonMessageError } from '../db/retryable-errors.ts';
import type { SqlPool } from '../db/sql-pool.ts';
import { inTransaction, placeholders, rowsOf, valuesList } from '../db/sql-transaction.ts';
import type { IncomingRecord, KafkaClient, KafkaConsumer, KafkaProducer } from '../kafka/kafka-client.ts';
import type { Logger } from '../observability/logger.ts';
import { counter, histogram } from '../observability/metrics.ts';
import { countedDeadLetters } from '../observability/dead-letter-metrics.ts';
import { endConsumeSpans, startConsumeSpans } from '../observability/messaging-tracing.ts';
import { noTracing, type Tracing } from '../observability/tracing.ts';
import type { Clock } from '../runtime/clock.ts';
import { systemClock } from '../runtime/clock.ts';
import { backoffMs, sleep } from '../runtime/sleep.ts';
import { parseRecord } from './parse-record.ts';
import type { Inbound, Route } from './route.ts';

export type { Inbound, Route } from './route.ts';
export { batchRoute, route } from './route.ts';

export interface MessageConsumerOptions {
  pool: SqlPool;
  kafka: KafkaClient;
  /** Used for dead letters; the service's producer can be shared. */
  producer: KafkaProducer;
  groupId: string;
  routes: Route<any>[];
  logger: Logger;
  metrics: Registry;
  clock?: Clock;
  /** Attempts for an error that is not a known transient infrastructure failure, before dead-lettering. */
  maxTerminalAttempts?: number;
  /** A new consumer group starts at the beginning of its topics (default) or only sees new records. */
  fromBeginning?: boolean;
  commitEveryBatch?: boolean;
  maxBatchRecords?: number;
  /** One transaction at a time per topic (default: larger batches, hot rows locked once) or per partition. */
  laneBy?: 'partition' | 'topic';
  /** A consume span per record (child of the sender's) and one per batch transaction; off when absent. */
  tracing?: Tracing;
}

export interface MessageConsumer {
  start(): Promise<void>;
  /** Stops fetching, lets the batches in hand finish, leaves the group. */
  stop(): Promise<void>;
}

type Outcome = 'handled' | 'duplicate' | 'dead-lettered';

/**
 * The inbox side of the kernel, a batch at a time. The records of one fetched partition batch are
 * validated (invalid → dead letter) and handled in ONE transaction: the first round trip looks up
 * their ids in the inbox (duplicates are skipped) together with the route's own reads and locks;
 * the route decides in memory; the second round trip writes the inbox rows (first: a duplicate
 * committed meanwhile by another member fails the batch before anything else is written), the
 * route's writes, the outbox rows, and commits. Only then is the offset committed.
 *
 * Failures: a transient one (deadlock, lost connection, broker down) retries the batch with backoff
 * for as long as it lasts. Any other rolls the batch back and replays its records one by one, so a
 * poison record is isolated: it is retried a bounded number of times and then dead-lettered, while
 * the records around it go through. A record is never lost and never blocks its partition.
 */
export function createMessageConsumer(options: MessageConsumerOptions): MessageConsumer {
  const { pool, logger } = options;
  const clock = options.clock ?? systemClock;
  const maxTerminalAttempts = options.maxTerminalAttempts ?? 3;
  const routes = new Map(options.routes.map((entry) => [entry.topic as string, entry]));
  const deadLetters = countedDeadLetters(createDeadLetterPublisher(options.producer, options.groupId), options.metrics);
  const tracing = options.tracing ?? noTracing;
  const stopping = new AbortController();
  let consumer: KafkaConsumer | null = null;

  const handled = counter(options.metrics, 'inbox_messages_handled_total', 'Messages handled', ['topic', 'outcome']);
  const handleSeconds = histogram(options.metrics, 'inbox_handle_duration_seconds', 'Batch transaction time', ['topic']);
  const batchSize = histogram(options.metrics, 'inbox_batch_records', 'Records per handled batch', ['topic'], [1, 2, 5, 10, 20, 50, 100, 200, 500]);

  function inboundOf(record: IncomingRecord, envelope: Inbound['envelope'], message: unknown): Inbound {
    let child: Logger | null = null;
    return {
      envelope,
      message,
      record,
      traceparent: null,
      get logger() {
        child ??= logger.child({ orderId: envelope.orderId, messageId: envelope.messageId, type: envelope.type, topic: record.topic });
        return child;
      },
    };
  }

  async function handleBatch(records: IncomingRecord[]): Promise<void> {
    const topic = records[0].topic;
    const entry = routes.get(topic);
    if (!entry) throw new Error(`no route for topic ${topic}`);
    const valid: Inbound[] = [];
    const seen = new Set<string>();
    for (const record of records) {
      const parsed = parseRecord(record, entry.schema);
      if (!parsed.ok) {
        logger.warn({ topic, partition: record.partition, offset: record.offset, reason: parsed.reason }, 'invalid message dead-lettered');
        await deadLetters.publish(record, parsed.reason, 0);
        handled.inc({ topic, outcome: 'invalid' });
        continue;
      }
      // The same message twice in one batch (a duplicated delivery): the first one counts.
      if (seen.has(parsed.envelope.messageId)) {
        handled.inc({ topic, outcome: 'duplicate' });
        continue;
      }
      seen.add(parsed.envelope.messageId);
      valid.push(inboundOf(record, parsed.envelope, parsed.message));
    }
    if (valid.length === 0) return;
    batchSize.observe({ topic }, valid.length);
    const spans = startConsumeSpans(tracing, valid, options.groupId);
    try {
      await handleWithRetries(entry, valid);
    } finally {
      endConsumeSpans(spans);
    }
  }

  /** Retries transient failures; on any other failure, replays a batch one record at a time. */
  async function handleWithRetries(entry: Route<any>, messages: Inbound<any>[]): Promise<void> {
    let terminalFailures = 0;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        const outcomes = await handleOnce(entry, messages);
        handleSeconds.observe({ topic: entry.topic }, (performance.now() - started) / 1000);
        for (const outcome of outcomes) handled.inc({ topic: entry.topic, outcome });
        return;
      } catch (error) {
        if (stopping.signal.aborted) throw error; // leave the offset uncommitted: delivered again after restart
        if (isRetryable(error)) {
          logger.warn({ err: errorMessage(error), attempt, topic: entry.topic, records: messages.length }, 'transient failure, retrying the batch');
          await sleep(backoffMs(attempt, 50, 5_000), stopping.signal);
          continue;
        }
        if (messages.length > 1) {
          logger.warn({ err: errorMessage(error), topic: entry.topic, records: messages.length }, 'batch failed; handling its records one by one');
          for (const message of messages) await handleWithRetries(entry, [message]);
          return;
        }
        const [message] = messages;
        if (error instanceof PoisonMessageError) {
          message.logger.warn({ reason: error.message }, 'message refused by its handler; dead-lettered');
          await deadLetters.publish(message.record, `refused: ${error.message}`, attempt);
          handled.inc({ topic: entry.topic, outcome: 'dead-lettered' });
          return;
        }
        terminalFailures++;
        message.logger.error({ err: errorMessage(error), attempt: terminalFailures }, 'handler failed');
        if (terminalFailures >= maxTerminalAttempts) {
          await deadLetters.publish(message.record, `handler failed ${terminalFailures} times: ${errorMessage(error)}`, terminalFailures);
          handled.inc({ topic: entry.topic, outcome: 'dead-lettered' });
          return;
        }
        await sleep(backoffMs(terminalFailures, 100, 2_000), stopping.signal);
      }
    }
  }

  async function handleOnce(entry: Route<any>, messages: Inbound<any>[]): Promise<Outcome[]> {
    const refused = new Map<Inbound, string>();
    let fresh: Inbound[] = [];
    await inTransaction(
      pool,
      async (tx) => {
        const ids = messages.map((message) => message.envelope.messageId);
        const [known, ...loaded] = await tx.run([
          { sql: `select message_id from inbox_message where message_id in (${placeholders(ids.length)})`, params: ids },
          ...(entry.load?.(messages) ?? []),
        ]);
        const done = new Set(rowsOf<{ message_id: string }>(known).map((row) => row.message_id));
        fresh = messages.filter((message) => !done.has(message.envelope.messageId));
        if (fresh.length === 0) return;
        // First in the COMMIT's round trip: a duplicate another member committed meanwhile fails
        // here, before any other write, and the retry then finds it in the inbox.
        tx.beforeCommit(() => {
          const recorded = fresh.filter((message) => !refused.has(message));
          if (recorded.length === 0) return { statements: [] };
          const now = clock.now();
          return {
            statements: [
              {
                sql: `insert into inbox_message (message_id, topic, type, received_at) values ${valuesList(recorded.length, 4)}`,
                params: recorded.flatMap((message) => [message.envelope.messageId, message.record.topic, message.envelope.type, now]),
              },
            ],
          };
        });
        await entry.handle(fresh, loaded, {
          tx,
          logger,
          refuse: (message, reason) => void refused.set(message, reason),
        });
      },
      { onEffectError: (error) => logger.warn({ err: errorMessage(error) }, 'after-commit effect failed; the sweep will catch up') },
    );
    for (const [message, reason] of refused) {
      message.logger.warn({ reason }, 'message refused by its handler; dead-lettered');
      await deadLetters.publish(message.record, `refused: ${reason}`, 1);
    }
    const freshSet = new Set(fresh);
    return messages.map((message) => (refused.has(message) ? 'dead-lettered' : freshSet.has(message) ? 'handled' : 'duplicate'));
  }

  return {
    async start() {
      consumer = await options.kafka.consumer({
        groupId: options.groupId,
        topics: options.routes.map((entry) => entry.topic),
        fromBeginning: options.fromBeginning ?? true,
        commitEveryBatch: options.commitEveryBatch,
        maxBatchRecords: options.maxBatchRecords,
        laneBy: options.laneBy ?? 'topic',
      });
      await consumer.runBatches(handleBatch);
    },
    async stop() {
      stopping.abort();
      await consumer?.stop();
    },
  };
}
