import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicLayout } from '#shared/contracts/topics.ts';
import type { KafkaAdmin } from '#shared/kafka/kafka-client.ts';
import { createKafkajsClient } from '#shared/kafka/kafkajs-client.ts';
import { systemClock } from '#shared/runtime/clock.ts';
import { randomIds } from '#shared/runtime/ids.ts';
import { startService, type RunningService } from '#shared/runtime/service-host.ts';
import { openSagaProbe, type SagaProbe } from '../../tests/support/saga-probe.ts';
import { eventually, freshDatabase, testEnv, testKafkaSecurity, testLogger } from '../../tests/support/test-infra.ts';
import { createCreditQueries } from '../src/credits/credit-queries.ts';
import { createTopUpCredit } from '../src/credits/top-up-credit.ts';
import { paymentService } from '../src/payment-service.ts';
import { ledgerOf, newCustomer, sql } from './payment-test-kit.ts';

/**
 * How charges and refunds move a customer's credit: the decision and its reply are written first,
 * the credit row is updated last (guarded UPDATE + ledger row), and a refused debit rolls the
 * optimistic COMPLETED decision back to a savepoint. These tests pin what that mechanism must keep.
 * On topics of their own (prefix), so nothing else on the broker sees or sends these commands.
 */
const dbName = 'payment_hot_row_test';
const prefix = `it-payment-hot-row-${Date.now().toString(36)}-`;
let service: RunningService;
let probe: SagaProbe;
let admin: KafkaAdmin;

const charge = (orderId: string, customerId: string, amount: number) => probe.send('ChargePayment', orderId, { customerId, amount });
const refund = (orderId: string, customerId: string) => probe.send('RefundPayment', orderId, { customerId, reason: 'order cancelled' });

const creditOf = async (customerId: string) => (await createCreditQueries({ orm: service.deps.orm }).creditOf(customerId))!;

/** What the outbox holds for an order: every reply that was committed, rolled-back ones never. */
const outboxTypes = async (orderId: string): Promise<string[]> =>
  (await sql(service, 'select type from outbox_message where message_key = ? order by id', [orderId])).map((row) => row.type);

function expectLedgerChains(ledger: { amount: number; balanceAfter: number }[], opening: number): void {
  ledger.reduce((before, entry) => {
    expect(entry.balanceAfter).toBe(before + entry.amount);
    expect(entry.balanceAfter).toBeGreaterThanOrEqual(0);
    return entry.balanceAfter;
  }, opening);
}

