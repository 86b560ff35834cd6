// npm run bench:messaging -- [--messages 10000] [--latency-samples 500]
// The messaging kernel alone, on topics of its own: commit → handler latency of single messages
// (published on commit, the consumer's batch transaction), then throughput of 10,000 messages,
// next to this machine's floor measured in the same run. Needs MariaDB and Kafka running
// (./infra/up.sh starts them).
import { randomUUID } from 'node:crypto';
import { parseCliArgs } from './lib/cli-args.ts';
import { Registry } from 'prom-client';
import { createConnection } from 'mysql2/promise';
import { baseEnvSchema, parseEnv } from '#shared/config/env.ts';
import { topicLayout, topics } from '#shared/contracts/topics.ts';
import { messagingMigration } from '#shared/db/messaging-migration.ts';
import { migrate, openOrm } from '#shared/db/orm.ts';
import { InboxMessage } from '#shared/inbox/inbox-message.entity.ts';
import { createMessageConsumer, route } from '#shared/inbox/message-consumer.ts';
import { createKafkajsClient } from '#shared/kafka/kafkajs-client.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createOutbox } from '#shared/outbox/outbox.ts';
import { OutboxMessage } from '#shared/outbox/outbox-message.entity.ts';
import { createOutboxRelay } from '#shared/outbox/outbox-relay.ts';
import { createOutboxPublisher } from '#shared/outbox/outbox-publisher.ts';
import { openSqlPool } from '#shared/db/sql-pool.ts';
import { inTransaction } from '#shared/db/sql-transaction.ts';
import { kafkaSecurityOf } from '#shared/kafka/kafka-security.ts';
import { systemClock } from '#shared/runtime/clock.ts';
import { randomIds } from '#shared/runtime/ids.ts';
import { measureFloor } from './load/floor.ts';
import { ms, summarize, type Summary } from './load/stats.ts';

const values = parseCliArgs(
  { messages: { type: 'string', default: '10000' }, 'latency-samples': { type: 'string', default: '500' } },
  'Usage: npm run bench:messaging -- [--messages 10000] [--latency-samples 500]',
);
const totalMessages = Number(values.messages);
const latencySamples = Number(values['latency-samples']);
const env = parseEnv(baseEnvSchema, { ...process.env, LOG_LEVEL: 'error' });
const logger = createLogger('bench-messaging', 'error');
const prefix = `benchmsg-${Date.now().toString(36)}-`;
const dbName = 'bench_messaging';
const customerId = '3fa85f64-5717-4562-b3fc-2c963f66afa6';

const connection = await createConnection({ host: env.DB_HOST, port: env.DB_PORT, user: env.DB_USER, password: env.DB_PASSWORD }).catch(
  (error: Error) => {
    console.error(`MariaDB does not answer on ${env.DB_HOST}:${env.DB_PORT} (${error.message}); start it with ./infra/up.sh`);
    process.exit(1);
  },
);
await connection.query(`drop database if exists ${dbName}`);
await connection.end();
const orm = await openOrm({ env, dbName, entities: [OutboxMessage, InboxMessage], migrations: [messagingMigration] });
await migrate(orm);
const kafka = createKafkajsClient({ clientId: 'bench-messaging', brokers: env.KAFKA_BROKERS, topicPrefix: prefix, ...kafkaSecurityOf(env) }, logger);
const admin = await kafka.admin().catch((error: Error) => {
  console.error(`Kafka does not answer on ${env.KAFKA_BROKERS.join(',')} (${error.message}); start it with ./infra/up.sh`);
  process.exit(1);
});
await admin.createTopics(topicLayout);
const producer = await kafka.producer();
const metrics = new Registry();
const pool = openSqlPool({ env, dbName, connectionLimit: 16 });
const relay = createOutboxRelay({ pool, producer, clock: systemClock, logger, metrics });
const publisher = createOutboxPublisher({ pool, producer, clock: systemClock, logger, metrics, nudgeRelay: () => relay.nudge() });
const outbox = createOutbox({ ids: randomIds, clock: systemClock, publisher });
const committedAt = new Map<string, number>();
const latencies: number[] = [];
let handled = 0;
let onHandled: (() => void) | null = null;
const consumer = createMessageConsumer({
  pool,
  kafka,
  producer,
  groupId: 'bench',
  logger,
  metrics,
  fromBeginning: false,
  routes: [
    route(topics.paymentRequest, async (_message, { envelope, tx }) => {
      tx.afterCommit(() => {
        const committed = committedAt.get(envelope.messageId);
        if (committed !== undefined) latencies.push(performance.now() - committed);
        handled++;
        onHandled?.();
      });
    }),
  ],
});
await consumer.start();

async function commitMessages(count: number): Promise<void> {
  const ids: string[] = [];
  const started = performance.now();
  await inTransaction(pool, async (tx) => {
    for (let i = 0; i < count; i++) {
      const orderId = randomUUID();
      ids.push(outbox.add(tx, { type: 'ChargePayment', orderId, payload: { customerId, amount: 1000 } }).messageId);
    }
    // Published right after COMMIT: the clock starts when the transaction began, like a handler's would.
    for (const id of ids) committedAt.set(id, started);
  });
}

function untilHandled(target: number): Promise<void> {
  return new Promise((resolve) => {
    onHandled = () => handled >= target && resolve();
    onHandled();
  });
}

console.log(`Messaging kernel benchmark (topics ${prefix}*, database ${dbName})`);
const floor = await measureFloor();

// 1. Latency: one message at a time, commit → handler.
for (let i = 0; i < latencySamples + 20; i++) {
  await commitMessages(1);
  await untilHandled(handled + 1);
}
const single = summarize(latencies.slice(20));

// 2. Throughput: totalMessages committed by 8 writers in transactions of 50, as fast as they go.
latencies.length = 0;
const startCount = handled;
const started = performance.now();
let committed = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (committed < totalMessages) {
      const batch = Math.min(50, totalMessages - committed);
      committed += batch;
      await commitMessages(batch);
    }
  }),
);
const committedMs = performance.now() - started;
await untilHandled(startCount + totalMessages);
const elapsedMs = performance.now() - started;
const underLoad = summarize(latencies);

const line = (label: string, s: Summary) =>
  console.log(`  ${label.padEnd(34)} p50 ${ms(s.p50).padStart(9)}  p95 ${ms(s.p95).padStart(9)}  p99 ${ms(s.p99).padStart(9)}  (n=${s.count})`);
console.log('\nFloor (same run)');
line('bare MariaDB commit', floor.dbCommit);
line('bare Kafka produce→consume', floor.kafkaRoundTrip);
console.log('\nCommit → handler, one message at a time');
line('latency', single);
console.log(`  = ${(single.p50 / floor.kafkaRoundTrip.p50).toFixed(1)} × the bare Kafka round trip at p50 (target ≤ 2×)`);
console.log(`\nThroughput: ${totalMessages} messages (8 writers, 50 per transaction), published on commit, through one consumer`);
console.log(
  `  committed in ${(committedMs / 1000).toFixed(2)} s, all handled after ${(elapsedMs / 1000).toFixed(2)} s → ${((totalMessages * 1000) / elapsedMs).toFixed(0)} messages/s (target ≥ 2,000)`,
);
line('commit → handler under that load', underLoad);

await consumer.stop();
await publisher.stop();
await relay.stop();
await pool.close();
await producer.disconnect();
await admin.deleteTopics(topicLayout.map((t) => t.name)).catch(() => {});
await admin.disconnect();
await orm.close(true);
process.exit(0);
