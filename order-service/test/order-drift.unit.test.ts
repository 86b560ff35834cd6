import { describe, expect, it } from 'vitest';
import type { OrderMoneyRecord, OrderStockRecord } from '#shared/http/order-records.ts';
import { driftFoundOf, driftOf, type FinishedOrder } from '../src/console/reconciler/order-drift.ts';

const orderId = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
const confirmed: FinishedOrder = { orderId, status: 'CONFIRMED', price: 15_000 };
const cancelled: FinishedOrder = { orderId, status: 'CANCELLED', price: 15_000 };
const stock = (state: OrderStockRecord['stock'], unitsHeld = 0): OrderStockRecord => ({ orderId, stock: state, unitsHeld });
const money = (state: OrderMoneyRecord['money'], charged: number, refunded: number): OrderMoneyRecord => ({
  orderId,
  money: state,
  charged,
  refunded,
  net: charged - refunded,
});
const kindsOf = (order: FinishedOrder, s: OrderStockRecord, m: OrderMoneyRecord) => driftOf(order, s, m).map((drift) => [drift.kind, drift.repair]);

describe('driftOf: a finished order against the product and payment services’ records', () => {
  it('finds nothing where the services agree: CONFIRMED taken and charged its price; CANCELLED holding nothing, net 0', () => {
    expect(driftOf(confirmed, stock('confirmed'), money('charged', 15_000, 0))).toEqual([]);
    for (const [s, m] of [
      [stock('none'), money('none', 0, 0)],
      [stock('released'), money('refunded', 15_000, 15_000)],
      [stock('released'), money('none', 0, 0)],
      [stock('none'), money('refunded', 15_000, 15_000)],
    ] as const) {
      expect(driftOf(cancelled, s, m)).toEqual([]);
    }
  });

  it('CANCELLED with money still taken: money-taken-on-cancelled, repaired by a refund when the payment is held as charged', () => {
    expect(driftOf(cancelled, stock('released'), money('charged', 15_000, 0))).toEqual([
      {
        orderId,
        status: 'CANCELLED',
        kind: 'money-taken-on-cancelled',
        detail: 'its payment is charged; the ledger charged 15000 and refunded 0 KRW',
        repair: 'refund',
      },
    ]);
    // The payment says refunded but the ledger kept the money: a refund cannot act on it, so it is reported only.
    expect(kindsOf(cancelled, stock('none'), money('refunded', 15_000, 0))).toEqual([['money-taken-on-cancelled', null]]);
    // Charged with no ledger row: still held as charged by the payment service, and a refund can act on it.
    expect(kindsOf(cancelled, stock('none'), money('charged', 0, 0))).toEqual([['money-taken-on-cancelled', 'refund']]);
  });

  it('CANCELLED with stock still held: stock-held-on-cancelled, repaired by a release; confirmed stock is reported only', () => {
    expect(kindsOf(cancelled, stock('reserved', 2), money('none', 0, 0))).toEqual([['stock-held-on-cancelled', 'release']]);
    // Lines still reserved behind a released record hold stock too.
    expect(kindsOf(cancelled, stock('released', 1), money('none', 0, 0))).toEqual([['stock-held-on-cancelled', 'release']]);
    expect(kindsOf(cancelled, stock('confirmed'), money('none', 0, 0))).toEqual([['stock-confirmed-on-cancelled', null]]);
    expect(kindsOf(cancelled, stock('reserved', 1), money('charged', 15_000, 0))).toEqual([
      ['stock-held-on-cancelled', 'release'],
      ['money-taken-on-cancelled', 'refund'],
    ]);
  });

  it('CONFIRMED without its stock or its payment, or charged another amount: reported, never repaired', () => {
    expect(kindsOf(confirmed, stock('reserved', 1), money('charged', 15_000, 0))).toEqual([['confirmed-without-stock', null]]);
    expect(kindsOf(confirmed, stock('released'), money('none', 0, 0))).toEqual([
      ['confirmed-without-stock', null],
      ['confirmed-without-payment', null],
    ]);
    expect(kindsOf(confirmed, stock('confirmed'), money('refunded', 15_000, 15_000))).toEqual([['confirmed-without-payment', null]]);
    expect(kindsOf(confirmed, stock('confirmed'), money('charged', 30_000, 0))).toEqual([['confirmed-charge-mismatch', null]]);
  });

  it('a ledger that gave back more than it took is reported, whatever the status', () => {
    expect(kindsOf(cancelled, stock('none'), money('refunded', 15_000, 30_000))).toEqual([['refunded-more-than-charged', null]]);
    expect(kindsOf(confirmed, stock('confirmed'), money('charged', 0, 100))).toEqual([
      ['confirmed-without-payment', null],
      ['refunded-more-than-charged', null],
    ]);
  });
});

describe('driftFoundOf: what a cancelled saga is told', () => {
  it('asks for the release and the refund the drift can repair, and nothing for reported-only drift', () => {
    const both = driftOf(cancelled, stock('reserved', 1), money('charged', 15_000, 0));
    expect(driftFoundOf(both)).toEqual({ type: 'DriftFound', stockHeld: true, moneyTaken: true });
    expect(driftFoundOf(driftOf(cancelled, stock('none'), money('charged', 15_000, 0)))).toEqual({
      type: 'DriftFound',
      stockHeld: false,
      moneyTaken: true,
    });
    expect(driftFoundOf(driftOf(cancelled, stock('confirmed'), money('refunded', 15_000, 0)))).toBeNull();
    expect(driftFoundOf(driftOf(confirmed, stock('released'), money('none', 0, 0)))).toBeNull();
    expect(driftFoundOf([])).toBeNull();
  });
});