describe('payment service: the credit row is touched last (real MariaDB + Kafka)', () => {
  beforeAll(async () => {
    const kafka = createKafkajsClient(
      { clientId: 'payment-hot-row-test', brokers: testEnv.KAFKA_BROKERS, topicPrefix: prefix, ...testKafkaSecurity },
      testLogger,
    );
    admin = await kafka.admin();
    await admin.createTopics(topicLayout);
    await freshDatabase(dbName);
    service = await startService(paymentService, {
      port: 0,
      dbName,
      env: {
        KAFKA_GROUP_ID: `payment-test-${randomUUID()}`,
        KAFKA_NEW_GROUP_FROM: 'latest',
        KAFKA_TOPIC_PREFIX: prefix,
        QUEUE_PREFIX: prefix.replace(/-$/, ''),
        LOG_LEVEL: 'warn',
      },
    });
    probe = await openSagaProbe(kafka, ['payment-response']);
  });

  afterAll(async () => {
    await probe?.close();
    await service?.stop();
    await admin?.deleteTopics(topicLayout.map((topic) => topic.name)).catch(() => {});
    await admin?.disconnect();
  });

  it('a refused debit leaves nothing of the optimistic COMPLETED decision: one FAILED payment, one PaymentFailed, no ledger row', async () => {
    const customerId = await newCustomer(service, 5_000);
    const tooMuch = randomUUID();
    await charge(tooMuch, customerId, 7_000);
    const [reply] = await probe.waitFor(tooMuch, 1);
    expect(reply).toMatchObject({
      type: 'PaymentFailed',
      payload: { code: 'INSUFFICIENT_CREDIT', reason: 'credit balance 5000 KRW does not cover 7000 KRW' },
    });
    expect(await outboxTypes(tooMuch)).toEqual(['PaymentFailed']);
    expect(await sql(service, 'select status, failure_code from payment where order_id = ?', [tooMuch])).toEqual([
      { status: 'FAILED', failure_code: 'INSUFFICIENT_CREDIT' },
    ]);
    expect(await creditOf(customerId)).toMatchObject({ balance: 5_000, version: 1, ledgerEntries: 0, consistent: true });

    const stranger = randomUUID();
    const unknown = randomUUID();
    await charge(unknown, stranger, 1_000);
    expect((await probe.waitFor(unknown, 1))[0]).toMatchObject({ type: 'PaymentFailed', payload: { code: 'UNKNOWN_CUSTOMER' } });
    expect(await outboxTypes(unknown)).toEqual(['PaymentFailed']);
    expect(await sql(service, 'select customer_id from customer_credit where customer_id = ?', [stranger])).toEqual([]);
  });

  it('charges and refunds bump the version, and a top-up (same credit book, row lock) continues from them', async () => {
    const customerId = await newCustomer(service, 10_000);
    const orderId = randomUUID();
    await charge(orderId, customerId, 3_000);
    expect((await probe.waitFor(orderId, 1))[0]!.type).toBe('PaymentCompleted');
    await refund(orderId, customerId);
    expect((await probe.waitFor(orderId, 2))[1]!.payload).toEqual({ amount: 3_000, nothingToRefund: false });
    expect(await outboxTypes(orderId)).toEqual(['PaymentCompleted', 'PaymentRefunded']);
    expect(await creditOf(customerId)).toMatchObject({ balance: 10_000, version: 3 });

    const topUp = await createTopUpCredit({ pool: service.deps.messaging.pool, clock: systemClock, ids: randomIds })({
      customerId,
      amount: 500,
      idempotencyKey: null,
      actor: 'ops-test',
    });
    expect(topUp).toMatchObject({ kind: 'toppedUp', entry: { balanceAfter: 10_500 } });
    expect(await creditOf(customerId)).toMatchObject({ balance: 10_500, version: 4, consistent: true });
    expect(await ledgerOf(service, customerId)).toEqual([
      { kind: 'CHARGE', orderId, amount: -3_000, balanceAfter: 7_000 },
      { kind: 'REFUND', orderId, amount: 3_000, balanceAfter: 10_000 },
      { kind: 'TOP_UP', orderId: null, amount: 500, balanceAfter: 10_500 },
    ]);
  });

  it('charges and refunds racing on one customer: every row of the ledger continues the one before, in id order', async () => {
    const opening = 60_000;
    const amount = 1_000;
    const customerId = await newCustomer(service, opening);
    const orderIds = Array.from({ length: 120 }, (): string => randomUUID());
    const refunded = orderIds.slice(0, 40);
    await Promise.all(orderIds.map((orderId) => charge(orderId, customerId, amount)));
    // Each refund follows its own order's charge on the order's partition; other orders race it.
    await Promise.all(refunded.map((orderId) => refund(orderId, customerId)));

    const expectedReplies = (orderId: string) => (refunded.includes(orderId) ? 2 : 1);
    const waiting = await eventually(
      async () => orderIds.filter((orderId) => probe.seen(orderId).length < expectedReplies(orderId)).length,
      (count) => count === 0,
      90_000,
      100,
    );
    expect(waiting).toBe(0);
    const charges = orderIds.map((orderId) => probe.seen(orderId)[0]!);
    const completed = charges.filter((reply) => reply.type === 'PaymentCompleted').length;
    const declineCodes = charges.filter((reply) => reply.type === 'PaymentFailed').map((reply) => (reply.payload as { code: string }).code);
    expect(new Set(declineCodes)).toEqual(new Set(completed < orderIds.length ? ['INSUFFICIENT_CREDIT'] : []));
    const moneyBack = refunded.filter((orderId) => !(probe.seen(orderId)[1]!.payload as { nothingToRefund: boolean }).nothingToRefund).length;
    expect(completed).toBeGreaterThanOrEqual(opening / amount);
    expect(completed - moneyBack).toBeLessThanOrEqual(opening / amount);

    const credit = await creditOf(customerId);
    expect(credit).toMatchObject({ balance: opening - (completed - moneyBack) * amount, consistent: true, version: 1 + completed + moneyBack });
    const ledger = await ledgerOf(service, customerId);
    expect(ledger).toHaveLength(completed + moneyBack);
    expect(ledger.filter((entry) => entry.kind === 'REFUND')).toHaveLength(moneyBack);
    expectLedgerChains(ledger, opening);
    expect(ledger.at(-1)!.balanceAfter).toBe(credit.balance);
  });
});
