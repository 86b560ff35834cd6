import { randomUUID } from 'node:crypto';
import { OptimisticLockError } from '@mikro-orm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Em } from '#shared/db/orm.ts';
import { RetryableError } from '#shared/db/retryable-errors.ts';
import type { RunningService } from '#shared/runtime/service-host.ts';
import { systemClock } from '#shared/runtime/clock.ts';
import { Product } from '../src/catalog/product.entity.ts';
import { confirmStock } from '../src/reservations/confirm-stock.ts';
import { reserveUnits, returnReservedUnits, shipReservedUnits } from '../src/reservations/product-stock.ts';
import { reserveStock } from '../src/reservations/reserve-stock.ts';
import type { StockDecision, WriteReply } from '../src/reservations/stock-decision.ts';
import {
  createTestProduct,
  httpClient,
  isolatedKafka,
  productState,
  startProductService,
  type HttpClient,
  type IsolatedKafka,
  type ProductView,
} from './product-test-kit.ts';

let kafka: IsolatedKafka;
let service: RunningService;
let http: HttpClient;
const now = () => new Date();
const reserve = reserveStock({ clock: systemClock });
const confirm = confirmStock({ clock: systemClock });

const inTransaction = <T>(work: (em: Em) => Promise<T>): Promise<T> => service.deps.orm.em.fork().transactional(work);

/** Starts a transaction and fixes its REPEATABLE READ snapshot with a plain read, as every stock command does. */
async function withSnapshot<T>(meanwhile: () => Promise<unknown>, work: (em: Em) => Promise<T>): Promise<T> {
  return inTransaction(async (em) => {
    await em.execute('select count(*) from product');
    await meanwhile();
    return work(em);
  });
}

/** Writes replies to the outbox like the stock command route does, and remembers each one. */
function recordingReply(orderId: string, written: StockDecision[]): WriteReply {
  return async (em, decision) => {
    service.deps.messaging.outbox.add(em, {
      type: decision.ok ? 'StockReserved' : 'StockRejected',
      orderId,
      payload: decision.ok ? {} : { code: decision.code, reason: decision.reason },
    });
    await em.flush();
    written.push(decision);
  };
}

const noReply: WriteReply = async () => {};

async function createProductWithId(id: string, fields: { price: number; quantity: number }): Promise<ProductView> {
  const created = await http.post('/api/v1/products', { id, name: `test product ${id.slice(0, 8)}`, ...fields });
  if (created.status !== 201) throw new Error(`creating product ${id} failed: ${created.status}`);
  return created.body;
}

async function rowsOf(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
  return service.deps.orm.em.fork().execute(sql, params);
}

async function versionOf(productId: string): Promise<{ version: number; revision: number }> {
  const [row] = await rowsOf('select version, revision from product where id = ?', [productId]);
  return { version: Number(row.version), revision: Number(row.revision) };
}

