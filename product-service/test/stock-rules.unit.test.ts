import { describe, expect, it } from 'vitest';
import { nextRevision, Product } from '../src/catalog/product.entity.ts';
import { decideReservation, mergeItems, type StockView } from '../src/reservations/decide-reservation.ts';
import { OrderStock, type OrderStockStatus } from '../src/reservations/order-stock.entity.ts';

const a = 'aaaaaaaa-0000-0000-0000-000000000000';
const b = 'bbbbbbbb-0000-0000-0000-000000000000';
const now = new Date('2026-01-01T00:00:00Z');

describe('decideReservation (pure)', () => {
  const catalog = new Map<string, StockView>([
    [a, { price: 100, active: true, available: 5 }],
    [b, { price: 200, active: true, available: 1 }],
  ]);

  it('sums items of one product and sorts lines by product id (the lock order)', () => {
    const lines = mergeItems([
      { productId: b, quantity: 1, price: 200 },
      { productId: a.toUpperCase(), quantity: 2, price: 100 },
      { productId: a, quantity: 3, price: 100 },
    ]);
    expect(lines).toEqual([
      { productId: a, quantity: 5, quotedPrices: [100, 100] },
      { productId: b, quantity: 1, quotedPrices: [200] },
    ]);
    expect(decideReservation(lines, catalog)).toEqual({ ok: true });
  });

  it('refuses the whole order for one short line, and names the product', () => {
    const items = [
      { productId: a, quantity: 1, price: 100 },
      { productId: b, quantity: 2, price: 200 },
    ];
    const decision = decideReservation(mergeItems(items), catalog);
    expect(decision).toEqual({ ok: false, code: 'INSUFFICIENT_STOCK', reason: `product ${b}: 2 requested, 1 available` });
  });

  it('reports unknown products before wrong prices, and wrong prices before short stock, whatever the item order', () => {
    const unknown = 'cccccccc-0000-0000-0000-000000000000';
    const items = [
      { productId: b, quantity: 9, price: 200 },
      { productId: a, quantity: 1, price: 99 },
      { productId: unknown, quantity: 1, price: 1 },
    ];
    expect(decideReservation(mergeItems(items), catalog)).toMatchObject({ code: 'UNKNOWN_PRODUCT' });
    expect(decideReservation(mergeItems(items.slice(0, 2)), catalog)).toMatchObject({ code: 'PRICE_MISMATCH' });
    expect(decideReservation(mergeItems(items.slice(0, 1)), catalog)).toMatchObject({ code: 'INSUFFICIENT_STOCK' });
    const inactive = new Map([[a, { price: 100, active: false, available: 5 }]]);
    expect(decideReservation(mergeItems([{ productId: a, quantity: 1, price: 100 }]), inactive)).toMatchObject({ code: 'UNKNOWN_PRODUCT' });
  });
});

function orderIn(status: OrderStockStatus): OrderStock {
  return Object.assign(new OrderStock(), {
    orderId: a,
    status,
    rejectionCode: status === 'REJECTED' ? 'PRICE_MISMATCH' : null,
    rejectionReason: status === 'REJECTED' ? 'stale price' : null,
    releaseReason: null,
    createdAt: now,
    updatedAt: now,
  });
}

describe("an order's stock record", () => {
  it('answers a repeated reserve from what was decided', () => {
    expect(orderIn('RESERVED').answerToReserve()).toEqual({ ok: true });
    expect(orderIn('CONFIRMED').answerToReserve()).toEqual({ ok: true });
    expect(orderIn('REJECTED').answerToReserve()).toEqual({ ok: false, code: 'PRICE_MISMATCH', reason: 'stale price' });
    expect(orderIn('RELEASED').answerToReserve()).toMatchObject({ ok: false, code: 'ORDER_ALREADY_RELEASED' });
  });

  it('confirms only a reserved order, once', () => {
    const order = orderIn('RESERVED');
    expect(order.confirm(now)).toEqual({ ok: true, changed: true });
    expect(order.status).toBe('CONFIRMED');
    expect(order.confirm(now)).toEqual({ ok: true, changed: false });
    expect(order.release(now, null)).toMatchObject({ ok: false, code: 'ALREADY_CONFIRMED' });
    expect(orderIn('REJECTED').confirm(now)).toMatchObject({ ok: false, code: 'NOT_RESERVED' });
    expect(orderIn('RELEASED').confirm(now)).toMatchObject({ ok: false, code: 'ORDER_ALREADY_RELEASED' });
  });

  it('releases a reserved order once and treats every later release as done', () => {
    const order = orderIn('RESERVED');
    expect(order.release(now, 'payment failed')).toEqual({ ok: true, changed: true });
    expect(order).toMatchObject({ status: 'RELEASED', releaseReason: 'payment failed' });
    expect(order.release(now, null)).toEqual({ ok: true, changed: false });
    expect(orderIn('REJECTED').release(now, null)).toEqual({ ok: true, changed: false });
  });
});

describe('a product', () => {
  const product = () =>
    Object.assign(new Product(), {
      id: a,
      name: 'p',
      price: 100,
      onHand: 10,
      reserved: 0,
      active: true,
      revision: 1,
      createdAt: now,
      updatedAt: now,
    });

  it('raises the revision on catalog changes only', () => {
    const p = product();
    expect(p.changePrice(100, now)).toBe(false);
    expect(p.revision).toBe(1);
    expect(p.changePrice(120, now)).toBe(true);
    const afterPrice = p.revision;
    expect(p.addStock(5, now)).toEqual({ ok: true });
    expect({ revision: p.revision, onHand: p.onHand, available: p.available }).toEqual({
      revision: afterPrice + 1,
      onHand: 15,
      available: 15,
    });
    expect(p.addStock(1_000_000_000, now)).toMatchObject({ ok: false, code: 'ON_HAND_LIMIT' });
    expect(p.catalogEntry()).toEqual({ productId: a, name: 'p', price: 120, active: true, revision: afterPrice + 1 });
  });

  it('numbers revisions at least by the seconds since 2025, so a new database outranks an old one', () => {
    const secondsIn2025 = 365 * 24 * 60 * 60;
    expect(nextRevision(0, now)).toBe(secondsIn2025); // now = 2026-01-01
    expect(nextRevision(2, now)).toBe(secondsIn2025); // an old database's counter loses
    expect(nextRevision(secondsIn2025, now)).toBe(secondsIn2025 + 1); // two changes in one second
    expect(nextRevision(secondsIn2025 + 10, new Date('2025-06-01T00:00:00Z'))).toBe(secondsIn2025 + 11); // clock went back
    expect(nextRevision(0, new Date('2093-01-01T00:00:00Z'))).toBeLessThan(2 ** 31);
  });
});
