import { describe, expect, it } from 'vitest';
import { transition } from 'xstate';
import { orderSagaMachine } from './order-saga.machine.ts';
import { advanceOrderSaga, isTerminal, orderStatusOf, persistOrderSaga, restoreOrderSaga, startOrderSaga } from './order-saga.ts';
import type { OrderSagaSnapshot, PersistedOrderSaga } from './order-saga.ts';
import { ev, orderInput, run } from './saga-test-kit.ts';
import type { OrderSagaEvent } from './saga-types.ts';

// Long enough to pass through every status and both compensation substates.
const scenario: OrderSagaEvent[] = [
  ev.reservationTimedOut,
  ev.stockReserved,
  ev.paymentTimedOut,
  ev.paymentCompleted,
  ev.confirmationTimedOut,
  ev.stockConfirmRejected,
  ev.releaseTimedOut,
  ev.stockReleased,
  ev.refundTimedOut,
  ev.paymentRefunded,
  { type: 'PaymentCompleted', paymentId: 'payment-2' },
  ev.paymentRefunded,
];

function roundTrip(snapshot: OrderSagaSnapshot): OrderSagaSnapshot {
  const stored = JSON.stringify(persistOrderSaga(snapshot));
  return restoreOrderSaga(JSON.parse(stored));
}

describe('persisting and restoring', () => {
  it('a snapshot restored after any step continues exactly like the live one', () => {
    for (let cut = 0; cut <= scenario.length; cut++) {
      let live = startOrderSaga(orderInput).snapshot;
      for (const event of scenario.slice(0, cut)) live = advanceOrderSaga(live, event).snapshot;
      let restored = roundTrip(live);
      expect(restored.value).toEqual(live.value);
      expect(restored.context).toEqual(live.context);

      for (const event of scenario.slice(cut)) {
        const fromLive = advanceOrderSaga(live, event);
        const fromRestored = advanceOrderSaga(restored, event);
        expect(fromRestored.effects).toEqual(fromLive.effects);
        expect(fromRestored.snapshot.value).toEqual(fromLive.snapshot.value);
        expect(fromRestored.snapshot.context).toEqual(fromLive.snapshot.context);
        live = fromLive.snapshot;
        restored = roundTrip(fromRestored.snapshot);
      }
      expect(orderStatusOf(restored)).toBe('CANCELLED');
    }
  });

  it('restored terminal states still refuse cancellation', () => {
    const confirmed = roundTrip(run([ev.stockReserved, ev.paymentCompleted, ev.stockConfirmed]).snapshot);
    expect(confirmed.can(ev.cancellationRequested)).toBe(false);
    expect(isTerminal(confirmed)).toBe(true);
  });

  it('the XState-style round trip through getPersistedSnapshot and resolveState works too', () => {
    const { snapshot } = run([ev.stockReserved, ev.paymentFailed]);
    const persisted = JSON.parse(JSON.stringify(orderSagaMachine.getPersistedSnapshot(snapshot)));
    const restored = orderSagaMachine.resolveState(persisted);
    const [next, actions] = transition(orderSagaMachine, restored, ev.stockReleased);
    expect(next.value).toBe('CANCELLED');
    expect(actions.map((a) => a.params)).toEqual([{ timer: 'release' }]);
  });

  it('rejects a stored state the machine does not know', () => {
    const persisted = persistOrderSaga(run([]).snapshot);
    expect(() => restoreOrderSaga({ ...persisted, value: 'SHIPPED' })).toThrow(/'SHIPPED' does not exist/);
  });
});

