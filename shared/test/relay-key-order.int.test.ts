import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboxRelay } from '../src/outbox/outbox-relay.ts';
import { createOutbox, type Outbox } from '../src/outbox/outbox.ts';
import { createOutboxPublisher } from '../src/outbox/outbox-publisher.ts';
import { inTransaction, rowsOf } from '../src/db/sql-transaction.ts';
import { systemClock } from '../src/runtime/clock.ts';
import { randomIds } from '../src/runtime/ids.ts';
import type { KafkaProducer, OutgoingRecord } from '../src/kafka/kafka-client.ts';
import { createConnection } from 'mysql2/promise';
import { testEnv } from '../../tests/support/test-infra.ts';
import { openMessagingFixture, testLogger, type MessagingFixture } from './messaging-fixture.ts';

/**
 * Per-key order across relays, made deterministic: an older row of a key is held back (by a failed
 * send's backoff, or by another relay's open transaction) and the newer row of the same key must
 * not be published meanwhile, while other keys flow. A recording producer sees exactly what a relay
 * would have put on the wire.
 */
const customerId = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
const dbName = 'kernel_relay_order_test';
let fixture: MessagingFixture;

function recordingProducer(): KafkaProducer & { sent: OutgoingRecord[] } {
  const sent: OutgoingRecord[] = [];
  return { sent, send: async (records) => void sent.push(...records), disconnect: async () => {} };
}

/** Rows of a process that died right after its COMMIT: only a relay will publish them. */
const leftToRelay = createOutbox({
  ids: randomIds,
  clock: systemClock,
  graceMs: 0,
  publisher: { publish() {}, inFlightIds: () => [], takeMarks: () => null, drain: async () => {}, stop: async () => {} },
});

async function queue(orderId: string, amount: number, outbox: Outbox = leftToRelay): Promise<void> {
  await inTransaction(fixture.pool, async (tx) => {
    outbox.add(tx, { type: 'ChargePayment', orderId, payload: { customerId, amount } });
  });
}

const relayWith = (producer: KafkaProducer) =>
  createOutboxRelay({ pool: fixture.pool, producer, clock: systemClock, logger: testLogger, metrics: fixture.metrics });
const pendingOf = async (key: string) =>
  Number(
    rowsOf<{ n: number }>(await fixture.pool.query('select count(*) as n from outbox_message where message_key = ? and sent_at is null', [key]))[0].n,
  );

/** The oldest row of the key failed to send: its next attempt is a minute away. */
async function heldBack(key: string): Promise<void> {
  await fixture.pool.query(
    `update outbox_message set attempts = 1, next_attempt_at = date_add(utc_timestamp(3), interval 1 minute) where message_key = ? order by id limit 1`,
    [key],
  );
}

const amountsSent = (producer: { sent: OutgoingRecord[] }, key: string) =>
  producer.sent.filter((record) => record.key === key).map((record) => JSON.parse(String(record.value)).payload.amount as number);

describe('outbox relay: per-key order with an older row held back', () => {
  beforeAll(async () => {
    fixture = await openMessagingFixture(dbName);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('does not publish a newer row of a key whose older row waits out a failed send', async () => {
    const held = randomUUID();
    const other = randomUUID();
    await queue(held, 1);
    await queue(held, 2);
    await queue(other, 1);
    // The older row failed to send: its next attempt is a minute away.
    await heldBack(held);
    const producer = recordingProducer();
    await relayWith(producer).drain();
    expect(amountsSent(producer, other)).toEqual([1]);
    expect(amountsSent(producer, held)).toEqual([]);
    expect(await pendingOf(held)).toBe(2);
  });

  it('does not publish a newer row of a key whose older row another relay has claimed', async () => {
    const claimed = randomUUID();
    await queue(claimed, 1);
    await queue(claimed, 2);
    const producer = recordingProducer();
    const relay = relayWith(producer);
    // Another relay's transaction (its own connection) holds the older row, claimed and being sent.
    const other = await createConnection({
      host: testEnv.DB_HOST,
      port: testEnv.DB_PORT,
      user: testEnv.DB_USER,
      password: testEnv.DB_PASSWORD,
      database: dbName,
    });
    try {
      const [[older]] = (await other.query('select min(id) as id from outbox_message where message_key = ?', [claimed])) as unknown as [
        { id: number }[],
      ];
      await other.query('start transaction');
      // By primary key: exactly that row is locked, as a relay's claim locks the rows it sends.
      await other.query('select id from outbox_message where id = ? for update', [older.id]);
      await relay.drain();
      await other.query('rollback');
    } finally {
      await other.end();
    }
    expect(amountsSent(producer, claimed)).toEqual([]);
    // Once it is gone (here: released unsent), the two go out in their order.
    await relay.drain();
    expect(amountsSent(producer, claimed)).toEqual([1, 2]);
  });

  it('publishes on commit only when no older row of the key is unsent, and leaves the rest to the relay in order', async () => {
    const held = randomUUID();
    const free = randomUUID();
    await queue(held, 1);
    await heldBack(held);
    const producer = recordingProducer();
    const relay = relayWith(producer);
    const publisher = createOutboxPublisher({
      pool: fixture.pool,
      producer,
      clock: systemClock,
      logger: testLogger,
      metrics: fixture.metrics,
      nudgeRelay: () => relay.nudge(),
    });
    const onCommit = createOutbox({ ids: randomIds, clock: systemClock, publisher });
    await queue(held, 2, onCommit);
    await queue(free, 1, onCommit);
    await publisher.drain();
    await relay.drain();
    expect(amountsSent(producer, free)).toEqual([1]);
    expect(amountsSent(producer, held)).toEqual([]);
    expect(await pendingOf(free)).toBe(0);
    // once the older row may go again, both go, in their order
    await fixture.pool.query('update outbox_message set next_attempt_at = utc_timestamp(3) where message_key = ?', [held]);
    await relay.drain();
    expect(amountsSent(producer, held)).toEqual([1, 2]);
    await publisher.stop();
    await relay.stop();
  });
});
