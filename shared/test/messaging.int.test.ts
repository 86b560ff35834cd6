import { spawn } from 'node:child_process';
import { Registry } from 'prom-client';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../tests/support/test-infra.ts';
import { deadLetterTopicOf, topics } from '../src/contracts/topics.ts';
import { deadLetterHeaders } from '../src/dead-letters/dead-letter-publisher.ts';
import { createMessageConsumer, route, type MessageConsumer } from '../src/inbox/message-consumer.ts';
import type { IncomingRecord, KafkaConsumer, KafkaProducer } from '../src/kafka/kafka-client.ts';
import { createOutboxRelay } from '../src/outbox/outbox-relay.ts';
import { createOutbox } from '../src/outbox/outbox.ts';
import { createOutboxPublisher } from '../src/outbox/outbox-publisher.ts';
import { inTransaction, rowsOf } from '../src/db/sql-transaction.ts';
import { systemClock } from '../src/runtime/clock.ts';
import { randomIds } from '../src/runtime/ids.ts';
import { applyEffect, effects, openMessagingFixture, testLogger, type MessagingFixture } from './messaging-fixture.ts';

const dbName = 'kernel_test';
const crashDbName = 'kernel_crash_test';
const customerId = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
let fixture: MessagingFixture;
let consumer: MessageConsumer;
let deadLetterConsumer: KafkaConsumer;
const deadLetters: IncomingRecord[] = [];
const poisonOrders = new Set<string>();
const handedToHandler: string[] = [];

/** Commits a charge command; the outbox publishes it on commit. */
async function commitCharge(orderId: string, amount: number, key?: string): Promise<void> {
  await inTransaction(fixture.pool, async (tx) => {
    fixture.outbox.add(tx, { type: 'ChargePayment', orderId, key, payload: { customerId, amount } });
  });
}

/** The outbox of a process that dies right after its COMMIT: its rows wait for a relay (no grace period). */
const diedAfterCommit = () =>
  createOutbox({
    ids: randomIds,
    clock: systemClock,
    graceMs: 0,
    publisher: { publish() {}, inFlightIds: () => [], takeMarks: () => null, drain: async () => {}, stop: async () => {} },
  });

async function commitLeftToRelay(orderId: string, amount: number, key?: string): Promise<void> {
  const outbox = diedAfterCommit();
  await inTransaction(fixture.pool, async (tx) => {
    outbox.add(tx, { type: 'ChargePayment', orderId, key, payload: { customerId, amount } });
  });
}

function relayWith(producer: KafkaProducer, batchSize?: number) {
  return createOutboxRelay({ pool: fixture.pool, producer, clock: systemClock, logger: testLogger, metrics: fixture.metrics, batchSize });
}

const rowsOfKey = async (key: string) =>
  rowsOf<{ body: string; sent_at: string | null; attempts: number }>(
    await fixture.pool.query('select body, sent_at, attempts from outbox_message where message_key = ? order by id', [key]),
  );

async function duplicatesSkipped(of: MessagingFixture = fixture): Promise<number> {
  const metric = await of.metrics.getSingleMetric('inbox_messages_handled_total')!.get();
  return metric.values.filter((v) => v.labels.outcome === 'duplicate').reduce((sum, v) => sum + v.value, 0);
}

const appliedOf = async (orderId: string) => (await effects(fixture)).get(orderId)?.applied ?? 0;

