import type { MigrationObject } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';
import { Registry } from 'prom-client';
import { isolatedKafka } from '../../tests/support/isolated-kafka.ts';
import { freshDatabase, testEnv, testLogger } from '../../tests/support/test-infra.ts';
import { messagingMigration } from '../src/db/messaging-migration.ts';
import { migrate, openOrm, type Orm } from '../src/db/orm.ts';
import { openSqlPool, type SqlPool } from '../src/db/sql-pool.ts';
import { rowsOf, type SqlTransaction } from '../src/db/sql-transaction.ts';
import { InboxMessage } from '../src/inbox/inbox-message.entity.ts';
import type { KafkaClient, KafkaProducer } from '../src/kafka/kafka-client.ts';
import { createOutbox, type Outbox } from '../src/outbox/outbox.ts';
import { createOutboxPublisher, type OutboxPublisher } from '../src/outbox/outbox-publisher.ts';
import { createOutboxRelay, type OutboxRelay } from '../src/outbox/outbox-relay.ts';
import { OutboxMessage } from '../src/outbox/outbox-message.entity.ts';
import { systemClock } from '../src/runtime/clock.ts';
import { randomIds } from '../src/runtime/ids.ts';

/** A stand-in business table: how many times a message's effect was applied. */
class CreateEffectTable extends Migration {
  override up(): void {
    this.addSql('create table if not exists test_effect (order_id varchar(36) primary key, applied int not null, amounts json not null)');
  }
}
const effectMigration: MigrationObject = { name: '9000-test-effect', class: CreateEffectTable };

/** Shared by the suite and the child process it kills; kept between runs (creating them is idempotent). */
const kernelTopicPrefix = 'it-kernel-';

export interface MessagingFixture {
  orm: Orm;
  pool: SqlPool;
  kafka: KafkaClient;
  producer: KafkaProducer;
  /** Publishes on commit (with the fixture's relay as its safety net). */
  outbox: Outbox;
  publisher: OutboxPublisher;
  relay: OutboxRelay;
  metrics: Registry;
  close(): Promise<void>;
}

export async function openMessagingFixture(dbName: string): Promise<MessagingFixture> {
  await freshDatabase(dbName);
  return openMessagingFixture.reuse(dbName);
}

/** Opens the fixture on an existing database (e.g. from a child process). */
openMessagingFixture.reuse = async function reuse(dbName: string): Promise<MessagingFixture> {
  const orm = await openOrm({
    env: testEnv,
    dbName,
    entities: [OutboxMessage, InboxMessage],
    migrations: [messagingMigration, effectMigration],
  });
  await migrate(orm);
  // Topics of the kernel tests' own (the crash test's child process joins the same ones).
  const topicsOfTests = await isolatedKafka('kernel', kernelTopicPrefix);
  const kafka = topicsOfTests.kafka;
  const producer = await kafka.producer();
  const pool = openSqlPool({ env: testEnv, dbName, connectionLimit: 8 });
  const metrics = new Registry();
  const relay = createOutboxRelay({ pool, producer, clock: systemClock, logger: testLogger, metrics });
  const publisher = createOutboxPublisher({ pool, producer, clock: systemClock, logger: testLogger, metrics, nudgeRelay: () => relay.nudge() });
  return {
    orm,
    pool,
    kafka,
    producer,
    outbox: createOutbox({ ids: randomIds, clock: systemClock, publisher }),
    publisher,
    relay,
    metrics,
    async close() {
      await publisher.stop();
      await relay.stop();
      await producer.disconnect();
      await pool.close();
      await orm.close(true);
    },
  };
};

/** The business effect a test handler applies (with the batch's commit): counts applications and remembers amounts in order. */
export function applyEffect(tx: SqlTransaction, orderId: string, amount: number): void {
  tx.beforeCommit(() => ({
    statements: [
      {
        sql: `insert into test_effect (order_id, applied, amounts) values (?, 1, json_array(?))
                on duplicate key update applied = applied + 1, amounts = json_array_append(amounts, '$', ?)`,
        params: [orderId, amount, amount],
      },
    ],
  }));
}

export async function effects(of: { pool: SqlPool }): Promise<Map<string, { applied: number; amounts: number[] }>> {
  const rows = rowsOf<{ order_id: string; applied: number; amounts: string | number[] }>(
    await of.pool.query('select order_id, applied, amounts from test_effect'),
  );
  return new Map(
    rows.map((row) => [
      row.order_id,
      { applied: Number(row.applied), amounts: typeof row.amounts === 'string' ? JSON.parse(row.amounts) : row.amounts },
    ]),
  );
}

export { testLogger };
