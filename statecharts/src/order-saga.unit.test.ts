import { describe, expect, it } from 'vitest';
import { transition } from 'xstate';
import { orderSagaMachine } from './order-saga.machine.ts';
import {
  advanceOrderSaga,
  isTerminal,
  orderStatusOf,
  persistOrderSaga,
  restoreOrderSaga,
  startOrderSaga,
} from './order-saga.ts';
import type { OrderSagaSnapshot } from './order-saga.ts';
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
