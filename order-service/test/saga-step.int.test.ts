import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { topicLayout } from '#shared/contracts/topics.ts';
import { startService, type RunningService } from '#shared/runtime/service-host.ts';
import { createKafkajsClient } from '#shared/kafka/kafkajs-client.ts';
import { inTransaction, rowsOf } from '#shared/db/sql-transaction.ts';
import { systemClock } from '#shared/runtime/clock.ts';
import { utcDate } from '#shared/db/sql-values.ts';
import type { OrderSagaEvent } from '#statecharts/saga-types.ts';
import { eventually, freshDatabase, testEnv, testKafkaSecurity, testLogger } from '../../tests/support/test-infra.ts';
import { customers, orderBody, products } from '../../tests/support/platform-client.ts';
import { inProcessTokens } from '../../tests/support/platform-tokens.ts';
import { orderService } from '../src/order-service.ts';
import { owedCompensationTimerStatements } from '../src/db/order-0010-owed-compensation-timers.ts';
import { lockSagaRowsNow } from '../src/saga/saga-rows.ts';
import { createSagaSteps, type StepOutcome } from '../src/saga/saga-step.ts';

const dbName = 'order_step_test';
const prefix = `it-order-${Date.now().toString(36)}-`;
const queuePrefix = prefix.replace(/-$/, '');
const env = {
  LOG_LEVEL: 'warn',
  KAFKA_TOPIC_PREFIX: prefix,
  QUEUE_PREFIX: queuePrefix,
  SAGA_RESERVATION_TIMEOUT_MS: '1200',
  SAGA_RESERVATION_MAX_ATTEMPTS: '5',
};
const kafka = createKafkajsClient(
  { clientId: 'order-step-test', brokers: testEnv.KAFKA_BROKERS, topicPrefix: prefix, ...testKafkaSecurity },
  testLogger,
);
let service: RunningService;

const start = () => startService(orderService, { port: 0, dbName, env });

async function seedCatalog(svc: RunningService) {
  for (const product of Object.values(products)) {
    await svc.deps.orm.em
      .fork()
      .execute('insert ignore into catalog_product (id, name, price, active, revision, updated_at) values (?, ?, ?, 1, 1, now(3))', [
        product.id,
        product.id,
        product.price,
      ]);
  }
}

