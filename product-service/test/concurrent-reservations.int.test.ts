import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '#shared/contracts/topics.ts';
import type { RunningService } from '#shared/runtime/service-host.ts';
import { inTransaction } from '#shared/db/sql-transaction.ts';
import { reserveStock } from '../src/reservations/reserve-stock.ts';
import { loadOrders, lockProducts, saveStockBook, stockBookOf } from '../src/reservations/stock-book.ts';
import { openSagaProbe, type SagaProbe } from '../../tests/support/saga-probe.ts';
import {
  createTestProduct,
  httpClient,
  isolatedKafka,
  productState,
  startProductService,
  type HttpClient,
  type IsolatedKafka,
} from './product-test-kit.ts';

const customerId = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
let kafka: IsolatedKafka;
let service: RunningService;
let replica: RunningService;
let http: HttpClient;
let probe: SagaProbe;

async function replyTypes(orderIds: string[], nth: number): Promise<string[]> {
  return Promise.all(orderIds.map(async (orderId) => (await probe.waitFor(orderId, nth, 60_000))[nth - 1].type));
}

const countOf = (types: string[], type: string) => types.filter((candidate) => candidate === type).length;

async function stockInvariantViolations(): Promise<number> {
  const [row] = await service.deps.orm.em
    .fork()
    .execute<{ n: number }[]>('select count(*) as n from product where on_hand < 0 or reserved < 0 or reserved > on_hand');
  return Number(row.n);
}

describe('many orders on one product at once', () => {
  beforeAll(async () => {
    kafka = await isolatedKafka('product-concurrency');
    const groupId = `product-concurrency-${randomUUID()}`;
    service = await startProductService('product_concurrency_test', kafka, { groupId });
    // A second replica on the same database and consumer group: batches of both race for the same product rows.
    replica = await startProductService('product_concurrency_test', kafka, { groupId, freshDb: false });
    http = httpClient(service);
    probe = await openSagaProbe(kafka.kafka, [topics.productReservationResponse]);
  });

  afterAll(async () => {
    await probe?.close();
    await replica?.stop();
    await service?.stop();
    await kafka?.close();
  });

  it('200 orders of 1 unit against a stock of 50, decided by concurrent batches of two replicas: exactly 50 reserved, 150 rejected, never oversold', async () => {
    const product = await createTestProduct(http, { price: 1_000, quantity: 50 });
    const orderIds = Array.from({ length: 200 }, () => randomUUID());
    // A second, seed product in every other order: two products locked per transaction, in id order.
    const coffee = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
    await Promise.all(
      orderIds.map((orderId, index) =>
        probe.send('ReserveStock', orderId, {
          customerId,
          items: [
            { productId: product.id, quantity: 1, price: 1_000 },
            ...(index % 2 === 0 ? [{ productId: coffee, quantity: 1, price: 5_000 }] : []),
          ],
        }),
      ),
    );
    const replies = await replyTypes(orderIds, 1);
    expect(countOf(replies, 'StockReserved')).toBe(50);
    expect(countOf(replies, 'StockRejected')).toBe(150);
    expect(await productState(http, product.id)).toMatchObject({ onHand: 50, reserved: 50, available: 0 });
    const reservedWithCoffee = orderIds.filter((_, index) => index % 2 === 0 && replies[index] === 'StockReserved').length;
    expect(await productState(http, coffee)).toMatchObject({ onHand: 1_000, reserved: reservedWithCoffee });
    expect(await stockInvariantViolations()).toBe(0);

    // Settle them all at once: confirm half of the reserved orders, release the rest (and the rejected ones).
    const reserved = orderIds.filter((_, index) => replies[index] === 'StockReserved');
    const toConfirm = new Set(reserved.slice(0, 25));
    await Promise.all(orderIds.map((orderId) => probe.send(toConfirm.has(orderId) ? 'ConfirmStock' : 'ReleaseStock', orderId, {})));
    const settled = await replyTypes(orderIds, 2);
    expect(countOf(settled, 'StockConfirmed')).toBe(25);
    expect(countOf(settled, 'StockReleased')).toBe(175);
    expect(await productState(http, product.id)).toMatchObject({ onHand: 25, reserved: 0, available: 25 });
    const confirmedWithCoffee = orderIds.filter((orderId, index) => index % 2 === 0 && toConfirm.has(orderId)).length;
    expect(await productState(http, coffee)).toMatchObject({ onHand: 1_000 - confirmedWithCoffee, reserved: 0 });
    expect(await stockInvariantViolations()).toBe(0);
  });

  it('commits concurrent batches that lock overlapping products on the first attempt (id order: no deadlock)', async () => {
    const first = await createTestProduct(http, { price: 100, quantity: 1_000 });
    const second = await createTestProduct(http, { price: 200, quantity: 1_000 });
    // Straight through the stock book, without the consumer's retries: every batch has to commit.
    const batch = (orders: number) =>
      inTransaction(service.deps.messaging.pool, async (tx) => {
        const orderIds = Array.from({ length: orders }, () => randomUUID());
        const book = stockBookOf(await tx.run(loadOrders(orderIds)));
        // items name the products in the opposite order of their ids: the lock order is the book's
        await lockProducts(book, [second.id, first.id], tx);
        await new Promise((resolve) => setTimeout(resolve, 10));
        const now = new Date();
        for (const orderId of orderIds) {
          const items = [
            { productId: second.id, quantity: 1, price: 200 },
            { productId: first.id, quantity: 2, price: 100 },
          ];
          expect(reserveStock(book, { orderId, items }, now)).toEqual({ ok: true });
        }
        saveStockBook(book, tx, now);
      });
    const attempts = await Promise.allSettled(Array.from({ length: 10 }, () => batch(3)));
    const failures = attempts.flatMap((attempt) => (attempt.status === 'rejected' ? [String(attempt.reason)] : []));
    expect(failures).toEqual([]);
    expect(await productState(http, first.id)).toMatchObject({ reserved: 60 });
    expect(await productState(http, second.id)).toMatchObject({ reserved: 30 });
  });
});
