import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { topicLayout } from '#shared/contracts/topics.ts';
import { startService, type RunningService } from '#shared/runtime/service-host.ts';
import { createKafkajsClient } from '#shared/kafka/kafkajs-client.ts';
import { createOutbox } from '#shared/outbox/outbox.ts';
import { systemClock } from '#shared/runtime/clock.ts';
import { randomIds } from '#shared/runtime/ids.ts';
import { eventually, freshDatabase, testEnv, testKafkaSecurity, testLogger } from '../../tests/support/test-infra.ts';
import { customers, orderBody, products } from '../../tests/support/platform-client.ts';
import { inProcessTokens } from '../../tests/support/platform-tokens.ts';
import { orderService } from '../src/order-service.ts';
import { createSagaSteps } from '../src/saga/saga-step.ts';

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
const kafka = createKafkajsClient({ clientId: 'order-step-test', brokers: testEnv.KAFKA_BROKERS, topicPrefix: prefix, ...testKafkaSecurity }, testLogger);
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

async function placeOrder(svc: RunningService): Promise<string> {
  // An admin may place an order for any customer (no payment service here to vouch for customers).
  const admin = await inProcessTokens(svc.app).adminHeaders();
  const response = await svc.app.request('/api/v1/orders', {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify(orderBody(customers.rich, [{ product: products.coffee, quantity: 1 }])),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { orderTrackingId: string }).orderTrackingId;
}

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
    const events = await eventually(() => history(service, orderId), (rows) => rows.length >= 2, 10_000);
    expect(events.map((e) => [e.event_type, e.source])).toEqual([
      ['OrderPlaced', 'http'],
      ['ReservationTimedOut', 'timer'],
    ]);
    const [outbox] = await service.deps.orm.em
      .fork()
      .execute<{ n: number }[]>("select count(*) as n from outbox_message where message_key = ? and type = 'ReserveStock'", [orderId]);
    expect(Number(outbox.n)).toBe(2);
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
    const events = await eventually(() => history(service, orderId), (rows) => rows.length >= 2, 10_000);
    expect(events[1]).toMatchObject({ event_type: 'ReservationTimedOut', source: 'timer' });
  });

  it('serialises concurrent events of one order: one applies, the duplicate is a recorded no-op', async () => {
    const orderId = await placeOrder(service);
    const steps = createSagaSteps({ outbox: createOutbox({ ids: randomIds, clock: systemClock }), clock: systemClock });
    const deliver = () =>
      service.deps.orm.em
        .fork()
        .transactional((em) => steps.advance(em, orderId, { type: 'StockReserved' }, { source: 'kafka', messageId: randomUUID() }));
    const outcomes = await Promise.all([deliver(), deliver(), deliver()]);
    const changed = outcomes.map((o) => (o.kind === 'applied' ? o.result.changed : null));
    expect(changed.filter(Boolean)).toHaveLength(1);
    const events = await history(service, orderId);
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
    expect(events.filter((e) => e.event_type === 'StockReserved').map((e) => Boolean(e.changed)).sort((a, b) => Number(a) - Number(b))).toEqual([false, false, true]);
    const [charges] = await service.deps.orm.em
      .fork()
      .execute<{ n: number }[]>("select count(*) as n from outbox_message where message_key = ? and type = 'ChargePayment'", [orderId]);
    expect(Number(charges.n)).toBe(1);
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
    await eventually(async () => reasons, (r) => r.length === 1, 15_000);
    expect(reasons[0]).toMatch(/unknown order/);
    await dlq.stop();
    await probe.disconnect();
  });
});
