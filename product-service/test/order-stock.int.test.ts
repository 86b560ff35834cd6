import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '#shared/db/sql-transaction.ts';
import { problemContentType } from '#shared/http/problem.ts';
import type { RunningService } from '#shared/runtime/service-host.ts';
import { sharedTestIssuer } from '../../tests/support/test-issuer.ts';
import { confirmStock } from '../src/reservations/confirm-stock.ts';
import { releaseStock } from '../src/reservations/release-stock.ts';
import { reserveStock } from '../src/reservations/reserve-stock.ts';
import { loadOrders, lockProducts, saveStockBook, stockBookOf, type StockBook } from '../src/reservations/stock-book.ts';
import { createTestProduct, httpClient, isolatedKafka, startProductService, type HttpClient, type IsolatedKafka } from './product-test-kit.ts';

/** GET /api/v1/order-stock: what the order service's reconciler reads of each order's stock. */
let kafka: IsolatedKafka;
let service: RunningService;
let http: HttpClient;

function batch(orderIds: string[], productIds: string[], decide: (book: StockBook, now: Date) => void): Promise<void> {
  return inTransaction(service.deps.messaging.pool, async (tx) => {
    const book = stockBookOf(await tx.run(loadOrders(orderIds)));
    await lockProducts(book, productIds, tx);
    const now = new Date();
    decide(book, now);
    saveStockBook(book, tx, now);
  });
}

async function getAs(path: string, headers: Record<string, string>) {
  const response = await fetch(service.url + path, { headers });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: (await response.json()) as any };
}

describe("orders' stock records (GET /api/v1/order-stock)", () => {
  beforeAll(async () => {
    kafka = await isolatedKafka('product-order-stock');
    service = await startProductService('product_order_stock_test', kafka);
    http = httpClient(service);
  });
  afterAll(async () => {
    await service?.stop();
    await kafka?.close();
  });

  it('answers each asked order, in the order asked: reserved (with its units), confirmed, released, rejected and unknown as none', async () => {
    const product = await createTestProduct(http, { price: 500, quantity: 5 });
    const [reserved, confirmed, released, rejected, unknown] = Array.from({ length: 5 }, () => randomUUID());
    const line = (quantity: number) => [{ productId: product.id, quantity, price: 500 }];
    await batch([reserved, confirmed, released, rejected], [product.id], (book, now) => {
      reserveStock(book, { orderId: reserved, items: line(2) }, now);
      reserveStock(book, { orderId: confirmed, items: line(1) }, now);
      reserveStock(book, { orderId: released, items: line(1) }, now);
      reserveStock(book, { orderId: rejected, items: line(50) }, now);
    });
    await batch([confirmed, released], [product.id], (book, now) => {
      confirmStock(book, { orderId: confirmed }, now);
      releaseStock(book, { orderId: released, reason: 'test' }, now);
    });

    const asked = [unknown, reserved, confirmed, released, rejected];
    const answer = await http.get(`/api/v1/order-stock?orderIds=${asked.join(',')}`);
    expect(answer.status).toBe(200);
    expect(answer.body.items).toEqual([
      { orderId: unknown, stock: 'none', unitsHeld: 0 },
      { orderId: reserved, stock: 'reserved', unitsHeld: 2 },
      { orderId: confirmed, stock: 'confirmed', unitsHeld: 0 },
      { orderId: released, stock: 'released', unitsHeld: 0 },
      { orderId: rejected, stock: 'none', unitsHeld: 0 },
    ]);
    // Upper-case ids and repeats name the same orders once.
    const again = await http.get(`/api/v1/order-stock?orderIds=${reserved.toUpperCase()},${reserved}`);
    expect(again.body.items).toEqual([{ orderId: reserved, stock: 'reserved', unitsHeld: 2 }]);
  });

  it('refuses malformed, missing, empty and too many ids (400, problem+json)', async () => {
    const tooMany = Array.from({ length: 101 }, () => randomUUID()).join(',');
    for (const query of ['?orderIds=not-a-uuid', '', '?orderIds=', '?orderIds=,,', `?orderIds=${tooMany}`]) {
      const answer = await http.get(`/api/v1/order-stock${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.contentType).toContain(problemContentType);
    }
    const hundred = Array.from({ length: 100 }, () => randomUUID()).join(',');
    expect((await http.get(`/api/v1/order-stock?orderIds=${hundred}`)).body.items).toHaveLength(100);
  });

  it("is for the order service's service token and admins: a customer gets 403, no token 401", async () => {
    const issuer = await sharedTestIssuer();
    const path = `/api/v1/order-stock?orderIds=${randomUUID()}`;
    expect((await getAs(path, await issuer.headers('service', 'order-service'))).status).toBe(200);
    const customer = await getAs(path, await issuer.headers('customer', randomUUID()));
    expect(customer.status).toBe(403);
    expect(customer.contentType).toContain(problemContentType);
    expect((await getAs(path, {})).status).toBe(401);
  });
});