describe('orders stored by machine v2 (a late compensation sent once, without a timer)', () => {
  // Written by the v2 machine (git show <v2>:statecharts/src/order-saga.machine.ts): a CANCELLED order
  // that refunded a late charge, and one that released a late reservation; neither armed a timer.
  const settings = {
    reservation: { timeoutMs: 10_000, maxAttempts: 3 },
    payment: { timeoutMs: 10_000, maxAttempts: 3 },
    confirmation: { timeoutMs: 10_000, maxAttempts: 3 },
    release: { timeoutMs: 10_000, maxAttempts: 10 },
    refund: { timeoutMs: 10_000, maxAttempts: 10 },
  };
  const stored = (context: Partial<PersistedOrderSaga['context']>): PersistedOrderSaga =>
    JSON.parse(
      JSON.stringify({
        status: 'active',
        value: 'CANCELLED',
        historyValue: {},
        context: {
          orderId: 'order-1',
          customerId: 'customer-1',
          items: orderInput.items,
          price: 10_000,
          settings,
          ...context,
        },
        children: {},
      }),
    );
  const owingRefund = stored({
    failureMessages: ['payment failed: insufficient funds'],
    anomalies: ['payment completed after cancellation; refunded'],
    attempts: { reservation: 1, payment: 1, confirmation: 0, release: 1, refund: 0 },
    paymentId: 'payment-1',
    stockMayBeReserved: false,
    paymentMayBeTaken: true,
    confirmationRequested: false,
  });
  const owingRelease = stored({
    failureMessages: ['stock rejected: out of stock'],
    anomalies: ['stock reserved after cancellation; released'],
    attempts: { reservation: 1, payment: 0, confirmation: 0, release: 0, refund: 0 },
    paymentId: null,
    stockMayBeReserved: true,
    paymentMayBeTaken: false,
    confirmationRequested: false,
  });

  it('restore as terminal CANCELLED orders', () => {
    for (const persisted of [owingRefund, owingRelease]) {
      const snapshot = restoreOrderSaga(persisted);
      expect(orderStatusOf(snapshot)).toBe('CANCELLED');
      expect(isTerminal(snapshot)).toBe(true);
      expect(persistOrderSaga(snapshot)).toEqual(persisted);
    }
  });

  it('settle when the answer to the v2 command comes (clearing a timer they never had, which the order service ignores)', () => {
    const refunded = advanceOrderSaga(restoreOrderSaga(owingRefund), ev.paymentRefunded);
    expect(refunded.effects).toEqual([{ kind: 'clearTimer', timer: 'refund' }]);
    expect(refunded.snapshot.context.paymentMayBeTaken).toBe(false);
    const released = advanceOrderSaga(restoreOrderSaga(owingRelease), ev.stockReleased);
    expect(released.effects).toEqual([{ kind: 'clearTimer', timer: 'release' }]);
    expect(released.snapshot.context.stockMayBeReserved).toBe(false);
  });

  it('ignore duplicates of the late reply, as v2 did (no timer is armed by them)', () => {
    expect(advanceOrderSaga(restoreOrderSaga(owingRefund), ev.paymentCompleted)).toMatchObject({ changed: false, effects: [] });
    expect(advanceOrderSaga(restoreOrderSaga(owingRelease), ev.stockReserved)).toMatchObject({ changed: false, effects: [] });
  });

  it('join the v3 retries once a timer is given to them with the attempt their context holds', () => {
    // What a data fix in the order service would add: timers.refund = { attempt: context.attempts.refund, deadline: now }.
    const retried = advanceOrderSaga(restoreOrderSaga(owingRefund), { type: 'RefundTimedOut', attempt: 0 });
    expect(retried.effects).toEqual([
      {
        kind: 'command',
        command: 'RefundPayment',
        payload: { customerId: 'customer-1', reason: 'payment completed after the order was cancelled' },
      },
      { kind: 'setTimer', timer: 'refund', delayMs: 10_000, attempt: 1 },
    ]);
    expect(orderStatusOf(retried.snapshot)).toBe('CANCELLED');
    const released = advanceOrderSaga(restoreOrderSaga(owingRelease), { type: 'ReleaseTimedOut', attempt: 0 });
    expect(released.effects).toEqual([
      { kind: 'command', command: 'ReleaseStock', payload: { reason: 'stock reserved after the order was cancelled' } },
      { kind: 'setTimer', timer: 'release', delayMs: 10_000, attempt: 1 },
    ]);
    // Another attempt than the context's is stale, as everywhere.
    expect(advanceOrderSaga(restoreOrderSaga(owingRefund), { type: 'RefundTimedOut', attempt: 3 })).toMatchObject({ changed: false, effects: [] });
  });
});

describe('status and outcome', () => {
  it('orderStatusOf reads the top-level state, also inside CANCELLING', () => {
    expect(orderStatusOf(run([]).snapshot)).toBe('PENDING');
    expect(orderStatusOf(run([ev.cancellationRequested]).snapshot)).toBe('CANCELLING');
    expect(orderStatusOf(run([ev.stockRejected]).snapshot)).toBe('CANCELLED');
  });

  it('advanceOrderSaga marks explicit no-ops as unchanged', () => {
    const reserved = run([ev.stockReserved]).snapshot;
    expect(advanceOrderSaga(reserved, ev.stockReserved)).toMatchObject({ changed: false, effects: [] });
    expect(advanceOrderSaga(reserved, ev.paymentCompleted).changed).toBe(true);
  });
});
