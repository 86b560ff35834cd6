import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedKafka, type IsolatedKafka } from '../../tests/support/isolated-kafka.ts';
import { eventually, freshDatabase, testEnv, testLogger } from '../../tests/support/test-infra.ts';
import { topics } from '../src/contracts/topics.ts';
import { messagingMigration } from '../src/db/messaging-migration.ts';
import { migrate, openOrm, type Orm } from '../src/db/orm.ts';
import { openSqlPool, type SqlPool } from '../src/db/sql-pool.ts';
import { rowsOf } from '../src/db/sql-transaction.ts';
import { InboxMessage } from '../src/inbox/inbox-message.entity.ts';
import { inboxRetentionJob } from '../src/inbox/inbox-retention.ts';
import { createMessageConsumer, route, type MessageConsumer } from '../src/inbox/message-consumer.ts';
import type { KafkaProducer } from '../src/kafka/kafka-client.ts';
import { OutboxMessage } from '../src/outbox/outbox-message.entity.ts';
import { systemClock } from '../src/runtime/clock.ts';

const dbName = 'inbox_retention_test';
const day = 24 * 60 * 60 * 1000;
let orm: Orm;
let pool: SqlPool;
let topicsOfTest: IsolatedKafka;
let producer: KafkaProducer;
let consumer: MessageConsumer;
const handled: string[] = [];

const chargeRecord = (messageId: string) =>
  JSON.stringify({
    messageId,
    type: 'ChargePayment',
    orderId: randomUUID(),
    sagaId: null,
    occurredAt: new Date().toISOString(),
    causationId: null,
    payload: { customerId: randomUUID(), amount: 100 },
  });

async function deliver(messageId: string, body = chargeRecord(messageId)): Promise<string> {
  await producer.send([{ topic: topics.paymentRequest, key: 'one-partition', value: body }]);
  return body;
}

async function inboxIds(): Promise<string[]> {
  return rowsOf<{ message_id: string }>(await pool.query('select message_id from inbox_message order by message_id')).map((row) => row.message_id);
}

async function inboxRow(messageId: string, receivedAt: Date): Promise<void> {
  await pool.query('insert into inbox_message (message_id, topic, type, received_at) values (?, ?, ?, ?)', [
    messageId,
    topics.paymentRequest,
    'ChargePayment',
    receivedAt,
  ]);
}

describe('inbox retention (real MariaDB and Kafka)', () => {
  beforeAll(async () => {
    await freshDatabase(dbName);
    orm = await openOrm({ env: testEnv, dbName, entities: [OutboxMessage, InboxMessage], migrations: [messagingMigration] });
    await migrate(orm);
    pool = openSqlPool({ env: testEnv, dbName, connectionLimit: 4 });
    topicsOfTest = await isolatedKafka('inbox-retention');
    producer = await topicsOfTest.kafka.producer();
    consumer = createMessageConsumer({
      pool,
      kafka: topicsOfTest.kafka,
      producer,
      groupId: `inbox-retention-${randomUUID()}`,
      logger: testLogger,
      metrics: new Registry(),
      fromBeginning: true,
      routes: [route(topics.paymentRequest, async (_message, { envelope }) => void handled.push(envelope.messageId))],
    });
    await consumer.start();
  });

  afterAll(async () => {
    await consumer?.stop();
    await producer?.disconnect();
    await topicsOfTest?.close();
    await pool?.close();
    await orm?.close(true);
  });

  it('deletes ids older than the retention in chunks, keeps recent ones, and a recent message delivered again is still skipped', async () => {
    const recent = randomUUID();
    const recentBody = await deliver(recent);
    await eventually(
      async () => handled.length,
      (count) => count === 1,
    );
    const now = systemClock.now();
    const old = Array.from({ length: 5 }, () => randomUUID());
    for (const id of old) await inboxRow(id, new Date(now.getTime() - 8 * day));
    const sixDaysOld = randomUUID();
    await inboxRow(sixDaysOld, new Date(now.getTime() - 6 * day));

    // A chunk of two: three statements take the five old rows.
    const deleted = await inboxRetentionJob({ pool, clock: systemClock, retentionMs: 7 * day, chunk: 2 }).run();

    expect(deleted).toBe(5);
    expect(await inboxIds()).toEqual([recent, sixDaysOld].sort());

    // The broker delivers the recent message again, then a new one behind it on the same partition.
    await deliver(recent, recentBody);
    const next = randomUUID();
    await deliver(next);
    await eventually(
      async () => handled.length,
      (count) => count >= 2,
    );
    expect(handled).toEqual([recent, next]);
  });
});
