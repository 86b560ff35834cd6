import { afterAll, describe, expect, it } from 'vitest';
import type { RunningService } from '#shared/runtime/service-host.ts';
import { eventually } from '../../tests/support/test-infra.ts';
import { seedProducts } from '../src/catalog/seed-catalog.ts';
import { httpClient, isolatedKafka, startProductService, type IsolatedKafka } from './product-test-kit.ts';

const dbName = 'product_seed_test';
const running: RunningService[] = [];
let kafka: IsolatedKafka;
const coffee = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const pizza = '3c4d5e6f-7081-92a3-b4c5-def678901234';

async function catalogRows(service: RunningService) {
  return service.deps.orm.em
    .fork()
    .execute<{ message_key: string; body: string; sent_at: Date | null }[]>(
      "select message_key, body, sent_at from outbox_message where type = 'ProductUpserted' order by id",
    );
}

describe('seeding and catalog publication on start', () => {
  afterAll(async () => {
    for (const service of running) await service.stop();
    await kafka?.close();
  });

  it('seeds the five products once, keeps their stock and prices on the next start, and republishes the catalog every start', async () => {
    kafka = await isolatedKafka('product-seed');
    const first = await startProductService(dbName, kafka);
    running.push(first);
    const http = httpClient(first);
    const seeded = (await http.get('/api/v1/products?size=100')).body;
    expect(seeded.total).toBe(5);
    const asSeed = ({ id, name, price, onHand, reserved }: Record<string, unknown>) => ({ id, name, price, quantity: onHand, reserved });
    expect(seeded.items.map(asSeed)).toEqual(seedProducts.map((product) => ({ ...product, reserved: 0 })));
    // Created and republished: two outbox rows per seed product, all published.
    const firstRows = await eventually(
      () => catalogRows(first),
      (rows) => rows.length === 10 && rows.every((row) => row.sent_at),
    );
    expect(firstRows.filter((row) => row.sent_at)).toHaveLength(10);

    // Move the seed data away from its defaults, then restart on the same database.
    expect((await http.post(`/api/v1/products/${coffee}/stock`, { quantity: 7 })).status).toBe(200);
    expect((await http.put(`/api/v1/products/${pizza}/price`, { price: 26_000 })).status).toBe(200);
    const before = (await http.get('/api/v1/products?size=100')).body.items;
    await first.stop();

    const second = await startProductService(dbName, kafka, { freshDb: false });
    running.push(second);
    const after = (await httpClient(second).get('/api/v1/products?size=100')).body;
    expect(after.total).toBe(5);
    expect(after.items).toEqual(before);
    expect(after.items.find((product: { id: string }) => product.id === coffee)).toMatchObject({ onHand: 1_007 });
    expect(after.items.find((product: { id: string }) => product.id === pizza)).toMatchObject({ price: 26_000, onHand: 200 });

    const rows = await catalogRows(second);
    const republished = rows.slice(12).map((row) => JSON.parse(row.body).payload);
    expect(rows).toHaveLength(12 + 5);
    const asCatalogEntry = ({ id, name, price, active, revision }: Record<string, unknown>) => ({ productId: id, name, price, active, revision });
    expect(republished).toEqual(after.items.map(asCatalogEntry));
  });
});
