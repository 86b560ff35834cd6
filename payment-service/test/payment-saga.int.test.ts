import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '#shared/contracts/envelope.ts';
import type { RunningService } from '#shared/runtime/service-host.ts';
import { openSagaProbe, type SagaProbe } from '../../tests/support/saga-probe.ts';
import { isolatedKafka, type IsolatedKafka } from '../../tests/support/isolated-kafka.ts';
import { eventually, freshDatabase } from '../../tests/support/test-infra.ts';
import { call, ledgerOf, newCustomer, sql, startPaymentService } from './payment-test-kit.ts';

const dbName = 'payment_test';
let service: RunningService;
let probe: SagaProbe;

const charge = (orderId: string, customerId: string, amount: number) => probe.send('ChargePayment', orderId, { customerId, amount });
const refund = (orderId: string, customerId: string) => probe.send('RefundPayment', orderId, { customerId, reason: 'order cancelled' });

/** Waits for the order's n-th reply on payment-response and checks it answers `command`. */
async function nthReply(orderId: string, n: number, command: Envelope): Promise<Envelope> {
  const replies = await probe.waitFor(orderId, n);
  const reply = replies[n - 1]!;
  expect(reply.orderId).toBe(orderId);
  expect(reply.causationId).toBe(command.messageId);
  return reply;
}

const balanceOf = async (customerId: string): Promise<number> => (await call(service, `/api/v1/credits/${customerId}`)).body.balance;

async function expectLedgerConsistent(customerId: string): Promise<void> {
  const credit = (await call(service, `/api/v1/credits/${customerId}`)).body;
  expect(credit.ledgerConsistent).toBe(true);
  expect(credit.balance).toBe(credit.openingBalance + credit.ledgerSum);
}

let topics: IsolatedKafka;

