import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboxRelay } from '../src/outbox/outbox-relay.ts';
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

async function queue(orderId: string, amount: number): Promise<void> {
  await fixture.orm.em.fork().transactional(async (em) => {
    fixture.outbox.add(em, { type: 'ChargePayment', orderId, payload: { customerId, amount } });
  });
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
    await fixture.orm.em.fork().execute(
      `update outbox_message set attempts = 1, next_attempt_at = date_add(now(3), interval 1 minute)
        where message_key = ? order by id limit 1`,
      [held],
    );
    const producer = recordingProducer();
    await createOutboxRelay({ orm: fixture.orm, producer, logger: testLogger, metrics: fixture.metrics }).drain();
    expect(amountsSent(producer, other)).toEqual([1]);
    expect(amountsSent(producer, held)).toEqual([]);
    const pending = await fixture.orm.em
      .fork()
      .execute<{ n: number }[]>('select count(*) as n from outbox_message where message_key = ? and sent_at is null', [held]);
    expect(Number(pending[0].n)).toBe(2);
  });

  it('does not publish a newer row of a key whose older row another relay has claimed', async () => {
    const claimed = randomUUID();
    await queue(claimed, 1);
    await queue(claimed, 2);
    const producer = recordingProducer();
    const relay = createOutboxRelay({ orm: fixture.orm, producer, logger: testLogger, metrics: fixture.metrics });
    // Another relay's transaction (its own connection) holds the older row, claimed and being sent.
    const other = await createConnection({ host: testEnv.DB_HOST, port: testEnv.DB_PORT, user: testEnv.DB_USER, password: testEnv.DB_PASSWORD, database: dbName });
    try {
      const [[older]] = (await other.query('select min(id) as id from outbox_message where message_key = ?', [claimed])) as unknown as [{ id: number }[]];
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
});
