// One order's saga as ONE trace across the three services, and the metrics it leaves behind.
//
// The three services run in this process (startService, as main.ts does), each with a tracer
// provider of its own — so spans carry their own service.name — exporting into one shared
// InMemorySpanExporter. In-process rather than processes + an OTLP receiver: the spans are
// objects (parent ids, kinds, attributes) with nothing to decode, and the only thing crossing
// service boundaries is what crosses them in production too: outbox rows, Kafka record headers
// and the BullMQ job data. The services are on topics, BullMQ keys and databases of their own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { topicLayout } from '#shared/contracts/topics.ts';
import { createKafkajsClient } from '#shared/kafka/kafkajs-client.ts';
import { startService, type RunningService } from '#shared/runtime/service-host.ts';
import { orderService } from '../../order-service/src/order-service.ts';
import { paymentService } from '../../payment-service/src/payment-service.ts';
import { productService } from '../../product-service/src/product-service.ts';
import { customers, orderBody, products, terminalStatuses } from '../support/platform-client.ts';
import { dropTopicsAndQueues, eventually, freshDatabase, testEnv, testKafkaSecurity, testLogger } from '../support/test-infra.ts';
import { parsePrometheusText } from '../../scripts/metrics/prometheus-text.ts';

const prefix = `it-obs-${Date.now().toString(36)}-`;
const kafka = createKafkajsClient({ clientId: 'obs-test', brokers: testEnv.KAFKA_BROKERS, topicPrefix: prefix, ...testKafkaSecurity }, testLogger);
const exporter = new InMemorySpanExporter();
/** What each service exports to: the shared exporter, which a stopping service must not shut down. */
const exporterOfAService: SpanExporter = {
  export: (spans, done) => exporter.export(spans, done),
  shutdown: async () => {},
  forceFlush: async () => {},
};
const env = {
  LOG_LEVEL: 'warn',
  AUTH_MODE: 'off',
  KAFKA_TOPIC_PREFIX: prefix,
  QUEUE_PREFIX: prefix.replace(/-$/, ''),
  KAFKAJS_NO_PARTITIONER_WARNING: '1',
  // tracing comes from the exporter given below, not from the environment
  OTEL_TRACES_EXPORTER: 'none',
};
const services: Record<'order' | 'product' | 'payment', RunningService> = {} as never;
const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

const serviceOf = (span: ReadableSpan) => String(span.resource.attributes['service.name']);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const startMs = (span: ReadableSpan) => span.startTime[0] * 1000 + span.startTime[1] / 1e6;
const spansOfTrace = (traceId: string) => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);

