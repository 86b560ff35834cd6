import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productCatalogSchema } from '#shared/contracts/product-catalog.ts';
import type { RunningService } from '#shared/runtime/service-host.ts';
import { nextRevision } from '../src/catalog/product.entity.ts';
import { eventually } from '../../tests/support/test-infra.ts';
import {
  createTestProduct,
  httpClient,
  isolatedKafka,
  productState,
  startProductService,
  watchCatalog,
  type HttpClient,
  type HttpResult,
  type IsolatedKafka,
} from './product-test-kit.ts';

let kafka: IsolatedKafka;
let service: RunningService;
let http: HttpClient;
let catalog: Awaited<ReturnType<typeof watchCatalog>>;
const coffee = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const startedAt = new Date();

function expectProblem(result: HttpResult, status: number, field?: string): void {
  expect({ status: result.status, contentType: result.contentType }).toEqual({ status, contentType: 'application/problem+json' });
  expect(result.body).toMatchObject({ status, title: expect.any(String) });
  if (field) expect(result.body.errors.map((error: { field: string }) => error.field)).toContain(field);
}

describe('products HTTP API', () => {
  beforeAll(async () => {
    kafka = await isolatedKafka('product-api');
    service = await startProductService('product_api_test', kafka);
    http = httpClient(service);
    catalog = await watchCatalog(kafka.kafka);
  });

  afterAll(async () => {
    await catalog?.stop();
    await service?.stop();
    await kafka?.close();
  });

  it('lists the seeded catalog in pages and shows one product with its stock', async () => {
    const firstPage = await http.get('/api/v1/products?page=0&size=2');
    expect(firstPage.status).toBe(200);
    expect(firstPage.body).toMatchObject({ page: 0, size: 2, total: expect.any(Number) });
    expect(firstPage.body.total).toBeGreaterThanOrEqual(5);
    expect(firstPage.body.items).toHaveLength(2);
    const secondPage = await http.get('/api/v1/products?page=1&size=2');
    expect(secondPage.body.items[0].id).not.toBe(firstPage.body.items[0].id);

    expect(await productState(http, coffee)).toEqual({
      id: coffee,
      name: '커피',
      price: 5_000,
      onHand: 1_000,
      reserved: 0,
      available: 1_000,
      active: true,
      revision: expect.any(Number),
    });
    // A new database's revisions start above any plain counter an older database may have published.
    expect((await productState(http, coffee)).revision).toBeGreaterThanOrEqual(nextRevision(0, startedAt));
    expect(await http.get(`/api/v1/products/${coffee}/reservations`)).toMatchObject({ status: 200, body: { items: [], total: 0 } });
  });

  it('creates a product (201, Location), changes its price and adds stock, publishing each change on product-catalog', async () => {
    const id = randomUUID();
    const created = await http.post('/api/v1/products', { id, name: '  녹차  ', price: 4_500, quantity: 10 });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/api/v1/products/${id}`);
    const created1 = created.body.revision;
    expect(created.body).toEqual({ id, name: '녹차', price: 4_500, onHand: 10, reserved: 0, available: 10, active: true, revision: created1 });

    const repriced = await http.put(`/api/v1/products/${id}/price`, { price: 4_800 });
    expect(repriced).toMatchObject({ status: 200, body: { price: 4_800 } });
    const repriced2 = repriced.body.revision;
    expect(repriced2).toBeGreaterThan(created1);
    const samePrice = await http.put(`/api/v1/products/${id}/price`, { price: 4_800 });
    expect(samePrice).toMatchObject({ status: 200, body: { price: 4_800, revision: repriced2 } });
    const restocked = await http.post(`/api/v1/products/${id}/stock`, { quantity: 5 });
    expect(restocked).toMatchObject({ status: 200, body: { onHand: 15, available: 15 } });
    const restocked3 = restocked.body.revision;
    expect(restocked3).toBeGreaterThan(repriced2);

    const events = await eventually(
      async () => catalog.forProduct(id),
      (seen) => seen.length >= 3,
    );
    const published = events.map(({ key, envelope }) => ({ key, type: envelope.type, orderId: envelope.orderId, payload: envelope.payload }));
    expect(published).toEqual([
      { key: id, type: 'ProductUpserted', orderId: null, payload: { productId: id, name: '녹차', price: 4_500, active: true, revision: created1 } },
      { key: id, type: 'ProductUpserted', orderId: null, payload: { productId: id, name: '녹차', price: 4_800, active: true, revision: repriced2 } },
      { key: id, type: 'ProductUpserted', orderId: null, payload: { productId: id, name: '녹차', price: 4_800, active: true, revision: restocked3 } },
    ]);
    for (const { envelope } of events) {
      expect(productCatalogSchema.safeParse({ type: envelope.type, payload: envelope.payload }).success).toBe(true);
    }
  });

  it('publishes a price change of a seeded product with a higher revision', async () => {
    const before = await productState(http, coffee);
    expect((await http.put(`/api/v1/products/${coffee}/price`, { price: 5_200 })).status).toBe(200);
    const priced = (price: number) => (seen: ReturnType<typeof catalog.forProduct>) =>
      seen.some(({ envelope }) => (envelope.payload as { price: number }).price === price);
    const events = await eventually(async () => catalog.forProduct(coffee), priced(5_200));
    expect(events.at(-1)!.key).toBe(coffee);
    const after = await productState(http, coffee);
    expect(after.revision).toBeGreaterThan(before.revision);
    expect(events.at(-1)!.envelope.payload).toEqual({ productId: coffee, name: '커피', price: 5_200, active: true, revision: after.revision });
  });

  it('refuses a second product with the same id (409) and stock beyond the on-hand limit (422)', async () => {
    expectProblem(await http.post('/api/v1/products', { id: coffee, name: 'again', price: 1, quantity: 1 }), 409);
    expect(await productState(http, coffee)).toMatchObject({ name: '커피', onHand: 1_000 });
    const product = await createTestProduct(http, { price: 100, quantity: 999_999_000 });
    expectProblem(await http.post(`/api/v1/products/${product.id}/stock`, { quantity: 1_001 }), 422);
    expect(await productState(http, product.id)).toMatchObject({ onHand: 999_999_000, revision: product.revision });
  });

  it('answers unknown ids with 404 and malformed ids with 400', async () => {
    const unknown = randomUUID();
    expectProblem(await http.get(`/api/v1/products/${unknown}`), 404);
    expectProblem(await http.get(`/api/v1/products/${unknown}/reservations`), 404);
    expectProblem(await http.put(`/api/v1/products/${unknown}/price`, { price: 100 }), 404);
    expectProblem(await http.post(`/api/v1/products/${unknown}/stock`, { quantity: 1 }), 404);
    for (const malformed of ['not-a-guid', '0f1e2d3c4b5a69788796a5b4c3d2e1f0', `${coffee}0`, '%20']) {
      expectProblem(await http.get(`/api/v1/products/${malformed}`), 400, 'productId');
    }
    expectProblem(await http.get('/api/v1/products/zzz/reservations'), 400, 'productId');
    expectProblem(await http.put('/api/v1/products/zzz/price', { price: 100 }), 400, 'productId');
    expectProblem(await http.post('/api/v1/products/zzz/stock', { quantity: 1 }), 400, 'productId');
  });

  it('rejects bad bodies and queries with 400 problem+json and changes nothing', async () => {
    const valid = { name: 'valid', price: 100, quantity: 1 };
    const badCreates: [unknown, string][] = [
      [{ ...valid, price: '100' }, 'price'],
      [{ ...valid, price: 0 }, 'price'],
      [{ ...valid, price: -5 }, 'price'],
      [{ ...valid, price: 1.5 }, 'price'],
      [{ ...valid, price: 1e13 }, 'price'],
      [{ ...valid, quantity: -1 }, 'quantity'],
      [{ ...valid, quantity: 2_000_000_000 }, 'quantity'],
      [{ ...valid, quantity: null }, 'quantity'],
      [{ ...valid, name: '' }, 'name'],
      [{ ...valid, name: '   ' }, 'name'],
      [{ ...valid, name: 'x'.repeat(201) }, 'name'],
      [{ ...valid, name: 42 }, 'name'],
      [{ ...valid, id: 'not-a-guid' }, 'id'],
      [{ price: 100, quantity: 1 }, 'name'],
      [{ ...valid, colour: 'red' }, '(body)'],
    ];
    for (const [body, field] of badCreates) expectProblem(await http.post('/api/v1/products', body), 400, field);
    expectProblem(await http.post('/api/v1/products', []), 400);
    expectProblem(await http.post('/api/v1/products', null), 400);

    for (const price of [0, -1, 1.25, 1e13, '5000', null]) {
      expectProblem(await http.put(`/api/v1/products/${coffee}/price`, { price }), 400, 'price');
    }
    for (const quantity of [0, -3, 0.5, 2e9, '10']) {
      expectProblem(await http.post(`/api/v1/products/${coffee}/stock`, { quantity }), 400, 'quantity');
    }
    expectProblem(await http.raw('POST', '/api/v1/products', '{"name": "broken", '), 400);
    expectProblem(await http.raw('PUT', `/api/v1/products/${coffee}/price`, 'price=5'), 400);
    const notJson = await fetch(`${service.url}/api/v1/products`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(notJson.status).toBe(415);

    for (const query of ['size=0', 'size=101', 'size=abc', 'page=-1', 'page=1.5']) {
      expectProblem(await http.get(`/api/v1/products?${query}`), 400);
    }
    expect((await http.get('/api/v1/products?size=100')).status).toBe(200);
    expect(await productState(http, coffee)).toMatchObject({ onHand: 1_000, reserved: 0 });
    const names = (await http.get('/api/v1/products?size=100')).body.items.map((product: { name: string }) => product.name);
    expect(names).not.toContain('valid');
  });

  it('documents every route with its error responses in the OpenAPI document', async () => {
    const document = (await http.get('/openapi.json')).body;
    const operations = [
      ['/api/v1/products', 'get', ['200', '400']],
      ['/api/v1/products', 'post', ['201', '400', '409']],
      ['/api/v1/products/{productId}', 'get', ['200', '400', '404']],
      ['/api/v1/products/{productId}/reservations', 'get', ['200', '400', '404']],
      ['/api/v1/products/{productId}/price', 'put', ['200', '400', '404']],
      ['/api/v1/products/{productId}/stock', 'post', ['200', '400', '404', '422']],
    ] as const;
    for (const [path, method, statuses] of operations) {
      expect(Object.keys(document.paths[path][method].responses)).toEqual(expect.arrayContaining([...statuses]));
    }
    expect((await fetch(`${service.url}/swagger-ui.html`)).status).toBe(200);
  });
});
