import type { Registry } from 'prom-client';
import type { z } from 'zod';
import type { Envelope } from '../contracts/envelope.ts';
import { messageFamilyByTopic, type MessageOnTopic } from '../contracts/families.ts';
import type { Topic } from '../contracts/topics.ts';
import { createDeadLetterPublisher } from '../dead-letters/dead-letter-publisher.ts';
import type { Em, Orm } from '../db/orm.ts';
import { errorMessage, isRetryable, PoisonMessageError } from '../db/retryable-errors.ts';
import type { IncomingRecord, KafkaClient, KafkaConsumer, KafkaProducer } from '../kafka/kafka-client.ts';
import type { Logger } from '../observability/logger.ts';
import { counter, histogram } from '../observability/metrics.ts';
import { countedDeadLetters } from '../observability/dead-letter-metrics.ts';
import { inConsumeSpan, inTransactionSpan, noteMessageOutcome, traceIdOfMessage } from '../observability/messaging-tracing.ts';
import { noTracing, type Tracing } from '../observability/tracing.ts';
import { backoffMs, sleep } from '../runtime/sleep.ts';
import { parseRecord } from './parse-record.ts';

export interface HandlerContext {
  /** The unit of work of this message: the inbox row and everything the handler does commit together. */
  em: Em;
  envelope: Envelope;
  record: IncomingRecord;
  logger: Logger;
  /** Runs after the transaction committed (e.g. nudge the outbox relay, schedule a timer job). */
  afterCommit(effect: () => void | Promise<void>): void;
}

export type MessageHandler<T extends Topic> = (message: MessageOnTopic<T>, context: HandlerContext) => Promise<void>;

export interface Route {
  topic: Topic;
  schema: z.ZodType;
  handle: (message: any, context: HandlerContext) => Promise<void>;
}

/** Binds a handler to a topic; the handler receives that topic's validated message family. */
export function route<T extends Topic>(topic: T, handle: MessageHandler<T>): Route {
  return { topic, schema: messageFamilyByTopic[topic], handle };
}

export interface MessageConsumerOptions {
  orm: Orm;
  kafka: KafkaClient;
  /** Used for dead letters; the service's relay producer can be shared. */
  producer: KafkaProducer;
  groupId: string;
  routes: Route[];
  logger: Logger;
  metrics: Registry;
  /** Attempts for an error that is not a known transient infrastructure failure, before dead-lettering. */
  maxTerminalAttempts?: number;
  partitionsConsumedConcurrently?: number;
  /** Records of different orders in one partition handled at once (same order: always in sequence). */
  keysConsumedConcurrently?: number;
  /** A new consumer group starts at the beginning of its topics (default) or only sees new records. */
  fromBeginning?: boolean;
  commitEveryMessage?: boolean;
  /** A consume span per record (child of the sender's) and one per handler transaction; off when absent. */
  tracing?: Tracing;
}

export interface MessageConsumer {
  start(): Promise<void>;
  /** Stops fetching, lets the message in hand finish, leaves the group. */
  stop(): Promise<void>;
}

/**
 * The inbox side of the kernel. Per record: validate (invalid → dead letter), then in one
 * transaction insert the inbox row (duplicate → skip) and run the handler; after commit run the
 * handler's after-commit effects; only then is the offset committed. Transient failures retry
 * with backoff for as long as they last (they are the infrastructure's fault, not the message's);
 * any other failure retries a bounded number of times and then goes to the dead-letter topic, so
 * a poison message never blocks its partition and is never lost.
 */
