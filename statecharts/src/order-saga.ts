// What the order service needs from the saga: start, advance, read the status,
// persist and restore. All pure; effects come back as data.
import { initialTransition, transition } from 'xstate';
import type { SnapshotFrom, StateValue } from 'xstate';
import { orderSagaMachine } from './order-saga.machine.ts';
import { toSagaEffects } from './saga-effects.ts';
import type { SagaEffect } from './saga-effects.ts';
import type { OrderSagaContext, OrderSagaEvent, OrderSagaInput, OrderStatus } from './saga-types.ts';

export type OrderSagaSnapshot = SnapshotFrom<typeof orderSagaMachine>;

/** JSON-safe form of a snapshot, as stored with the order. */
export interface PersistedOrderSaga {
  value: StateValue;
  context: OrderSagaContext;
  [key: string]: unknown;
}

export interface SagaOutcome {
  snapshot: OrderSagaSnapshot;
  effects: SagaEffect[];
  /** False for explicit no-ops (duplicates, stale timers, late replies): nothing to store. */
  changed: boolean;
}

export function startOrderSaga(input: OrderSagaInput): SagaOutcome {
  const [snapshot, actions] = initialTransition(orderSagaMachine, input);
  throwIfFailed(snapshot);
  return { snapshot, effects: toSagaEffects(actions), changed: true };
}

export function advanceOrderSaga(snapshot: OrderSagaSnapshot, event: OrderSagaEvent): SagaOutcome {
  const [next, actions] = transition(orderSagaMachine, snapshot, event);
  throwIfFailed(next);
  const effects = toSagaEffects(actions);
  const changed = effects.length > 0 || stateKey(next) !== stateKey(snapshot);
  return { snapshot: next, effects, changed };
}

export function orderStatusOf(snapshot: { value: StateValue }): OrderStatus {
  const { value } = snapshot;
  return (typeof value === 'string' ? value : Object.keys(value)[0]) as OrderStatus;
}

/**
 * CONFIRMED and CANCELLED: the order's outcome is decided and no forward step waits. Not "no timer
 * pending": a CANCELLED order that receives a late StockReserved or PaymentCompleted releases or
 * refunds it and keeps that compensation's timer (release, refund) until the answer comes.
 */
export function isTerminal(snapshot: OrderSagaSnapshot): boolean {
  return snapshot.hasTag('terminal');
}

/**
 * The JSON-safe form of a snapshot. XState's snapshots are immutable (a transition returns new
 * objects), so the persisted form may share them; it is serialised when it is written.
 *
 * The same object as XState's `getPersistedSnapshot`, built directly: that one walks the whole
 * context looking for actor references to replace, and this machine spawns no actors and has no
 * history states (a snapshot that has either still goes through XState). The walk was the order
 * service's largest single CPU cost under load; order-saga.paths.unit.test.ts checks both agree on every path.
 */
export function persistOrderSaga(snapshot: OrderSagaSnapshot): PersistedOrderSaga {
  const { status, output, error, value, context, children, historyValue } = snapshot;
  if (Object.keys(children).length > 0 || Object.keys(historyValue).length > 0) {
    return orderSagaMachine.getPersistedSnapshot(snapshot) as unknown as PersistedOrderSaga;
  }
  return { status, output, error, value, historyValue: {}, context, children: {} };
}

export function restoreOrderSaga(persisted: PersistedOrderSaga): OrderSagaSnapshot {
  // resolveState rebuilds the state nodes from `value`; the machine has no
  // child actors or history, so value + context is the whole state.
  return orderSagaMachine.resolveState({ value: persisted.value, context: persisted.context });
}

function stateKey(snapshot: OrderSagaSnapshot): string {
  return JSON.stringify([snapshot.value, snapshot.context]);
}

// XState catches exceptions (e.g. invalid settings) and returns a snapshot with
// status 'error' and empty context instead; that must never be persisted.
function throwIfFailed(snapshot: OrderSagaSnapshot): void {
  if (snapshot.status === 'error') throw snapshot.error;
}
