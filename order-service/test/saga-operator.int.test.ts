import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicLayout } from '#shared/contracts/topics.ts';
import { createKafkajsClient } from '#shared/kafka/kafkajs-client.ts';
import type { KafkaProducer } from '#shared/kafka/kafka-client.ts';
import { startService, type RunningService } from '#shared/runtime/service-host.ts';
import { openSagaProbe, type SagaProbe } from '../../tests/support/saga-probe.ts';
import { customers, orderBody, products } from '../../tests/support/platform-client.ts';
import { inProcessTokens } from '../../tests/support/platform-tokens.ts';
import { tokenClient } from '../../scripts/lib/token-client.ts';
import { eventually, freshDatabase, testEnv, testKafkaSecurity, testLogger } from '../../tests/support/test-infra.ts';
import { findStuckOrders } from '../src/console/operator/saga-queries.ts';
import { orderService } from '../src/order-service.ts';
import { ORDER_SAGA_VERSION } from '#statecharts/order-saga.machine.ts';

const dbName = 'order_operator_test';
const prefix = `it-operator-${Date.now().toString(36)}-`;
const kafka = createKafkajsClient(
  { clientId: 'operator-test', brokers: testEnv.KAFKA_BROKERS, topicPrefix: prefix, ...testKafkaSecurity },
  testLogger,
);
let service: RunningService;
let probe: SagaProbe;
let producer: KafkaProducer;

type Json = Record<string, any>;