async function postOrder(svc: RunningService, body: unknown): Promise<Response> {
  // An admin may place an order for any customer (no payment service here to vouch for customers).
  const admin = await inProcessTokens(svc.app).adminHeaders();
  return svc.app.request('/api/v1/orders', { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function placeOrder(svc: RunningService): Promise<string> {
  const response = await postOrder(svc, orderBody(customers.rich, [{ product: products.coffee, quantity: 1 }]));
  expect(response.status).toBe(201);
  return ((await response.json()) as { orderTrackingId: string }).orderTrackingId;
}

/** The step handler on its own, on the service's database (as the runner uses it). */
const stepsOf = (svc: RunningService) => createSagaSteps({ outbox: svc.deps.messaging.outbox, clock: systemClock });

/** Delivers one event to an order in a transaction of its own, through the step handler. */
function deliver(svc: RunningService, orderId: string, event: OrderSagaEvent): Promise<StepOutcome> {
  const steps = stepsOf(svc);
  return inTransaction(svc.deps.messaging.pool, async (tx) => {
    const rows = await lockSagaRowsNow(tx, [orderId]);
    const [outcome] = steps.apply(tx, rows, [{ kind: 'event', orderId, event, origin: { source: 'kafka', messageId: randomUUID() } }]);
    return outcome;
  });
}

const commandsWritten = async (svc: RunningService, orderId: string) =>
  rowsOf<{ type: string; body: string }>(
    await svc.deps.messaging.pool.query('select type, body from outbox_message where message_key = ? order by id', [orderId]),
  ).map((row) => ({ type: row.type, payload: (JSON.parse(row.body) as { payload: unknown }).payload }));

const orderCount = async (svc: RunningService) =>
  Number(rowsOf<{ n: number }>(await svc.deps.messaging.pool.query('select count(*) as n from customer_order'))[0].n);

const history = (svc: RunningService, orderId: string) =>
  svc.deps.orm.em
    .fork()
    .execute<{ sequence: number; event_type: string; source: string; changed: number }[]>(
      'select sequence, event_type, source, changed from saga_event where order_id = ? order by sequence',
      [orderId],
    );

describe('saga step handler against real MariaDB, Redis and Kafka (no product service: replies never come)', () => {
  beforeAll(async () => {
    const admin = await kafka.admin();
    await admin.createTopics(topicLayout);
    await admin.disconnect();
    await freshDatabase(dbName);
    service = await start();
    await seedCatalog(service);
  });

  afterAll(async () => {
    await service?.stop();
    const admin = await kafka.admin();
    await admin.deleteTopics(topicLayout.map((t) => t.name)).catch(() => {});
    await admin.disconnect();
  });

  it('retries the reservation when its deadline passes (BullMQ delayed job)', async () => {
    const orderId = await placeOrder(service);
    const events = await eventually(
      () => history(service, orderId),
      (rows) => rows.length >= 2,
      10_000,
    );
    expect(events.map((e) => [e.event_type, e.source])).toEqual([
      ['OrderPlaced', 'http'],
      ['ReservationTimedOut', 'timer'],
    ]);
    const [outbox] = await service.deps.orm.em
      .fork()
      .execute<{ n: number }[]>("select count(*) as n from outbox_message where message_key = ? and type = 'ReserveStock'", [orderId]);
    expect(Number(outbox.n)).toBe(2);
  });

  it('counts a deadline from when its command reached the broker: unsent, it waits; sent late, it runs from then', async () => {
    const orderId = await placeOrder(service);
    const outbox = service.deps.messaging.pool;
    const reserveStock = () =>
      outbox.query("select message_id from outbox_message where message_key = ? and type = 'ReserveStock' and sent_at is not null", [orderId]);
    await eventually(
      async () => rowsOf(await reserveStock()).length,
      (sent) => sent === 1,
      5_000,
    );
    // As if the broker had been down since the order was placed: the command still waits in the
    // outbox (and the relay will not try it again for an hour).
    await outbox.query(
      "update outbox_message set sent_at = null, next_attempt_at = utc_timestamp(3) + interval 1 hour where message_key = ? and type = 'ReserveStock'",
      [orderId],
    );
    await new Promise((resolve) => setTimeout(resolve, 2 * 1_200 + 600)); // two deadlines pass
    expect((await history(service, orderId)).map((e) => e.event_type)).toEqual(['OrderPlaced']);
    const [waiting] = rowsOf<{ next_deadline_at: unknown }>(
      await outbox.query('select next_deadline_at from customer_order where id = ?', [orderId]),
    );
    expect(utcDate(waiting.next_deadline_at).getTime()).toBeGreaterThan(Date.now() - 100);

    // The broker is back and takes the command: the participant's deadline runs from now.
    const sentAt = Date.now();
    await outbox.query("update outbox_message set sent_at = utc_timestamp(3) where message_key = ? and type = 'ReserveStock'", [orderId]);
    const events = await eventually(
      () => history(service, orderId),
      (rows) => rows.length >= 2,
      10_000,
    );
    expect(events[1]).toMatchObject({ event_type: 'ReservationTimedOut', source: 'timer' });
    const [fired] = rowsOf<{ occurred_at: unknown }>(
      await outbox.query("select occurred_at from saga_event where order_id = ? and event_type = 'ReservationTimedOut'", [orderId]),
    );
    expect(utcDate(fired.occurred_at).getTime()).toBeGreaterThanOrEqual(sentAt + 1_200 - 200);
  });

  it('keeps a timer across a restart with an emptied Redis: the sweep fires it', async () => {
    const orderId = await placeOrder(service);
    await service.stop();
    const redis = new Redis(testEnv.REDIS_URL);
    const keys = await redis.keys(`${queuePrefix}:*`);
    if (keys.length > 0) await redis.del(...keys); // every queued job is gone, as after a Redis restart
    redis.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // the deadline passes while the service is down
    service = await start();
    const events = await eventually(
      () => history(service, orderId),
      (rows) => rows.length >= 2,
      10_000,
    );
    expect(events[1]).toMatchObject({ event_type: 'ReservationTimedOut', source: 'timer' });
  });

  it('serialises concurrent events of one order: one applies, the duplicate is a recorded no-op', async () => {
    const orderId = await placeOrder(service);
    const outcomes = await Promise.all([1, 2, 3].map(() => deliver(service, orderId, { type: 'StockReserved' })));
    const changed = outcomes.map((o) => (o.kind === 'applied' ? o.result.changed : null));
    expect(changed.filter(Boolean)).toHaveLength(1);
    const events = await history(service, orderId);
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
    expect(
      events
        .filter((e) => e.event_type === 'StockReserved')
        .map((e) => Boolean(e.changed))
        .sort((a, b) => Number(a) - Number(b)),
    ).toEqual([false, false, true]);
    expect((await commandsWritten(service, orderId)).filter((c) => c.type === 'ChargePayment')).toHaveLength(1);
  });

  // Every command a transition emits is an outbox row written in the same transaction, with its
  // payload: along the forward path, a payment failure, a refused confirmation and a late payment.
  it.each([
    ['confirmed', [{ type: 'StockReserved' }, { type: 'PaymentCompleted', paymentId: randomUUID() }, { type: 'StockConfirmed' }]],
    ['payment failed', [{ type: 'StockReserved' }, { type: 'PaymentFailed', reason: 'no money' }, { type: 'StockReleased' }]],
    [
      'confirmation refused',
      [
        { type: 'StockReserved' },
        { type: 'PaymentCompleted', paymentId: randomUUID() },
        { type: 'StockConfirmRejected', reason: 'gone' },
        { type: 'StockReleased' },
        { type: 'PaymentRefunded' },
      ],
    ],
    [
      'cancelled by an operator, then a late payment',
      [{ type: 'StockReserved' }, { type: 'CancellationRequested', reason: 'ops' }, { type: 'PaymentCompleted', paymentId: randomUUID() }],
    ],
  ] as [string, OrderSagaEvent[]][])('writes the outbox rows of every command a step emits: %s', async (_name, events) => {
    const orderId = await placeOrder(service);
    let written = await commandsWritten(service, orderId);
    expect(written.map((c) => c.type)).toEqual(['ReserveStock']);
    for (const event of events) {
      const outcome = await deliver(service, orderId, event);
      expect(outcome.kind).toBe('applied');
      const emitted =
        outcome.kind === 'applied'
          ? outcome.result.effects.flatMap((e) => (e.kind === 'command' ? [{ type: e.command, payload: e.payload }] : []))
          : [];
      const now = await commandsWritten(service, orderId);
      expect(now.slice(written.length)).toEqual(emitted);
      written = now;
    }
    expect(written.length).toBeGreaterThan(events.length - 1);
  });

  it('refuses an order whose unit price or total does not match the catalog (422, nothing stored)', async () => {
    const before = await orderCount(service);
    const right = orderBody(customers.rich, [{ product: products.coffee, quantity: 2 }]);
    const wrongTotal = await postOrder(service, { ...right, price: right.price + 1 });
    expect(wrongTotal.status).toBe(422);
    expect(((await wrongTotal.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['price']);
    const wrongUnit = await postOrder(service, { ...right, items: [{ ...right.items[0], price: right.items[0].price - 1 }], price: right.price - 2 });
    expect(wrongUnit.status).toBe(422);
    expect(((await wrongUnit.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['items.0.price']);
    const unknown = await postOrder(service, { ...right, items: [{ ...right.items[0], productId: randomUUID() }] });
    expect(unknown.status).toBe(422);
    expect(await orderCount(service)).toBe(before);
  });

  it('gives a v2 order that owes a late refund from CANCELLED its timer (migration 0010), and the sweep re-sends the refund', async () => {
    const orderId = await placeOrder(service);
    const query = (sql: string, params: unknown[] = []) => service.deps.messaging.pool.query(sql, params);
    // As machine v2 left it: cancelled, a late payment refunded once, no timer to retry the refund.
    await query(
      `update customer_order set status = 'CANCELLED', timers = json_object(), next_deadline_at = null,
         snapshot = json_set(snapshot, '$.value', 'CANCELLED', '$.context.paymentMayBeTaken', true, '$.context.paymentId', ?, '$.context.attempts.refund', 1)
       where id = ?`,
      [randomUUID(), orderId],
    );
    for (const statement of owedCompensationTimerStatements) await query(statement);
    const [row] = rowsOf<{ timers: string; due: number }>(
      await query('select timers, next_deadline_at <= utc_timestamp(3) as due from customer_order where id = ?', [orderId]),
    );
    expect(JSON.parse(row.timers)).toMatchObject({ refund: { attempt: 1 } });
    expect(Number(row.due)).toBe(1);
    // Run again: nothing changes for an order that has its timer.
    for (const statement of owedCompensationTimerStatements) await query(statement);
    const refunds = await eventually(
      async () =>
        rowsOf<{ type: string }>(await query("select type from outbox_message where message_key = ? and type = 'RefundPayment'", [orderId])),
      (rows) => rows.length > 0,
    );
    expect(refunds.length).toBeGreaterThanOrEqual(1);
    const [after] = rowsOf<{ status: string; timers: string }>(await query('select status, timers from customer_order where id = ?', [orderId]));
    expect(after.status).toBe('CANCELLED');
    expect(JSON.parse(after.timers)).toMatchObject({ refund: { attempt: 2 } });
  });

  it('dead-letters a reply for an order it does not know', async () => {
    const probe = await kafka.producer();
    const orderId = randomUUID();
    const dlq = await kafka.consumer({ groupId: `dlq-${randomUUID()}`, topics: ['payment-response.dlq'], fromBeginning: true });
    const reasons: string[] = [];
    await dlq.run(async (record) => {
      if (record.key === orderId) reasons.push(record.headers['x-dlq-reason'] ?? '');
    });
    await probe.send([
      {
        topic: 'payment-response',
        key: orderId,
        value: JSON.stringify({
          messageId: randomUUID(),
          type: 'PaymentFailed',
          orderId,
          sagaId: orderId,
          occurredAt: new Date().toISOString(),
          causationId: null,
          payload: { code: 'INSUFFICIENT_CREDIT', reason: 'no money' },
        }),
      },
    ]);
    await eventually(
      async () => reasons,
      (r) => r.length === 1,
      15_000,
    );
    expect(reasons[0]).toMatch(/unknown order/);
    await dlq.stop();
    await probe.disconnect();
  });
});
