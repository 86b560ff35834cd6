import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testEnv, testLogger } from '../../tests/support/test-infra.ts';
import { baseEnvSchema, inboxRetentionMsOf, parseEnv } from '../src/config/env.ts';
import { messagingMigration } from '../src/db/messaging-migration.ts';
import { migrate, openOrm, type Orm } from '../src/db/orm.ts';
import { openSqlPool, type SqlPool } from '../src/db/sql-pool.ts';
import { rowsOf } from '../src/db/sql-transaction.ts';
import { InboxMessage } from '../src/inbox/inbox-message.entity.ts';
import { inboxRetentionJob } from '../src/inbox/inbox-retention.ts';
import { cleanupEveryMs } from '../src/jobs/periodic-jobs.ts';
import type { KafkaProducer } from '../src/kafka/kafka-client.ts';
import { OutboxMessage } from '../src/outbox/outbox-message.entity.ts';
import { createOutboxRelay } from '../src/outbox/outbox-relay.ts';
import { systemClock } from '../src/runtime/clock.ts';

// The retentions a soak sets (OUTBOX_RETENTION_MS, INBOX_RETENTION_MS), as the messaging kernel reads them.
const env = parseEnv(baseEnvSchema, { OUTBOX_RETENTION_MS: '60000', INBOX_RETENTION_MS: '120000' });
const dbName = 'messaging_retention_test';
const minute = 60_000;
let orm: Orm;
let pool: SqlPool;

/** The relay only deletes here: nothing is sent. */
const noProducer: KafkaProducer = {
  send: () => Promise.reject(new Error('not in this test')),
  disconnect: () => Promise.resolve(),
};

async function outboxRow(messageId: string, createdAt: Date, sentAt: Date | null): Promise<void> {
  await pool.query(
    `insert into outbox_message (message_id, topic, message_key, type, body, created_at, attempts, next_attempt_at, sent_at)
     values (?, 'retention-test', ?, 'Test', '{}', ?, 0, ?, ?)`,
    [messageId, randomUUID(), createdAt, createdAt, sentAt],
  );
}

async function inboxRow(messageId: string, receivedAt: Date): Promise<void> {
  await pool.query("insert into inbox_message (message_id, topic, type, received_at) values (?, 'retention-test', 'Test', ?)", [
    messageId,
    receivedAt,
  ]);
}

const idsOf = async (table: string) =>
  rowsOf<{ message_id: string }>(await pool.query(`select message_id from ${table} order by message_id`)).map((row) => row.message_id);

describe('outbox and inbox retention of minutes (real MariaDB)', () => {
  beforeAll(async () => {
    await freshDatabase(dbName);
    orm = await openOrm({ env: testEnv, dbName, entities: [OutboxMessage, InboxMessage], migrations: [messagingMigration] });
    await migrate(orm);
    pool = openSqlPool({ env: testEnv, dbName, connectionLimit: 2 });
  });

  afterAll(async () => {
    await pool?.close();
    await orm?.close(true);
  });

  it('reads the retentions and derives cleanup periods that keep up with them (defaults unchanged)', () => {
    expect(env.OUTBOX_RETENTION_MS).toBe(minute);
    expect(inboxRetentionMsOf(env)).toBe(2 * minute);
    expect(cleanupEveryMs(env.OUTBOX_RETENTION_MS, minute)).toBe(15_000);
    expect(inboxRetentionJob({ pool, clock: systemClock, retentionMs: inboxRetentionMsOf(env) }).everyMs).toBe(30_000);
    const defaults = parseEnv(baseEnvSchema, {});
    expect(defaults.OUTBOX_RETENTION_MS).toBe(60 * minute);
    expect(inboxRetentionMsOf(defaults)).toBe(7 * 24 * 60 * minute);
    expect(cleanupEveryMs(defaults.OUTBOX_RETENTION_MS, minute)).toBe(minute);
    expect(inboxRetentionJob({ pool, clock: systemClock, retentionMs: inboxRetentionMsOf(defaults) }).everyMs).toBe(10 * minute);
  });

  it('OUTBOX_RETENTION_MS: sent rows older than it go; sent rows within it and unsent rows, however old, stay', async () => {
    const now = systemClock.now().getTime();
    const ago = (ms: number) => new Date(now - ms);
    const oldSent = Array.from({ length: 3 }, () => randomUUID());
    for (const id of oldSent) await outboxRow(id, ago(3 * minute), ago(2 * minute));
    const youngSent = randomUUID();
    await outboxRow(youngSent, ago(3 * minute), ago(30_000));
    const oldUnsent = randomUUID();
    await outboxRow(oldUnsent, ago(60 * minute), null);

    const relay = createOutboxRelay({ pool, producer: noProducer, clock: systemClock, logger: testLogger, metrics: new Registry() });
    try {
      expect(await relay.cleanup(env.OUTBOX_RETENTION_MS)).toBe(3);
      expect(await idsOf('outbox_message')).toEqual([youngSent, oldUnsent].sort());
      // Nothing more is due: a second run deletes nothing.
      expect(await relay.cleanup(env.OUTBOX_RETENTION_MS)).toBe(0);
    } finally {
      await relay.stop();
    }
  });

  it('INBOX_RETENTION_MS: ids received before it go, a chunk at a time; younger ones stay', async () => {
    const now = systemClock.now().getTime();
    const old = Array.from({ length: 5 }, () => randomUUID());
    for (const id of old) await inboxRow(id, new Date(now - 3 * minute));
    const young = randomUUID();
    await inboxRow(young, new Date(now - minute));

    expect(await inboxRetentionJob({ pool, clock: systemClock, retentionMs: inboxRetentionMsOf(env), chunk: 2 }).run()).toBe(5);
    expect(await idsOf('inbox_message')).toEqual([young]);
  });
});
