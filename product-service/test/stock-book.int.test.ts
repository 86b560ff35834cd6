import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction, rowsOf, type SqlTransaction } from '#shared/db/sql-transaction.ts';
import type { RunningService } from '#shared/runtime/service-host.ts';
import { confirmStock } from '../src/reservations/confirm-stock.ts';
import { releaseStock } from '../src/reservations/release-stock.ts';
import { reserveStock } from '../src/reservations/reserve-stock.ts';
import { loadOrders, lockProducts, saveStockBook, stockBookOf, type StockBook } from '../src/reservations/stock-book.ts';
import type { StockDecision } from '../src/reservations/stock-decision.ts';
import {
  createTestProduct,
  httpClient,
  isolatedKafka,
  productState,
  startProductService,
  type HttpClient,
  type IsolatedKafka,
} from './product-test-kit.ts';

/**
 * The stock book against the real database: a batch of stock commands is read and locked once,
 * decided in memory command after command, and written once with the commit.
 */
let kafka: IsolatedKafka;
let service: RunningService;
let http: HttpClient;

/** One batch: loads the orders, locks the products, runs `decide`, writes the book with the commit. */
function batch<T>(orderIds: string[], productIds: string[], decide: (book: StockBook, now: Date, tx: SqlTransaction) => T | Promise<T>): Promise<T> {
  return inTransaction(service.deps.messaging.pool, async (tx) => {
    const book = stockBookOf(await tx.run(loadOrders(orderIds)));
    await lockProducts(book, productIds, tx);
    const now = new Date();
    const result = await decide(book, now, tx);
    saveStockBook(book, tx, now);
    return result;
  });
}

const productRow = async (id: string) =>
  rowsOf<{ on_hand: number; reserved: number; version: number; revision: number }>(
    await service.deps.messaging.pool.query('select on_hand, reserved, version, revision from product where id = ?', [id]),
  )[0];

describe('stock book: a batch decided in memory on locked rows, written once', () => {
  beforeAll(async () => {
    kafka = await isolatedKafka('product-stock-book');
    service = await startProductService('product_stock_book_test', kafka);
    http = httpClient(service);
  });
  afterAll(async () => {
    await service?.stop();
    await kafka?.close();
  });

  it('decisions of one batch see each other: 20 orders of 1 unit against 5 → 5 reserved, 15 rejected, one UPDATE with the sum', async () => {
    const product = await createTestProduct(http, { price: 700, quantity: 5 });
    const orderIds = Array.from({ length: 20 }, () => randomUUID());
    const decisions = await batch(orderIds, [product.id], (book, now) =>
      orderIds.map((orderId) => reserveStock(book, { orderId, items: [{ productId: product.id, quantity: 1, price: 700 }] }, now)),
    );
    expect(decisions.filter((d) => d.ok)).toHaveLength(5);
    expect(decisions.filter((d) => !d.ok).map((d) => (d as Extract<StockDecision, { ok: false }>).code)).toEqual(
      Array.from({ length: 15 }, () => 'INSUFFICIENT_STOCK'),
    );
    expect(await productState(http, product.id)).toMatchObject({ onHand: 5, reserved: 5, available: 0 });
    const lines = rowsOf<{ n: number }>(
      await service.deps.messaging.pool.query("select count(*) as n from product_reservation where product_id = ? and status = 'RESERVED'", [
        product.id,
      ]),
    );
    expect(Number(lines[0].n)).toBe(5);
  });

  it('several commands of one order in one batch apply in order: reserve, then release, leaves nothing held', async () => {
    const product = await createTestProduct(http, { price: 300, quantity: 10 });
    const orderId = randomUUID();
    const decisions = await batch([orderId], [product.id], (book, now) => [
      reserveStock(book, { orderId, items: [{ productId: product.id, quantity: 4, price: 300 }] }, now),
      releaseStock(book, { orderId, reason: 'payment failed' }, now),
      reserveStock(book, { orderId, items: [{ productId: product.id, quantity: 4, price: 300 }] }, now),
    ]);
    expect(decisions).toEqual([{ ok: true }, { ok: true }, expect.objectContaining({ ok: false, code: 'ORDER_ALREADY_RELEASED' })]);
    expect(await productState(http, product.id)).toMatchObject({ onHand: 10, reserved: 0 });
  });

  it('stock moves raise the row version, not the catalog revision', async () => {
    const product = await createTestProduct(http, { price: 500, quantity: 10 });
    const before = await productRow(product.id);
    const orderId = randomUUID();
    await batch([orderId], [product.id], (book, now) =>
      reserveStock(book, { orderId, items: [{ productId: product.id, quantity: 2, price: 500 }] }, now),
    );
    await batch([orderId], [], (book, now) => confirmStock(book, { orderId }, now));
    const after = await productRow(product.id);
    expect(after).toMatchObject({ on_hand: 8, reserved: 0, revision: before.revision });
    expect(after.version).toBe(before.version + 2);
  });

  it('the check constraints are the last line of defence: a batch that would oversell commits nothing', async () => {
    const product = await createTestProduct(http, { price: 900, quantity: 3 });
    const orderId = randomUUID();
    await expect(
      batch([orderId], [product.id], (book, now) => {
        reserveStock(book, { orderId, items: [{ productId: product.id, quantity: 3, price: 900 }] }, now);
        // a bug that moves more than the decision allowed
        book.products.get(product.id)!.reserved += 1;
      }),
    ).rejects.toThrow(/constraint/i);
    expect(await productState(http, product.id)).toMatchObject({ onHand: 3, reserved: 0 });
    const records = rowsOf<{ n: number }>(
      await service.deps.messaging.pool.query('select count(*) as n from order_stock where order_id = ?', [orderId]),
    );
    expect(Number(records[0].n)).toBe(0);
  });

  it('two batches confirming the same order (two replicas during a rebalance) ship its units once', async () => {
    const product = await createTestProduct(http, { price: 100, quantity: 10 });
    const orderId = randomUUID();
    await batch([orderId], [product.id], (book, now) =>
      reserveStock(book, { orderId, items: [{ productId: product.id, quantity: 3, price: 100 }] }, now),
    );
    const confirm = () =>
      batch([orderId], [], async (book, now) => {
        const decision = confirmStock(book, { orderId }, now);
        await new Promise((resolve) => setTimeout(resolve, 50));
        return decision;
      });
    const results = await Promise.all([confirm(), confirm()]);
    expect(results).toEqual([{ ok: true }, { ok: true }]);
    expect(await productState(http, product.id)).toMatchObject({ onHand: 7, reserved: 0 });
  });
});
