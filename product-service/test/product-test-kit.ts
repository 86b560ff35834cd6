import { randomUUID } from 'node:crypto';
import type { Envelope } from '#shared/contracts/envelope.ts';
import { topics } from '#shared/contracts/topics.ts';
import type { IsolatedKafka } from '../../tests/support/isolated-kafka.ts';
import type { KafkaClient, KafkaConsumer } from '#shared/kafka/kafka-client.ts';
import { startService, type RunningService } from '#shared/runtime/service-host.ts';
import { sharedTestIssuer } from '../../tests/support/test-issuer.ts';
import { freshDatabase } from '../../tests/support/test-infra.ts';
import { productService } from '../src/product-service.ts';

export { isolatedKafka, type IsolatedKafka } from '../../tests/support/isolated-kafka.ts';

/**
 * Starts the product service in-process on its own database, topics and new consumer group. It
 * trusts the test issuer's keys (a JWKS file), since no order service runs next to it.
 */
/** `groupId`: join another instance's consumer group (a second replica on the same database). */
export async function startProductService(
  dbName: string,
  isolated: IsolatedKafka,
  options: { freshDb?: boolean; groupId?: string } = {},
): Promise<RunningService> {
  if (options.freshDb ?? true) await freshDatabase(dbName);
  return startService(productService, {
    port: 0,
    dbName,
    env: {
      KAFKA_GROUP_ID: options.groupId ?? `product-test-${randomUUID()}`,
      KAFKA_NEW_GROUP_FROM: 'latest',
      KAFKA_TOPIC_PREFIX: isolated.prefix,
      QUEUE_PREFIX: isolated.prefix.replace(/-$/, ''),
      LOG_LEVEL: 'warn',
      ...(await sharedTestIssuer()).env,
    },
  });
}

export interface HttpResult {
  status: number;
  contentType: string;
  body: any;
  headers: Headers;
}

/**
 * Small HTTP client for the service under test, calling with an admin token of the test issuer;
 * `rawBody` is sent as-is (for malformed JSON).
 */
export function httpClient(service: RunningService) {
  async function call(method: string, path: string, body?: unknown, rawBody?: string): Promise<HttpResult> {
    const text = rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
    const admin = await (await sharedTestIssuer()).headers('admin');
    const response = await fetch(service.url + path, {
      method,
      headers: { ...admin, ...(text === undefined ? {} : { 'content-type': 'application/json' }) },
      body: text,
    });
    const contentType = response.headers.get('content-type') ?? '';
    const raw = await response.text();
    return { status: response.status, contentType, body: raw ? JSON.parse(raw) : null, headers: response.headers };
  }
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body: unknown) => call('POST', path, body),
    put: (path: string, body: unknown) => call('PUT', path, body),
    raw: (method: string, path: string, rawBody: string) => call(method, path, undefined, rawBody),
  };
}
export type HttpClient = ReturnType<typeof httpClient>;

export interface ProductView {
  id: string;
  name: string;
  price: number;
  onHand: number;
  reserved: number;
  available: number;
  active: boolean;
  revision: number;
}

/** A product of the test's own, created through the admin API. */
export async function createTestProduct(http: HttpClient, fields: { price: number; quantity: number }): Promise<ProductView> {
  const created = await http.post('/api/v1/products', { name: `test product ${randomUUID().slice(0, 8)}`, ...fields });
  if (created.status !== 201) throw new Error(`creating a product failed: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body;
}

export async function productState(http: HttpClient, productId: string): Promise<ProductView> {
  const result = await http.get(`/api/v1/products/${productId}`);
  if (result.status !== 200) throw new Error(`reading product ${productId} failed: ${result.status}`);
  return result.body;
}

/**
 * Watches the product-catalog topic from now on, keeping each record's key with its envelope. (The
 * saga probe only records envelopes that carry an order id, and catalog events carry none.)
 */
export async function watchCatalog(kafka: KafkaClient) {
  const seen: { key: string | null; envelope: Envelope }[] = [];
  const consumer: KafkaConsumer = await kafka.consumer({
    groupId: `product-catalog-probe-${randomUUID()}`,
    topics: [topics.productCatalog],
    fromBeginning: false,
  });
  await consumer.run(async (record) => {
    if (record.value) seen.push({ key: record.key, envelope: JSON.parse(record.value.toString()) as Envelope });
  });
  return {
    forProduct: (productId: string) => seen.filter(({ envelope }) => (envelope.payload as { productId?: string }).productId === productId),
    stop: () => consumer.stop(),
  };
}
