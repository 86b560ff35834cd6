import type { Registry } from 'prom-client';
import { inboxRetentionMsOf, type BaseEnv } from '../config/env.ts';
import type { Orm } from '../db/orm.ts';
import { errorMessage } from '../db/retryable-errors.ts';
import type { HealthCheck } from '../http/platform-routes.ts';
import { inboxRetentionJob } from '../inbox/inbox-retention.ts';
import { cleanupEveryMs, createPeriodicJobs, type PeriodicJob, type PeriodicJobs } from '../jobs/periodic-jobs.ts';
import { openSqlPool, type SqlPool } from '../db/sql-pool.ts';
import { createOutboxPublisher, type OutboxPublisher } from '../outbox/outbox-publisher.ts';
import type { KafkaClient, KafkaProducer } from '../kafka/kafka-client.ts';
import { createKafkajsClient } from '../kafka/kafkajs-client.ts';
import { kafkaSecurityOf } from '../kafka/kafka-security.ts';
import type { Logger } from '../observability/logger.ts';
import type { Tracing } from '../observability/tracing.ts';
import { createOutbox, type Outbox } from '../outbox/outbox.ts';
import { createOrmUnitOfWork, type OrmUnitOfWork } from '../outbox/orm-unit-of-work.ts';
import { createOutboxRelay, type OutboxRelay } from '../outbox/outbox-relay.ts';
import { Redis } from 'ioredis';
import { topicLayout } from '../contracts/topics.ts';
import type { Clock } from './clock.ts';
import type { Ids } from './ids.ts';

export interface MessagingKernel {
  kafka: KafkaClient;
  producer: KafkaProducer;
  /** The hot path's connections (message handlers, order placement): several statements per round trip. */
  pool: SqlPool;
  outbox: Outbox;
  /** The outbox of ORM transactions (catalog and admin writes). */
  unitOfWork: OrmUnitOfWork;
  publisher: OutboxPublisher;
  relay: OutboxRelay;
  jobs: PeriodicJobs;
  healthChecks: HealthCheck[];
  close(): Promise<void>;
}

export interface MessagingKernelOptions {
  service: string;
  env: BaseEnv;
  dbName: string;
  /** Connections of the hot path's pool. */
  poolSize: number;
  orm: Orm;
  logger: Logger;
  metrics: Registry;
  ids: Ids;
  clock: Clock;
  /** Service-specific periodic jobs, run next to the outbox sweep and cleanup. */
  extraJobs?: PeriodicJob[];
  outboxSweepEveryMs?: number;
  /** The relay's and publisher's send spans (off when absent). */
  tracing?: Tracing;
}

/** Kafka client, producer, hot-path pool, outbox (publisher and relay) and periodic jobs of one service process, wired once. */
export async function openMessagingKernel(options: MessagingKernelOptions): Promise<MessagingKernel> {
  const { env, logger, clock, metrics, tracing } = options;
  const kafka = createKafkajsClient(
    {
      clientId: `${options.service}-${env.INSTANCE_ID}`,
      brokers: env.KAFKA_BROKERS,
      topicPrefix: env.KAFKA_TOPIC_PREFIX,
      ...kafkaSecurityOf(env),
    },
    logger,
  );
  const producer = await kafka.producer();
  const pool = openSqlPool({ env, dbName: options.dbName, connectionLimit: options.poolSize });
  const relay = createOutboxRelay({ pool, producer, clock, logger, metrics, tracing });
  const publisher = createOutboxPublisher({ pool, producer, clock, logger, metrics, tracing, nudgeRelay: () => relay.nudge() });
  const outbox = createOutbox({ ids: options.ids, clock, publisher });
  const unitOfWork = createOrmUnitOfWork({ orm: options.orm, ids: options.ids, clock, relay });
  // Sent outbox rows after OUTBOX_RETENTION_MS, inbox ids after INBOX_RETENTION_MS or _DAYS; each
  // cleanup runs every quarter of its retention (outbox at most every minute, inbox every 10).
  const outboxRetentionMs = env.OUTBOX_RETENTION_MS;
  const jobs = createPeriodicJobs({
    logger,
    jobs: [
      { id: 'outbox-sweep', everyMs: options.outboxSweepEveryMs ?? 1_000, run: () => relay.drain() },
      { id: 'outbox-cleanup', everyMs: cleanupEveryMs(outboxRetentionMs, 60_000), run: () => relay.cleanup(outboxRetentionMs) },
      { id: 'outbox-stats', everyMs: 5_000, run: () => relay.pendingStats() },
      inboxRetentionJob({ pool, clock, retentionMs: inboxRetentionMsOf(env) }),
      ...(options.extraJobs ?? []),
    ],
  });
  const redis = new Redis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', () => {});
  const admin = await kafka.admin();
  // The broker does not create topics on demand; every service makes sure its environment's exist.
  await admin.createTopics(topicLayout);
  const healthChecks: HealthCheck[] = [
    { name: 'database', check: () => pool.query('select 1'), neededForReady: true },
    {
      name: 'redis',
      check: async () => {
        if (redis.status === 'wait' || redis.status === 'end') await redis.connect();
        await redis.ping();
      },
    },
    { name: 'kafka', check: () => admin.listTopics() },
  ];
  return {
    kafka,
    producer,
    pool,
    outbox,
    unitOfWork,
    publisher,
    relay,
    jobs,
    healthChecks,
    async close() {
      await jobs.stop().catch((error) => logger.warn({ err: errorMessage(error) }, 'stopping jobs failed'));
      await publisher.stop();
      await relay.stop();
      await producer.disconnect();
      await admin.disconnect();
      await pool.close();
      redis.disconnect();
    },
  };
}