describe('stock moves on the hot path (conditional UPDATEs, product rows last)', () => {
  beforeAll(async () => {
    kafka = await isolatedKafka('product-stock-moves');
    service = await startProductService('product_stock_moves_test', kafka);
    http = httpClient(service);
  });

  afterAll(async () => {
    await service?.stop();
    await kafka?.close();
  });

  it('each UPDATE guards its own invariant: never beyond available, never below zero, only at the decided price', async () => {
    const product = await createTestProduct(http, { price: 500, quantity: 3 });
    const move = (quantity: number, price = 500) => [{ productId: product.id, quantity, price }];
    expect(await inTransaction((em) => reserveUnits(em, move(4), now()))).toBe(false);
    expect(await inTransaction((em) => reserveUnits(em, move(1, 499), now()))).toBe(false);
    expect(await inTransaction((em) => reserveUnits(em, move(3), now()))).toBe(true);
    expect(await inTransaction((em) => reserveUnits(em, move(1), now()))).toBe(false);
    await expect(inTransaction((em) => shipReservedUnits(em, move(4), now()))).rejects.toThrow(/bug/);
    await expect(inTransaction((em) => returnReservedUnits(em, move(4), now()))).rejects.toThrow(/bug/);
    await inTransaction((em) => shipReservedUnits(em, move(2), now()));
    await inTransaction((em) => returnReservedUnits(em, move(1), now()));
    expect(await productState(http, product.id)).toMatchObject({ onHand: 1, reserved: 0, available: 1 });
    await expect(inTransaction((em) => returnReservedUnits(em, move(1), now()))).rejects.toThrow(/bug/);
  });

  it('stock moves raise the row version, not the catalog revision: a stale catalog change cannot write stock back', async () => {
    const product = await createTestProduct(http, { price: 600, quantity: 10 });
    const before = await versionOf(product.id);
    const staleEm = service.deps.orm.em.fork();
    const stale = await staleEm.findOneOrFail(Product, { id: product.id });
    await inTransaction((em) => reserveUnits(em, [{ productId: product.id, quantity: 2, price: 600 }], now()));
    const after = await versionOf(product.id);
    expect(after).toEqual({ version: before.version + 1, revision: before.revision });

    // An ORM update from a copy read before the move is refused (and retried by its caller), not applied.
    stale.addStock(5, now());
    await expect(staleEm.flush()).rejects.toBeInstanceOf(OptimisticLockError);
    expect(await productState(http, product.id)).toMatchObject({ onHand: 10, reserved: 2 });
  });

  it('when the units are gone between the read and the UPDATE, rolls the attempt back and records the rejection instead', async () => {
    // The scarce product comes second in the lock order, so the plenty one is already reserved when the attempt fails.
    const plenty = await createProductWithId(`0${randomUUID().slice(1)}`, { price: 100, quantity: 10 });
    const scarce = await createProductWithId(`f${randomUUID().slice(1)}`, { price: 200, quantity: 1 });
    const takeLastUnit = () =>
      inTransaction((other) =>
        reserve(other, { orderId: randomUUID(), items: [{ productId: scarce.id, quantity: 1, price: 200 }] }, noReply),
      );
    const orderId = randomUUID();
    const items = [
      { productId: scarce.id, quantity: 1, price: 200 },
      { productId: plenty.id, quantity: 1, price: 100 },
    ];
    const written: StockDecision[] = [];
    const decision = await withSnapshot(takeLastUnit, (em) => reserve(em, { orderId, items }, recordingReply(orderId, written)));

    expect(decision).toMatchObject({ ok: false, code: 'INSUFFICIENT_STOCK' });
    expect((decision as { reason: string }).reason).toBe(`product ${scarce.id}: 1 requested, 0 available`);
    expect(written.map((reply) => reply.ok)).toEqual([true, false]); // the accepted reply went with the savepoint
    expect(await rowsOf('select type from outbox_message where message_key = ?', [orderId])).toEqual([{ type: 'StockRejected' }]);
    expect(await rowsOf('select status, rejection_code from order_stock where order_id = ?', [orderId])).toEqual([
      { status: 'REJECTED', rejection_code: 'INSUFFICIENT_STOCK' },
    ]);
    expect(await rowsOf('select * from product_reservation where order_id = ?', [orderId])).toEqual([]);
    expect(await productState(http, plenty.id)).toMatchObject({ onHand: 10, reserved: 0 });
    expect(await productState(http, scarce.id)).toMatchObject({ onHand: 1, reserved: 1 });
  });

  it('refuses a price that changed between the read and the UPDATE', async () => {
    const product = await createTestProduct(http, { price: 300, quantity: 5 });
    const orderId = randomUUID();
    const decision = await withSnapshot(
      () => http.put(`/api/v1/products/${product.id}/price`, { price: 350 }),
      (em) => reserve(em, { orderId, items: [{ productId: product.id, quantity: 1, price: 300 }] }, noReply),
    );
    expect(decision).toMatchObject({ ok: false, code: 'PRICE_MISMATCH' });
    expect(await productState(http, product.id)).toMatchObject({ price: 350, reserved: 0 });
  });

  it('settles an order once when two commands for it race (the loser is retried and answered from the new state)', async () => {
    const product = await createTestProduct(http, { price: 400, quantity: 5 });
    const orderId = randomUUID();
    await inTransaction((em) => reserve(em, { orderId, items: [{ productId: product.id, quantity: 2, price: 400 }] }, noReply));
    const late = withSnapshot(
      () => inTransaction((other) => confirm(other, { orderId }, noReply)),
      (em) => confirm(em, { orderId }, noReply),
    );
    await expect(late).rejects.toBeInstanceOf(RetryableError);
    expect(await inTransaction((em) => confirm(em, { orderId }, noReply))).toEqual({ ok: true });
    expect(await productState(http, product.id)).toMatchObject({ onHand: 3, reserved: 0 });
  });
});