async function call(
  method: string,
  path: string,
  body?: unknown,
  as?: Record<string, string>,
): Promise<{ status: number; type: string; json: Json }> {
  const admin = as ?? (await inProcessTokens(service.app).adminHeaders());
  const response = await service.app.request(path, {
    method,
    headers: { ...admin, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, type: response.headers.get('content-type') ?? '', json: (await response.json()) as Json };
}

async function placeOrder(): Promise<string> {
  const { status, json } = await call('POST', '/api/v1/orders', orderBody(customers.rich, [{ product: products.coffee, quantity: 1 }]));
  expect(status).toBe(201);
  return json.orderTrackingId;
}

const saga = async (orderId: string) => (await call('GET', `/api/v1/orders/${orderId}/saga`)).json;
const unknownId = '00000000-0000-4000-8000-000000000000';

describe('operator API on a running order service (real MariaDB, Redis, Kafka; no product or payment service)', () => {
  beforeAll(async () => {
    const admin = await kafka.admin();
    await admin.createTopics(topicLayout);
    await admin.disconnect();
    await freshDatabase(dbName);
    service = await startService(orderService, {
      port: 0,
      dbName,
      env: {
        LOG_LEVEL: 'warn',
        KAFKA_TOPIC_PREFIX: prefix,
        QUEUE_PREFIX: prefix.replace(/-$/, ''),
        KAFKA_GROUP_ID: `${prefix}order-service`,
        SAGA_RESERVATION_TIMEOUT_MS: '60000',
        SAGA_RELEASE_TIMEOUT_MS: '60000',
      },
    });
    for (const product of Object.values(products)) {
      await service.deps.orm.em
        .fork()
        .execute('insert ignore into catalog_product (id, name, price, active, revision, updated_at) values (?, ?, ?, 1, 1, now(3))', [
          product.id,
          product.id,
          product.price,
        ]);
    }
    probe = await openSagaProbe(kafka, []);
    producer = await kafka.producer();
  });

  afterAll(async () => {
    await probe?.close();
    await producer?.disconnect();
    await service?.stop();
    const admin = await kafka.admin();
    await admin.deleteTopics(topicLayout.map((t) => t.name)).catch(() => {});
    await admin.disconnect();
  });

  it("reads an order's saga: state, snapshot, history and pending timers", async () => {
    const orderId = await placeOrder();
    const view = await saga(orderId);
    expect(view).toMatchObject({ orderId, status: 'PENDING', state: 'PENDING', terminal: false, machineVersion: ORDER_SAGA_VERSION });
    expect(view.snapshot).toMatchObject({ value: 'PENDING', context: { orderId } });
    expect(view.history).toEqual([
      expect.objectContaining({ sequence: 1, eventType: 'OrderPlaced', source: 'http', stateBefore: null, stateAfter: 'PENDING', changed: true }),
    ]);
    expect(view.history[0].effects.map((effect: Json) => effect.kind)).toEqual(['command', 'setTimer']);
    expect(view.pendingTimers).toEqual([expect.objectContaining({ timer: 'reservation', attempt: 1, timeoutEvent: 'ReservationTimedOut' })]);
    expect(view.pendingTimers[0].overdueMs).toBeLessThan(-50_000);

    const unknown = await call('GET', `/api/v1/orders/${unknownId}/saga`);
    expect(unknown.status).toBe(404);
    expect(unknown.type).toContain('application/problem+json');
    expect((await call('GET', '/api/v1/orders/not-a-uuid/saga')).status).toBe(400);
  });

  it('fires a pending timer now through the step handler, recorded as the operator', async () => {
    const orderId = await placeOrder();
    const fired = await call('POST', `/api/v1/orders/${orderId}/saga/timeouts/reservation`);
    expect(fired.status).toBe(200);
    expect(fired.json.changed).toBe(true);
    expect(fired.json.effects).toEqual([
      expect.objectContaining({ kind: 'command', command: 'ReserveStock' }),
      { kind: 'setTimer', timer: 'reservation', delayMs: 60_000, attempt: 2 },
    ]);
    const step = fired.json.saga.history.at(-1);
    expect(step).toMatchObject({
      sequence: 2,
      eventType: 'ReservationTimedOut',
      event: { type: 'ReservationTimedOut', attempt: 1 },
      source: 'operator',
      messageId: fired.json.requestId,
      actor: 'admin',
      stateBefore: 'PENDING',
      stateAfter: 'PENDING',
      changed: true,
    });
    expect(fired.json.saga.pendingTimers).toEqual([expect.objectContaining({ timer: 'reservation', attempt: 2 })]);
    const [outbox] = await service.deps.orm.em
      .fork()
      .execute<{ n: number }[]>("select count(*) as n from outbox_message where message_key = ? and type = 'ReserveStock'", [orderId]);
    expect(Number(outbox!.n)).toBe(2);
  });

  it('refuses to fire a timer that is not pending (409), an unknown timer name (400), an unknown order (404)', async () => {
    const orderId = await placeOrder();
    const notPending = await call('POST', `/api/v1/orders/${orderId}/saga/timeouts/payment`);
    expect(notPending.status).toBe(409);
    expect(notPending.type).toContain('application/problem+json');
    expect(notPending.json.detail).toBe(`order ${orderId} has no pending payment timer`);
    const badName = await call('POST', `/api/v1/orders/${orderId}/saga/timeouts/lunch`);
    expect(badName.status).toBe(400);
    expect(badName.json.errors[0].field).toBe('timer');
    expect((await call('POST', `/api/v1/orders/${unknownId}/saga/timeouts/reservation`)).status).toBe(404);
    expect((await saga(orderId)).history).toHaveLength(1);
  });

  it('compensates on request, and refuses where the machine does (already compensating, terminal)', async () => {
    const orderId = await placeOrder();
    // Signed in as the operator ops-1 (npm run token -- --admin --operator ops-1): the history names them.
    const ops1 = await tokenClient({ orderUrl: '', fetch: async (path, init) => service.app.request(path, init), operator: 'ops-1' }).adminHeaders();
    const compensated = await call('POST', `/api/v1/orders/${orderId}/saga/compensation`, { reason: 'customer called' }, ops1);
    expect(compensated.status).toBe(200);
    expect(compensated.json.saga).toMatchObject({ status: 'CANCELLING', state: 'CANCELLING.releasingStock' });
    expect(compensated.json.effects).toEqual([
      { kind: 'clearTimer', timer: 'reservation' },
      { kind: 'command', command: 'ReleaseStock', payload: { reason: 'cancelled by operator: customer called' } },
      expect.objectContaining({ kind: 'setTimer', timer: 'release', attempt: 1 }),
    ]);
    expect(compensated.json.saga.history.at(-1)).toMatchObject({
      eventType: 'CancellationRequested',
      event: { type: 'CancellationRequested', reason: 'customer called' },
      source: 'operator',
      actor: 'ops-1',
      changed: true,
    });
    expect(compensated.json.saga.history[0]).toMatchObject({ eventType: 'OrderPlaced', source: 'http', actor: null });

    const again = await call('POST', `/api/v1/orders/${orderId}/saga/compensation`, { reason: 'twice' });
    expect(again.status).toBe(409);
    expect(again.json.detail).toContain('already compensating');

    await probe.send('StockReleased', orderId, {});
    await eventually(
      () => saga(orderId),
      (view) => view.status === 'CANCELLED',
      15_000,
      100,
    );
    const terminal = await call('POST', `/api/v1/orders/${orderId}/saga/compensation`, { reason: 'too late' });
    expect(terminal.status).toBe(409);
    expect(terminal.type).toContain('application/problem+json');
    expect(terminal.json.detail).toBe('refused in CANCELLED: the machine has no CancellationRequested transition in CANCELLED');
    expect((await call('POST', `/api/v1/orders/${orderId}/saga/timeouts/release`)).status).toBe(409);
    // Refusals record nothing: OrderPlaced, CancellationRequested, StockReleased.
    expect((await saga(orderId)).history.map((entry: Json) => entry.eventType)).toEqual(['OrderPlaced', 'CancellationRequested', 'StockReleased']);

    expect((await call('POST', `/api/v1/orders/${orderId}/saga/compensation`, {})).status).toBe(400);
    expect((await call('POST', `/api/v1/orders/${orderId}/saga/compensation`, { reason: '' })).status).toBe(400);
    expect((await call('POST', `/api/v1/orders/${unknownId}/saga/compensation`, { reason: 'x' })).status).toBe(404);
    expect((await call('POST', '/api/v1/orders/nope/saga/compensation', { reason: 'x' })).status).toBe(400);
  });

  it('takes a reason up to the API limit of 500 characters: the commands get it cut to their contract, the history keeps it whole', async () => {
    // "cancelled by operator: " is 23 characters: from 478 on, the failure message is past 500.
    for (const length of [477, 478, 500]) {
      const orderId = await placeOrder();
      const reason = 'r'.repeat(length - 1) + 'Z';
      const compensated = await call('POST', `/api/v1/orders/${orderId}/saga/compensation`, { reason });
      expect(compensated.status, `reason of ${length}`).toBe(200);
      const command = compensated.json.effects.find((effect: Json) => effect.kind === 'command');
      expect(command).toMatchObject({ command: 'ReleaseStock' });
      expect(command.payload.reason.length, `reason of ${length}`).toBeLessThanOrEqual(500);
      expect(command.payload.reason).toMatch(/^cancelled by operator: r+/);
      expect(compensated.json.saga.history.at(-1).event.reason).toBe(reason);
    }
    const orderId = await placeOrder();
    const tooLong = await call('POST', `/api/v1/orders/${orderId}/saga/compensation`, { reason: 'r'.repeat(501) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.type).toContain('application/problem+json');
  });

  it('finds stuck orders: past their oldest deadline, or not updated for long when no timer is pending', async () => {
    const waiting = await placeOrder();
    const noTimers = await placeOrder();
    await service.deps.orm.em
      .fork()
      .execute(
        'update customer_order set timers = json_object(), next_deadline_at = null, updated_at = date_sub(updated_at, interval 10 minute) where id = ?',
        [noTimers],
      );

    const em = service.deps.orm.em.fork();
    const now = new Date();
    const ids = async (at: Date, olderThanMs: number) =>
      (await findStuckOrders(em.fork(), { now: at, olderThanMs, limit: 500 })).map((order) => order.orderId);
    expect(await ids(now, 0)).not.toContain(waiting); // its deadline is a minute away
    expect(await ids(new Date(now.getTime() + 120_000), 30_000)).toContain(waiting);
    expect(await ids(new Date(now.getTime() + 120_000), 90_000)).not.toContain(waiting);

    // A finished order is stuck only while it owes a late refund or release whose timer is overdue.
    const owing = await placeOrder();
    const settled = await placeOrder();
    await service.deps.orm.em.fork().execute(
      `update customer_order set status = 'CANCELLED', snapshot = json_set(snapshot, '$.value', 'CANCELLED'),
         timers = json_object('refund', json_object('attempt', 1, 'deadlineAt', ?)), next_deadline_at = ? where id = ?`,
      [new Date(now.getTime() + 60_000).toISOString(), new Date(now.getTime() + 60_000), owing],
    );
    await service.deps.orm.em.fork().execute(
      `update customer_order set status = 'CANCELLED', snapshot = json_set(snapshot, '$.value', 'CANCELLED'), timers = json_object(),
         next_deadline_at = null, updated_at = date_sub(updated_at, interval 10 minute) where id = ?`,
      [settled],
    );
    expect(await ids(now, 0)).not.toContain(owing);
    expect(await ids(new Date(now.getTime() + 120_000), 30_000)).toContain(owing);
    expect(await ids(new Date(now.getTime() + 120_000), 30_000)).not.toContain(settled);

    const stuck = await call('GET', '/api/v1/sagas/stuck?olderThan=5m');
    expect(stuck.status).toBe(200);
    expect(stuck.json).toMatchObject({ olderThan: '5m', olderThanMs: 300_000 });
    expect(stuck.json.items).toEqual([
      expect.objectContaining({ orderId: noTimers, status: 'PENDING', state: 'PENDING', oldestDeadlineAt: null, pendingTimers: 0 }),
    ]);
    expect(stuck.json.items[0].stuckForMs).toBeGreaterThan(590_000);
    const bad = await call('GET', '/api/v1/sagas/stuck?olderThan=soon');
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].field).toBe('olderThan');
  });

  it('counts orders per state for the overview, substates included', async () => {
    const { status, json } = await call('GET', '/api/v1/sagas/overview');
    expect(status).toBe(200);
    // The earlier tests of this file leave orders in several states; the overview must count each as the table holds it.
    const byStatus = (await service.deps.orm.em
      .fork()
      .getConnection()
      .execute('select status, count(*) as n from customer_order group by status')) as { status: string; n: number | string }[];
    const held = Object.fromEntries(byStatus.map((row) => [row.status, Number(row.n)]));
    expect(held.PENDING).toBeGreaterThanOrEqual(4);
    expect(held.CANCELLED).toBeGreaterThanOrEqual(1);
    for (const status of ['PENDING', 'RESERVED', 'PAID', 'CANCELLING', 'CANCELLED', 'CONFIRMED']) {
      expect(json.counts[status], status).toBe(held[status] ?? 0);
    }
    // Substates are counted too, and never exceed their parent.
    expect(typeof json.counts['CANCELLING.releasingStock']).toBe('number');
    expect(json.counts['CANCELLING.releasingStock']).toBeLessThanOrEqual(json.counts.CANCELLING);
    expect(json.recent[0]).toMatchObject({ eventCount: expect.any(Number) });
  });

  it('collects a dead letter of its own consumer from the .dlq topic and lists it, but leaves the reply topic to its owner', async () => {
    const key = randomUUID();
    await producer.send([{ topic: 'payment-response', key, value: '{"this is": not json' }]);
    const listed = await eventually(
      () => call('GET', '/api/v1/dead-letters?topic=payment-response&status=NEW'),
      (result) => result.json.items.some((item: Json) => item.key === key),
      20_000,
      200,
    );
    const deadLetter = listed.json.items.find((item: Json) => item.key === key);
    expect(deadLetter).toMatchObject({
      topic: 'payment-response.dlq',
      originalTopic: 'payment-response',
      value: '{"this is": not json',
      status: 'NEW',
      redrivenAt: null,
      consumerGroup: `${prefix}order-service`,
    });
    expect(deadLetter.reason).toMatch(/malformed JSON/);
    // payment-response is the payment service's to write (Kafka ACLs): the order service publishing it would be a forgery.
    const refused = await call('POST', `/api/v1/dead-letters/${deadLetter.id}/redrive`);
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toMatch(/only payment-service may write/);
    const still = await call('GET', '/api/v1/dead-letters?topic=payment-response&status=NEW');
    expect(still.json.items.some((item: Json) => item.id === deadLetter.id)).toBe(true);
  });

  it("redrives a dead letter of its own request topic once (the payment service's consumer refused it)", async () => {
    const key = randomUUID();
    await producer.send([{ topic: 'payment-request.dlq', key, value: '{"garbage": true}', headers: { 'x-dlq-reason': 'invalid: test' } }]);
    const listed = await eventually(
      () => call('GET', '/api/v1/dead-letters?topic=payment-request&status=NEW'),
      (result) => result.json.items.some((item: Json) => item.key === key),
      20_000,
      200,
    );
    const deadLetter = listed.json.items.find((item: Json) => item.key === key);
    expect(deadLetter).toMatchObject({ originalTopic: 'payment-request', reason: 'invalid: test', status: 'NEW' });
    const redriven = await call('POST', `/api/v1/dead-letters/${deadLetter.id}/redrive`);
    expect(redriven.status).toBe(200);
    expect(redriven.json).toMatchObject({ id: deadLetter.id, status: 'REDRIVEN' });
    expect(redriven.json.redrivenAt).not.toBeNull();
    const twice = await call('POST', `/api/v1/dead-letters/${deadLetter.id}/redrive`);
    expect(twice.status).toBe(409);
    expect(twice.type).toContain('application/problem+json');

    expect((await call('POST', '/api/v1/dead-letters/999999999/redrive')).status).toBe(404);
    expect((await call('POST', '/api/v1/dead-letters/abc/redrive')).status).toBe(400);
    expect((await call('GET', '/api/v1/dead-letters?status=LOST')).status).toBe(400);
  });
});