describe('payment service as a saga participant (real MariaDB + Kafka)', () => {
  beforeAll(async () => {
    await freshDatabase(dbName);
    topics = await isolatedKafka('payment-saga');
    service = await startPaymentService(dbName, topics);
    probe = await openSagaProbe(topics.kafka, ['payment-response']);
  });

  afterAll(async () => {
    await probe?.close();
    await service?.stop();
    await topics?.close();
  });

  it('charges a customer whose credit covers the amount: COMPLETED, balance and ledger moved once', async () => {
    const customerId = await newCustomer(service, 100_000);
    const orderId = randomUUID();
    const command = await charge(orderId, customerId, 15_000);

    const reply = await nthReply(orderId, 1, command);
    expect(reply.type).toBe('PaymentCompleted');
    expect(reply.payload).toEqual({ paymentId: expect.any(String), amount: 15_000 });

    const payment = await call(service, `/api/v1/payments/${orderId}`);
    expect(payment.status).toBe(200);
    expect(payment.body).toMatchObject({
      paymentId: (reply.payload as { paymentId: string }).paymentId,
      orderId,
      customerId,
      status: 'COMPLETED',
      amount: 15_000,
      failureCode: null,
      failureReason: null,
    });
    expect(await balanceOf(customerId)).toBe(85_000);
    expect(await ledgerOf(service, customerId)).toEqual([{ kind: 'CHARGE', orderId, amount: -15_000, balanceAfter: 85_000 }]);
    await expectLedgerConsistent(customerId);
  });

  it('answers a duplicate delivery once and a repeated charge with the first answer; money moves once', async () => {
    const customerId = await newCustomer(service, 50_000);
    const orderId = randomUUID();
    const first = await charge(orderId, customerId, 20_000);
    const firstReply = await nthReply(orderId, 1, first);
    expect(firstReply.type).toBe('PaymentCompleted');

    await probe.resend(first); // the broker delivers the same message again: skipped by the inbox
    const repeated = await charge(orderId, customerId, 20_000); // the saga retries with a new message id
    // Same partition, so the duplicate was handled before the repeat: had it answered, its reply would come first.
    const secondReply = await nthReply(orderId, 2, repeated);
    expect(secondReply.type).toBe('PaymentCompleted');
    expect(secondReply.payload).toEqual(firstReply.payload);
    expect(probe.seen(orderId)).toHaveLength(2);

    expect(await balanceOf(customerId)).toBe(30_000);
    expect(await ledgerOf(service, customerId)).toHaveLength(1);
    expect(await sql(service, 'select id from payment where order_id = ?', [orderId])).toHaveLength(1);
  });

  it('declines a charge the credit does not cover (INSUFFICIENT_CREDIT) and takes nothing', async () => {
    const customerId = await newCustomer(service, 5_000);
    const tooMuch = randomUUID();
    const command = await charge(tooMuch, customerId, 5_001);
    const reply = await nthReply(tooMuch, 1, command);
    expect(reply.type).toBe('PaymentFailed');
    expect(reply.payload).toMatchObject({ code: 'INSUFFICIENT_CREDIT', reason: expect.stringContaining('5001') });
    expect(await balanceOf(customerId)).toBe(5_000);
    expect(await ledgerOf(service, customerId)).toEqual([]);
    expect((await call(service, `/api/v1/payments/${tooMuch}`)).body).toMatchObject({
      status: 'FAILED',
      failureCode: 'INSUFFICIENT_CREDIT',
      amount: 5_001,
    });

    // Repeating the declined order declines again, even though the credit would now… still not cover it.
    const again = await charge(tooMuch, customerId, 5_001);
    expect((await nthReply(tooMuch, 2, again)).payload).toEqual(reply.payload);

    // Exactly the balance is enough.
    const exact = randomUUID();
    const exactCommand = await charge(exact, customerId, 5_000);
    expect((await nthReply(exact, 1, exactCommand)).type).toBe('PaymentCompleted');
    expect(await balanceOf(customerId)).toBe(0);
    await expectLedgerConsistent(customerId);
  });

  it('declines a charge for an unknown customer (UNKNOWN_CUSTOMER)', async () => {
    const stranger = randomUUID();
    const orderId = randomUUID();
    const command = await charge(orderId, stranger, 1_000);
    const reply = await nthReply(orderId, 1, command);
    expect(reply.type).toBe('PaymentFailed');
    expect(reply.payload).toMatchObject({ code: 'UNKNOWN_CUSTOMER' });
    expect((await call(service, `/api/v1/payments/${orderId}`)).body).toMatchObject({ status: 'FAILED', failureCode: 'UNKNOWN_CUSTOMER' });
    expect((await call(service, `/api/v1/credits/${stranger}`)).status).toBe(404);
    expect(await sql(service, 'select id from credit_history where order_id = ?', [orderId])).toEqual([]);
  });

  it('refunds a completed payment once: REFUNDED, balance restored; a second refund refunds nothing', async () => {
    const customerId = await newCustomer(service, 40_000);
    const orderId = randomUUID();
    const charged = await charge(orderId, customerId, 12_345);
    const completed = await nthReply(orderId, 1, charged);
    expect(completed.type).toBe('PaymentCompleted');
    expect(await balanceOf(customerId)).toBe(40_000 - 12_345);

    const firstRefund = await refund(orderId, customerId);
    const refunded = await nthReply(orderId, 2, firstRefund);
    expect(refunded.type).toBe('PaymentRefunded');
    expect(refunded.payload).toEqual({ amount: 12_345, nothingToRefund: false });
    expect(await balanceOf(customerId)).toBe(40_000);
    expect((await call(service, `/api/v1/payments/${orderId}`)).body).toMatchObject({ status: 'REFUNDED', amount: 12_345 });

    const secondRefund = await refund(orderId, customerId);
    expect((await nthReply(orderId, 3, secondRefund)).payload).toEqual({ amount: 12_345, nothingToRefund: true });

    // A charge arriving after the refund is a repeat: the charge's own answer again, no money taken.
    const lateCharge = await charge(orderId, customerId, 12_345);
    const lateReply = await nthReply(orderId, 4, lateCharge);
    expect(lateReply).toMatchObject({ type: 'PaymentCompleted', payload: completed.payload });

    expect(await balanceOf(customerId)).toBe(40_000);
    expect(await ledgerOf(service, customerId)).toEqual([
      { kind: 'CHARGE', orderId, amount: -12_345, balanceAfter: 27_655 },
      { kind: 'REFUND', orderId, amount: 12_345, balanceAfter: 40_000 },
    ]);
    await expectLedgerConsistent(customerId);
  });

  it('refunds nothing for a declined charge', async () => {
    const customerId = await newCustomer(service, 1_000);
    const orderId = randomUUID();
    const charged = await charge(orderId, customerId, 2_000);
    expect((await nthReply(orderId, 1, charged)).type).toBe('PaymentFailed');
    const refundCommand = await refund(orderId, customerId);
    expect((await nthReply(orderId, 2, refundCommand)).payload).toEqual({ amount: 0, nothingToRefund: true });
    expect(await balanceOf(customerId)).toBe(1_000);
    expect((await call(service, `/api/v1/payments/${orderId}`)).body.status).toBe('FAILED');
  });

  it('remembers a refund that overtook its charge: the late charge fails with ORDER_ALREADY_REFUNDED and takes nothing', async () => {
    const customerId = await newCustomer(service, 30_000);
    const orderId = randomUUID();
    const early = await refund(orderId, customerId);
    expect((await nthReply(orderId, 1, early)).payload).toEqual({ amount: 0, nothingToRefund: true });
    expect((await call(service, `/api/v1/payments/${orderId}`)).body).toMatchObject({
      status: 'FAILED',
      failureCode: 'ORDER_ALREADY_REFUNDED',
      amount: 0,
    });

    const late = await charge(orderId, customerId, 10_000);
    const reply = await nthReply(orderId, 2, late);
    expect(reply.type).toBe('PaymentFailed');
    expect(reply.payload).toMatchObject({ code: 'ORDER_ALREADY_REFUNDED' });

    const refundAgain = await refund(orderId, customerId);
    expect((await nthReply(orderId, 3, refundAgain)).payload).toEqual({ amount: 0, nothingToRefund: true });
    expect(await balanceOf(customerId)).toBe(30_000);
    expect(await ledgerOf(service, customerId)).toEqual([]);
  });

  it('300 concurrent charges against one customer: never negative, exactly floor(balance / amount) complete', async () => {
    const opening = 123_456;
    const amount = 1_000;
    const customerId = await newCustomer(service, opening);
    const orderIds = Array.from({ length: 300 }, () => randomUUID());
    const commands = await Promise.all(orderIds.map((orderId) => charge(orderId, customerId, amount)));

    const answered = await eventually(
      async () => orderIds.filter((orderId) => probe.seen(orderId).length > 0).length,
      (count) => count === orderIds.length,
      90_000,
      100,
    );
    expect(answered).toBe(300);
    const replies = orderIds.map((orderId) => probe.seen(orderId));
    expect(replies.every((list) => list.length === 1)).toBe(true);
    replies.forEach(([reply], index) => expect(reply!.causationId).toBe(commands[index]!.messageId));
    const completed = replies.filter(([reply]) => reply!.type === 'PaymentCompleted');
    const failed = replies.filter(([reply]) => reply!.type === 'PaymentFailed');
    expect(completed).toHaveLength(Math.floor(opening / amount));
    expect(failed).toHaveLength(300 - Math.floor(opening / amount));
    expect(failed.every(([reply]) => (reply!.payload as { code: string }).code === 'INSUFFICIENT_CREDIT')).toBe(true);

    expect(await balanceOf(customerId)).toBe(opening % amount);
    const ledger = await ledgerOf(service, customerId);
    expect(ledger).toHaveLength(Math.floor(opening / amount));
    expect(Math.min(...ledger.map((entry) => entry.balanceAfter))).toBeGreaterThanOrEqual(0);
    // Each row continues from the one before: no lost update, no interleaving.
    ledger.reduce((before, entry) => {
      expect(entry.balanceAfter).toBe(before + entry.amount);
      return entry.balanceAfter;
    }, opening);
    await expectLedgerConsistent(customerId);
    const counts = await sql(service, 'select status, count(*) as n from payment where customer_id = ? group by status', [customerId]);
    expect(Object.fromEntries(counts.map((row) => [row.status, Number(row.n)]))).toEqual({
      COMPLETED: Math.floor(opening / amount),
      FAILED: 300 - Math.floor(opening / amount),
    });

    const audit = await call(service, '/api/v1/credits/ledger-check');
    expect(audit.body).toMatchObject({ consistent: true, inconsistent: [] });
  });
});