export function createMessageConsumer(options: MessageConsumerOptions): MessageConsumer {
  const { orm, logger } = options;
  const maxTerminalAttempts = options.maxTerminalAttempts ?? 3;
  const routes = new Map(options.routes.map((entry) => [entry.topic as string, entry]));
  const deadLetters = countedDeadLetters(createDeadLetterPublisher(options.producer, options.groupId), options.metrics);
  const tracing = options.tracing ?? noTracing;
  const stopping = new AbortController();
  let consumer: KafkaConsumer | null = null;

  const handled = counter(options.metrics, 'inbox_messages_handled_total', 'Messages handled', ['topic', 'outcome']);
  const handleSeconds = histogram(options.metrics, 'inbox_handle_duration_seconds', 'Handler transaction time', ['topic']);

  async function handleRecord(record: IncomingRecord): Promise<void> {
    const entry = routes.get(record.topic);
    if (!entry) throw new Error(`no route for topic ${record.topic}`);
    const parsed = parseRecord(record, entry.schema);
    if (!parsed.ok) {
      logger.warn({ topic: record.topic, offset: record.offset, reason: parsed.reason }, 'invalid message dead-lettered');
      await deadLetters.publish(record, parsed.reason, 0);
      handled.inc({ topic: record.topic, outcome: 'invalid' });
      return;
    }
    const { envelope, message } = parsed;
    const messageLogger = logger.child({
      orderId: envelope.orderId,
      messageId: envelope.messageId,
      type: envelope.type,
      traceId: traceIdOfMessage(record, envelope),
    });
    let terminalFailures = 0;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        const outcome = await handleOnce(entry, message, envelope, record, messageLogger);
        handleSeconds.observe({ topic: record.topic }, (performance.now() - started) / 1000);
        handled.inc({ topic: record.topic, outcome });
        noteMessageOutcome(outcome);
        return;
      } catch (error) {
        if (stopping.signal.aborted) throw error; // leave the offset uncommitted: redelivered after restart
        if (isRetryable(error)) {
          messageLogger.warn({ err: errorMessage(error), attempt }, 'transient failure, retrying');
          await sleep(backoffMs(attempt, 50, 5_000), stopping.signal);
          continue;
        }
        if (error instanceof PoisonMessageError) {
          messageLogger.warn({ reason: error.message }, 'message refused by its handler; dead-lettered');
          await deadLetters.publish(record, `refused: ${error.message}`, attempt);
          handled.inc({ topic: record.topic, outcome: 'dead-lettered' });
          return;
        }
        terminalFailures++;
        messageLogger.error({ err: errorMessage(error), attempt: terminalFailures }, 'handler failed');
        if (terminalFailures >= maxTerminalAttempts) {
          await deadLetters.publish(record, `handler failed ${terminalFailures} times: ${errorMessage(error)}`, terminalFailures);
          handled.inc({ topic: record.topic, outcome: 'dead-lettered' });
          return;
        }
        await sleep(backoffMs(terminalFailures, 100, 2_000), stopping.signal);
      }
    }
  }

  async function handleOnce(
    entry: Route,
    message: unknown,
    envelope: Envelope,
    record: IncomingRecord,
    messageLogger: Logger,
  ): Promise<'handled' | 'duplicate'> {
    const effects: (() => void | Promise<void>)[] = [];
    const outcome = await inTransactionSpan(tracing, `handle ${envelope.type}`, () => orm.em.fork().transactional(async (em) => {
      const inserted = await em.execute<{ affectedRows: number }>(
        'insert ignore into inbox_message (message_id, topic, type, received_at) values (?, ?, ?, now(3))',
        [envelope.messageId, record.topic, envelope.type],
        'run',
      );
      if (inserted.affectedRows === 0) return 'duplicate' as const;
      await entry.handle(message, {
        em,
        envelope,
        record,
        logger: messageLogger,
        afterCommit: (effect) => effects.push(effect),
      });
      return 'handled' as const;
    }));
    if (outcome === 'duplicate') messageLogger.debug('duplicate message skipped');
    for (const effect of effects) {
      try {
        await effect();
      } catch (error) {
        // The transaction is committed; an after-commit effect is an optimisation (nudge, timer job)
        // that a periodic sweep also performs, so its failure must not redeliver the message.
        messageLogger.warn({ err: errorMessage(error) }, 'after-commit effect failed; the sweep will catch up');
      }
    }
    return outcome;
  }

  return {
    async start() {
      consumer = await options.kafka.consumer({
        groupId: options.groupId,
        topics: options.routes.map((entry) => entry.topic),
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
        keysConsumedConcurrently: options.keysConsumedConcurrently,
        fromBeginning: options.fromBeginning ?? true,
        commitEveryMessage: options.commitEveryMessage,
      });
      await consumer.run(tracing.enabled ? (record) => inConsumeSpan(tracing, record, options.groupId, () => handleRecord(record)) : handleRecord);
    },
    async stop() {
      stopping.abort();
      await consumer?.stop();
    },
  };
}