async function placeOrder(lines = [{ product: products.coffee, quantity: 1 }]): Promise<string> {
  const response = await fetch(`${services.order.url}/api/v1/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(orderBody(customers.rich, lines)),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { orderTrackingId: string }).orderTrackingId;
}

async function orderStatus(orderId: string): Promise<string> {
  const response = await fetch(`${services.order.url}/api/v1/orders/${orderId}`);
  return ((await response.json()) as { orderStatus: string }).orderStatus;
}

/** The trace id the saga page shows for the order. */
async function traceIdOnPage(orderId: string): Promise<string | null> {
  const page = await (await fetch(`${services.order.url}/sagas/${orderId}`)).text();
  return /id="order-trace">(?:<a [^>]*>)?([0-9a-f]{32})/.exec(page)?.[1] ?? null;
}

async function metricsOf(service: RunningService) {
  return parsePrometheusText(await (await fetch(`${service.url}/metrics`)).text());
}

/** The path from the root to a span, as "service: span name". */
function ancestry(span: ReadableSpan, byId: Map<string, ReadableSpan>): ReadableSpan[] {
  const path = [span];
  for (let parent = parentOf(span); parent; parent = parentOf(path[0])) {
    const found = byId.get(parent);
    if (!found) break;
    path.unshift(found);
  }
  return path;
}

describe('observability: one order, one trace, three services', () => {
  beforeAll(async () => {
    const admin = await kafka.admin();
    await admin.createTopics(topicLayout);
    await admin.disconnect();
    await Promise.all(['obs_it_order', 'obs_it_product', 'obs_it_payment'].map((db) => freshDatabase(db)));
    const start = (definition: typeof orderService, dbName: string, extra: Record<string, string> = {}) =>
      startService(definition, { port: 0, dbName, env: { ...env, ...extra }, spanExporter: exporterOfAService });
    services.product = await start(productService, 'obs_it_product');
    services.payment = await start(paymentService, 'obs_it_payment');
    services.order = await start(orderService, 'obs_it_order', { SAGA_RESERVATION_TIMEOUT_MS: '1500' });
    // the order service checks orders against its catalog copy, fed from the product service's topic
    await eventually(
      () => services.order.deps.orm.em.fork().execute<{ n: number }[]>('select count(*) as n from catalog_product'),
      (rows) => Number(rows[0].n) >= Object.keys(products).length,
      30_000,
    );
  });

  afterAll(async () => {
    for (const service of [services.order, services.payment, services.product]) await service?.stop();
    await dropTopicsAndQueues(kafka, env.QUEUE_PREFIX);
  });

  it('follows the order from the POST through every command and reply in one trace, parents before children', async () => {
    const orderId = await placeOrder();
    const status = await eventually(
      () => orderStatus(orderId),
      (value) => terminalStatuses.has(value),
      30_000,
    );
    expect(status).toBe('CONFIRMED');

    const traceId = await traceIdOnPage(orderId);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    // the last step's span ends right after its commit; the consumer span around it just after
    const spans = await eventually(
      async () => spansOfTrace(traceId!),
      (found) => found.some((span) => span.name === 'saga step StockConfirmed') && found.filter((s) => s.name.startsWith('process ')).length >= 6,
      10_000,
    );
    const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));

    // one root: the POST; every other span's parent is in the trace
    const roots = spans.filter((span) => !parentOf(span) || !byId.has(parentOf(span)!));
    expect(roots.map((span) => `${serviceOf(span)}: ${span.name}`)).toEqual(['order-service: POST /api/v1/orders']);
    expect(roots[0].kind).toBe(SpanKind.SERVER);
    expect(new Set(spans.map(serviceOf))).toEqual(new Set(['order-service', 'product-service', 'payment-service']));

    // a parent starts before its child (producer spans start at the outbox row's millisecond: 2 ms slack)
    for (const span of spans) {
      const parent = parentOf(span) ? byId.get(parentOf(span)!) : undefined;
      if (parent) expect(startMs(span)).toBeGreaterThanOrEqual(startMs(parent) - 2);
    }

    // the saga's path, root to the last step: order → product → order → payment → order → product → order
    const last = spans.find((span) => span.name === 'saga step StockConfirmed')!;
    const path = ancestry(last, byId);
    expect(path[0]).toBe(roots[0]);
    const hops = path.filter((span) => span.kind === SpanKind.CONSUMER).map((span) => `${serviceOf(span)}: ${span.name}`);
    expect(hops).toEqual([
      'product-service: process product-reservation-request',
      'order-service: process product-reservation-response',
      'payment-service: process payment-request',
      'order-service: process payment-response',
      'product-service: process product-reservation-request',
      'order-service: process product-reservation-response',
    ]);
    // every consume span's parent is the send span of the record it received, on the same topic
    for (const consume of spans.filter((span) => span.kind === SpanKind.CONSUMER && span.name.startsWith('process '))) {
      const send = byId.get(parentOf(consume)!)!;
      expect(send.kind).toBe(SpanKind.PRODUCER);
      expect(send.name).toBe(consume.name.replace('process ', 'send '));
      expect(serviceOf(send)).not.toBe(serviceOf(consume));
    }
    // the handler's transaction is a span of its own, inside the consume span, and the saga steps inside that
    const stepNames = path.filter((span) => span.name.startsWith('saga step ')).map((span) => span.name);
    expect(stepNames).toEqual(['saga step OrderPlaced', 'saga step StockReserved', 'saga step PaymentCompleted', 'saga step StockConfirmed']);
    expect(byId.get(parentOf(last)!)!.name).toBe('handle StockConfirmed');
    expect(spans.find((span) => span.name === 'saga step OrderPlaced')!.attributes['commerce.order_id']).toBe(orderId);
  });

  it('counts the order in the saga histograms, and no metric of any service has an id for a label', async () => {
    const order = await metricsOf(services.order);
    const confirmed = order.find((s) => s.name === 'saga_duration_seconds_count' && s.labels.outcome === 'CONFIRMED');
    expect(confirmed?.value).toBeGreaterThanOrEqual(1);
    const step = order.find(
      (s) => s.name === 'saga_step_duration_seconds_count' && s.labels.event === 'StockConfirmed' && s.labels.to === 'CONFIRMED',
    );
    expect(step?.value).toBeGreaterThanOrEqual(1);
    expect(order.find((s) => s.name === 'saga_step_duration_seconds_count' && s.labels.event === 'OrderPlaced')?.labels.from).toBe('NONE');
    // orders per status come from a periodic count (every 10 s)
    const counted = await eventually(
      () => metricsOf(services.order),
      (series) => (series.find((s) => s.name === 'saga_orders' && s.labels.status === 'CONFIRMED')?.value ?? 0) >= 1,
      15_000,
      500,
    );
    expect(counted.find((s) => s.name === 'saga_orders' && s.labels.status === 'CONFIRMED')?.value).toBeGreaterThanOrEqual(1);
    // consumer lag per partition of the saga's reply topics, through the Kafka admin (also every
    // 10 s; a tick before the group had its partitions has nothing to report yet)
    const hasLagOf = (topic: string) => (series: Awaited<ReturnType<typeof metricsOf>>) =>
      series.some((s) => s.name === 'kafka_consumer_lag_messages' && s.labels.topic === topic);
    expect(hasLagOf('payment-response')(await eventually(() => metricsOf(services.order), hasLagOf('payment-response'), 25_000, 500))).toBe(true);
    const product = await eventually(() => metricsOf(services.product), hasLagOf('product-reservation-request'), 25_000, 500);
    expect(hasLagOf('product-reservation-request')(product)).toBe(true);

    for (const service of Object.values(services)) {
      const series = await metricsOf(service);
      expect(series.length).toBeGreaterThan(50);
      const withIds = series.filter((s) => Object.values(s.labels).some((value) => uuid.test(value)));
      expect(withIds.map((s) => `${s.name}${JSON.stringify(s.labels)}`)).toEqual([]);
    }
  });

  it('lets a timer firing join the order trace: the retried command is a child of the timer span', async () => {
    await services.product.stop(); // no reply: the reservation deadline (1.5 s) passes
    const orderId = await placeOrder();
    const traceId = await traceIdOnPage(orderId);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const spans = await eventually(
      async () => spansOfTrace(traceId!),
      // the timer span ends after the step inside it
      (found) => found.some((span) => span.name === 'saga timer reservation'),
      15_000,
    );
    const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
    const timer = spans.find((span) => span.name === 'saga timer reservation')!;
    expect(timer.attributes['saga.timer_attempt']).toBe(1);
    const step = spans.find((span) => span.name === 'saga step ReservationTimedOut')!;
    expect(parentOf(step)).toBe(timer.spanContext().spanId);
    const path = ancestry(step, byId).map((span) => span.name);
    expect(path[0]).toBe('POST /api/v1/orders');
    expect(path).toContain('saga timer reservation');
    // the retried ReserveStock goes out as a child of that step
    await eventually(
      async () => spansOfTrace(traceId!),
      (found) => found.some((span) => span.name === 'send product-reservation-request' && parentOf(span) === step.spanContext().spanId),
      10_000,
    );
  });
});