describe('messaging kernel against real MariaDB and Kafka', () => {
  beforeAll(async () => {
    fixture = await openMessagingFixture(dbName);
    consumer = createMessageConsumer({
      pool: fixture.pool,
      kafka: fixture.kafka,
      producer: fixture.producer,
      groupId: `kernel-test-${randomUUID()}`,
      logger: testLogger,
      metrics: fixture.metrics,
      fromBeginning: false,
      routes: [
        route(topics.paymentRequest, async (message, { tx, envelope }) => {
          handedToHandler.push(envelope.messageId);
          if (message.type !== 'ChargePayment') return;
          if (poisonOrders.has(envelope.orderId!)) throw new Error('handler bug for this order');
          applyEffect(tx, envelope.orderId!, message.payload.amount);
        }),
      ],
    });
    await consumer.start();
    deadLetterConsumer = await fixture.kafka.consumer({
      groupId: `kernel-test-dlq-${randomUUID()}`,
      topics: [deadLetterTopicOf(topics.paymentRequest)],
      fromBeginning: false,
    });
    await deadLetterConsumer.run(async (record) => {
      deadLetters.push(record);
    });
  });

  afterAll(async () => {
    await consumer?.stop();
    await deadLetterConsumer?.stop();
    await fixture?.close();
  });

  it('applies a committed message once although the broker delivers it twice', async () => {
    const orderId = randomUUID();
    const sentinel = randomUUID();
    await commitCharge(orderId, 100);
    // published on commit, and marked sent once the broker acknowledged it
    const [row] = await eventually(
      () => rowsOfKey(orderId),
      (rows) => rows[0]?.sent_at !== null,
    );
    expect(row.sent_at).not.toBeNull();
    await eventually(
      () => appliedOf(orderId),
      (n) => n === 1,
    );
    const before = await duplicatesSkipped();
    await fixture.producer.send([{ topic: topics.paymentRequest, key: orderId, value: row.body }]);
    await commitCharge(sentinel, 1, orderId); // same key → same partition, after the duplicate
    await eventually(
      () => appliedOf(sentinel),
      (n) => n === 1,
    );
    expect(await appliedOf(orderId)).toBe(1);
    expect(await duplicatesSkipped()).toBe(before + 1);
  });

  it('publishes again after a relay dies between publish and marking sent, and the effect stays single', async () => {
    const orderId = randomUUID();
    await commitLeftToRelay(orderId, 200);
    let calls = 0;
    const crashingProducer: KafkaProducer = {
      async send(records) {
        await fixture.producer.send(records);
        if (++calls === 1) throw new Error('relay crashed after publish, before marking sent');
      },
      disconnect: async () => {},
    };
    const relay = relayWith(crashingProducer);
    await relay.drain();
    const pending = await rowsOfKey(orderId);
    expect(pending[0]).toMatchObject({ attempts: 1, sent_at: null });
    await eventually(
      async () => {
        await relay.drain();
        return (await rowsOfKey(orderId)).filter((row) => row.sent_at === null).length;
      },
      (n) => n === 0,
    );
    expect(calls).toBe(2);
    await eventually(
      () => appliedOf(orderId),
      (n) => n === 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await appliedOf(orderId)).toBe(1);
  });

  it('absorbs a consumer killed after its commit but before the offset commit', async () => {
    // The crashing consumer keeps its inbox in a database of its own, so the suite's main consumer
    // (which also reads payment-request) cannot take the message first.
    const crashFixture = await openMessagingFixture(crashDbName);
    const groupId = `kernel-crash-${randomUUID()}`;
    const warmUp = randomUUID();
    const doomed = randomUUID();
    const child = spawn(process.execPath, [fileURLToPath(new URL('./crash-after-commit.child.ts', import.meta.url)), crashDbName, groupId, doomed], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk) => String(chunk).includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    await commitCharge(warmUp, 1, doomed);
    const crashApplied = async (orderId: string) => (await effects(crashFixture)).get(orderId)?.applied ?? 0;
    await eventually(
      () => crashApplied(warmUp),
      (n) => n >= 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // let the warm-up's offset commit
    await commitCharge(doomed, 300);
    expect(await exited).toBe('SIGKILL');
    expect(await crashApplied(doomed)).toBe(1);

    const resumed = createMessageConsumer({
      pool: crashFixture.pool,
      kafka: crashFixture.kafka,
      producer: crashFixture.producer,
      groupId,
      logger: testLogger,
      metrics: crashFixture.metrics,
      routes: [
        route(topics.paymentRequest, async (message, { tx, envelope }) => {
          if (message.type === 'ChargePayment') applyEffect(tx, envelope.orderId!, message.payload.amount);
        }),
      ],
    });
    await resumed.start();
    try {
      await eventually(
        () => duplicatesSkipped(crashFixture),
        (n) => n > 0,
      );
      expect(await crashApplied(doomed)).toBe(1);
    } finally {
      await resumed.stop();
      await crashFixture.close();
    }
  });

  it('publishes nothing for a rolled-back transaction', async () => {
    const orderId = randomUUID();
    await expect(
      inTransaction(fixture.pool, async (tx) => {
        fixture.outbox.add(tx, { type: 'ChargePayment', orderId, payload: { customerId, amount: 5 } });
        await tx.run([{ sql: 'select 1' }]);
        throw new Error('business rule failed after the outbox row was queued');
      }),
    ).rejects.toThrow('business rule failed');
    expect(await rowsOfKey(orderId)).toEqual([]);
    const sentinel = randomUUID();
    await commitCharge(sentinel, 1, orderId);
    await eventually(
      () => appliedOf(sentinel),
      (n) => n === 1,
    );
    expect(await appliedOf(orderId)).toBe(0);
  });

  it('marks published rows sent in the COMMIT of the next transaction, and on their own again when that one fails', async () => {
    // Marking on its own is held back for a minute, so only a transaction can mark the rows here.
    const registry = new Registry();
    const publisher = createOutboxPublisher({
      pool: fixture.pool,
      producer: fixture.producer,
      clock: systemClock,
      logger: testLogger,
      metrics: registry,
      nudgeRelay: () => {},
      markDelayMs: 60_000,
    });
    const outbox = createOutbox({ ids: randomIds, clock: systemClock, publisher });
    const piggybacked = async () => (await registry.getSingleMetric('outbox_marks_in_transactions_total')!.get()).values[0]?.value ?? 0;
    const sentFromMemory = async () =>
      (await registry.getSingleMetric('outbox_rows_on_commit_total')!.get()).values.find((v) => v.labels.path === 'memory')?.value ?? 0;
    const commit = (orderId: string, extra?: string) =>
      inTransaction(fixture.pool, async (tx) => {
        outbox.add(tx, { type: 'ChargePayment', orderId, payload: { customerId, amount: 1 } });
        if (extra) tx.beforeCommit(() => ({ statements: [{ sql: extra }] }));
      });
    const [first, failing, third] = [randomUUID(), randomUUID(), randomUUID()];
    try {
      await commit(first);
      await eventually(sentFromMemory, (n) => n === 1);
      expect((await rowsOfKey(first))[0]!.sent_at).toBeNull();

      // The statement group after the mark fails: the transaction rolls back, the mark with it.
      await expect(commit(failing, 'insert into no_such_table values (1)')).rejects.toThrow('no_such_table');
      expect(await rowsOfKey(failing)).toEqual([]);
      expect((await rowsOfKey(first))[0]!.sent_at).toBeNull();
      expect(await piggybacked()).toBe(0);

      // The next transaction that commits marks the first row (the failed one handed it back).
      await commit(third);
      expect((await rowsOfKey(first))[0]!.sent_at).not.toBeNull();
      expect(await piggybacked()).toBe(1);
      expect((await rowsOfKey(third))[0]!.sent_at).toBeNull();
    } finally {
      await publisher.stop();
    }
    expect((await rowsOfKey(third))[0]!.sent_at).not.toBeNull();
  });

  it('types what a producer may queue by its message type (a wrong payload does not compile)', async () => {
    const orderId = randomUUID();
    await expect(
      inTransaction(fixture.pool, async (tx) => {
        // @ts-expect-error ChargePayment's amount is a number of KRW
        fixture.outbox.add(tx, { type: 'ChargePayment', orderId, payload: { customerId, amount: 'a lot' } });
        // @ts-expect-error there is no such message type
        fixture.outbox.add(tx, { type: 'ChargeEverything', orderId, payload: {} });
      }),
    ).rejects.toThrow('no topic carries message type ChargeEverything');
    expect(await rowsOfKey(orderId)).toEqual([]);
  });

  it('lets two relays share one outbox: every row once, per-key order kept', async () => {
    const keys = Array.from({ length: 20 }, () => randomUUID());
    const perKey = 25;
    const outbox = diedAfterCommit();
    await inTransaction(fixture.pool, async (tx) => {
      for (let sequence = 1; sequence <= perKey; sequence++) {
        for (const key of keys) outbox.add(tx, { type: 'ChargePayment', orderId: key, payload: { customerId, amount: sequence } });
      }
    });
    const secondProducer = await fixture.kafka.producer();
    const before = await duplicatesSkipped();
    try {
      const relays = [relayWith(fixture.producer, 37), relayWith(secondProducer, 23)];
      await Promise.all([0, 1, 2, 3].map((i) => relays[i % 2].drain()));
      await Promise.all(relays.map((relay) => relay.drain()));
      const all = await eventually(
        () => effects(fixture),
        (map) => keys.every((key) => (map.get(key)?.applied ?? 0) >= perKey),
        30_000,
      );
      for (const key of keys) {
        expect(all.get(key)).toEqual({ applied: perKey, amounts: Array.from({ length: perKey }, (_, i) => i + 1) });
      }
      expect(await duplicatesSkipped()).toBe(before);
    } finally {
      await secondProducer.disconnect();
    }
  });

  it('dead-letters malformed and schema-invalid records with their reason and keeps the partition flowing', async () => {
    const key = randomUUID();
    const invalid = {
      messageId: randomUUID(),
      type: 'ChargePayment',
      orderId: key,
      sagaId: key,
      occurredAt: new Date().toISOString(),
      causationId: null,
      payload: { customerId, amount: 'a lot' },
    };
    await fixture.producer.send([
      { topic: topics.paymentRequest, key, value: '{"not json' },
      { topic: topics.paymentRequest, key, value: JSON.stringify(invalid) },
    ]);
    const next = randomUUID();
    await commitCharge(next, 7, key);
    await eventually(
      () => appliedOf(next),
      (n) => n === 1,
    );
    const mine = await eventually(
      async () => deadLetters.filter((record) => record.key === key),
      (records) => records.length === 2,
    );
    expect(mine.map((record) => record.headers[deadLetterHeaders.reason])).toEqual([
      expect.stringContaining('malformed JSON'),
      expect.stringContaining('invalid ChargePayment message: payload.amount'),
    ]);
    expect(mine[0].headers[deadLetterHeaders.originalTopic]).toBe(topics.paymentRequest);
    expect(mine[0].value?.toString()).toBe('{"not json');
    expect(handedToHandler).not.toContain(invalid.messageId);
  });

  it('dead-letters a message whose handler keeps failing, then handles the next one', async () => {
    const poisoned = randomUUID();
    poisonOrders.add(poisoned);
    await commitCharge(poisoned, 9);
    const next = randomUUID();
    await commitCharge(next, 9, poisoned);
    await eventually(
      () => appliedOf(next),
      (n) => n === 1,
    );
    const [letter] = await eventually(
      async () => deadLetters.filter((record) => record.key === poisoned),
      (records) => records.length === 1,
    );
    expect(letter.headers[deadLetterHeaders.reason]).toMatch(/handler failed 3 times: Error: handler bug for this order/);
    expect(await appliedOf(poisoned)).toBe(0);
  });
});
