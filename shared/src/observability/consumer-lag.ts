import type { Registry } from 'prom-client';
import { errorMessage } from '../db/retryable-errors.ts';
import type { KafkaAdmin, KafkaClient, TopicOffsets } from '../kafka/kafka-client.ts';
import type { Logger } from './logger.ts';
import { gauge } from './metrics.ts';

export interface ConsumerLagMonitor {
  /** Reads the offsets once now and updates the gauge. */
  refresh(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Lag of one partition: records written that the group has not committed yet (high watermark −
 * committed offset). With nothing committed (-1) the group starts at the log start, so every
 * retained record counts.
 */
export function partitionLag(offsets: TopicOffsets, committed: string | undefined): number {
  const high = Number(offsets.high);
  const committedOffset = committed === undefined ? -1 : Number(committed);
  const from = committedOffset >= 0 ? committedOffset : Number(offsets.low);
  return Math.max(0, high - from);
}

/**
 * `kafka_consumer_lag_messages{group, topic, partition}` of one consumer group, refreshed through
 * the Kafka admin every `everyMs` (default 10 s) by every replica (the value is the group's, so
 * replicas agree; dashboards take the max). Labels are bounded: groups, topics and partitions
 * are the platform's own, never an id.
 */
export function createConsumerLagMonitor(options: {
  kafka: KafkaClient;
  groupId: string;
  topics: readonly string[];
  metrics: Registry;
  logger: Logger;
  everyMs?: number;
}): ConsumerLagMonitor {
  const lag = gauge(
    options.metrics,
    'kafka_consumer_lag_messages',
    'Records not yet committed by the consumer group (high watermark - committed offset), per partition',
    ['group', 'topic', 'partition'],
  );
  let admin: KafkaAdmin | null = null;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;

  async function refresh(): Promise<void> {
    admin ??= await options.kafka.admin();
    for (const topic of options.topics) {
      const [offsets, committed] = await Promise.all([admin.topicOffsets(topic), admin.groupOffsets(options.groupId, topic)]);
      const committedByPartition = new Map(committed.map((entry) => [entry.partition, entry.offset]));
      for (const partition of offsets) {
        lag.set(
          { group: options.groupId, topic, partition: String(partition.partition) },
          partitionLag(partition, committedByPartition.get(partition.partition)),
        );
      }
    }
  }

  function tick(): void {
    if (running || stopped) return;
    running = refresh()
      .catch((error) => options.logger.debug({ err: errorMessage(error), group: options.groupId }, 'consumer lag not read'))
      .finally(() => {
        running = null;
      });
  }

  return {
    refresh,
    start() {
      if (timer) return;
      tick();
      timer = setInterval(tick, options.everyMs ?? 10_000);
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      await running;
      await admin?.disconnect().catch(() => {});
      admin = null;
    },
  };
}
