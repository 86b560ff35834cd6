import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import { orderSagaMachine } from '#statecharts/order-saga.machine.ts';
import { sagaSetup } from '#statecharts/order-saga.setup.ts';
import { toSagaEffects } from '#statecharts/saga-effects.ts';
import { ORDER_SAGA_EVENT_TYPES, TIMEOUT_EVENT_OF, type OrderSagaEvent, type OrderSagaInput } from '#statecharts/saga-types.ts';
import { currentOrderSaga } from '../src/console/operator/replay-stored-orders.ts';
import { describeDivergence, replayOrder, type RecordedStep, type ReplayedOrder, type ReplayMachine } from '../src/console/operator/saga-replay.ts';

const input = (orderId: string): OrderSagaInput => ({
  orderId,
  customerId: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
  items: [{ productId: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', quantity: 3, price: 5000 }],
  price: 15_000,
  settings: { payment: { timeoutMs: 1_500, maxAttempts: 2 } },
});

/** Records a history the way the step handler does (saga_event rows), by running the real machine. */
function record<S>(machine: ReplayMachine<S>, orderId: string, events: OrderSagaEvent[]): ReplayedOrder {
  const started = machine.start(input(orderId));
  let snapshot = started.snapshot;
  const history: RecordedStep[] = [
    {
      sequence: 1,
      eventType: 'OrderPlaced',
      event: { type: 'OrderPlaced' },
      stateBefore: null,
      stateAfter: machine.stateOf(snapshot),
      effects: json(started.effects),
      changed: true,
      machineVersion: '1',
    },
  ];
  for (const event of events) {
    const outcome = machine.advance(snapshot, event);
    history.push({
      sequence: history.length + 1,
      eventType: event.type,
      event: json(event),
      stateBefore: machine.stateOf(snapshot),
      stateAfter: machine.stateOf(outcome.snapshot),
      effects: json(outcome.effects),
      changed: outcome.changed,
      machineVersion: '1',
    });
    snapshot = outcome.snapshot;
  }
  return { orderId, input: input(orderId), history, storedSnapshot: json(machine.persist(snapshot)) };
}

const json = <T>(value: T): T => JSON.parse(JSON.stringify(value));

/** Any machine built like the order saga, as replay functions (for modified copies). */
function replayMachineOf(machine: AnyStateMachine): ReplayMachine<AnyMachineSnapshot> {
  const key = (snapshot: AnyMachineSnapshot) => JSON.stringify([snapshot.value, snapshot.context]);
  return {
    start: (sagaInput) => {
      const [snapshot, actions] = initialTransition(machine, sagaInput);
      return { snapshot, effects: toSagaEffects(actions), changed: true };
    },
    advance: (snapshot, event) => {
      const [next, actions] = transition(machine, snapshot, event);
      const effects = toSagaEffects(actions);
      return { snapshot: next, effects, changed: effects.length > 0 || key(next) !== key(snapshot) };
    },
    stateOf: (snapshot: AnyMachineSnapshot) => currentOrderSaga.stateOf(snapshot as Parameters<typeof currentOrderSaga.stateOf>[0]),
    persist: (snapshot) => ({ value: snapshot.value, context: snapshot.context }),
  };
}

const paymentFailure: OrderSagaEvent[] = [
  { type: 'StockReserved' },
  { type: 'PaymentFailed', reason: 'insufficient credit' },
  { type: 'StockReleased' },
];
const scenarios: Record<string, OrderSagaEvent[]> = {
  confirmed: [{ type: 'StockReserved' }, { type: 'PaymentCompleted', paymentId: 'p-1' }, { type: 'StockConfirmed' }],
  'payment failure': paymentFailure,
  'duplicates and late replies': [
    { type: 'StockReserved' },
    { type: 'StockReserved' },
    { type: 'PaymentCompleted', paymentId: 'p-2' },
    { type: 'PaymentCompleted', paymentId: 'p-2' },
    { type: 'StockConfirmed' },
    { type: 'StockRejected', reason: 'late' },
  ],
  'timeouts, retries and a refund': [
    { type: 'ReservationTimedOut', attempt: 1 },
    { type: 'ReservationTimedOut', attempt: 1 },
    { type: 'StockReserved' },
    { type: 'PaymentTimedOut', attempt: 1 },
    { type: 'PaymentTimedOut', attempt: 2 },
    { type: 'ReleaseTimedOut', attempt: 1 },
    { type: 'StockReleased' },
    { type: 'PaymentCompleted', paymentId: 'p-3' },
    { type: 'PaymentRefunded' },
  ],
  'cancelled by an operator': [{ type: 'StockReserved' }, { type: 'CancellationRequested', reason: 'customer called' }, { type: 'StockReleased' }],
};

/** Seeded random walks over every event the saga knows: many real, odd histories. */
function randomHistories(count: number, length: number): OrderSagaEvent[][] {
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const timeoutTypes = new Set<string>(Object.values(TIMEOUT_EVENT_OF));
  return Array.from({ length: count }, () =>
    Array.from({ length }, (): OrderSagaEvent => {
      const type = ORDER_SAGA_EVENT_TYPES[Math.floor(random() * ORDER_SAGA_EVENT_TYPES.length)]!;
      if (timeoutTypes.has(type)) return { type, attempt: 1 + Math.floor(random() * 3) } as OrderSagaEvent;
      if (type === 'PaymentCompleted') return { type, paymentId: `p-${Math.floor(random() * 2)}` };
      if (['StockRejected', 'StockConfirmRejected', 'StockReleaseRefused', 'PaymentFailed', 'CancellationRequested'].includes(type)) {
        return { type, reason: 'because' } as OrderSagaEvent;
      }
      return { type } as OrderSagaEvent;
    }),
  );
}

describe('replay of recorded saga histories', () => {
  it.each(Object.entries(scenarios))('finds no divergence for the machine that recorded them: %s', (_, events) => {
    const result = replayOrder(currentOrderSaga, record(currentOrderSaga, 'order-1', events));
    expect(result.divergence).toBeNull();
    expect(result.steps).toBe(events.length + 1);
  });

  it('finds no divergence in 300 random histories of 14 events (no-ops, stale timers, anomalies included)', () => {
    const results = randomHistories(300, 14).map((events, index) =>
      replayOrder(currentOrderSaga, record(currentOrderSaga, `order-${index}`, events)),
    );
    expect(results.filter((result) => result.divergence)).toEqual([]);
  });

  it('reports the first step where a changed machine goes elsewhere', () => {
    // A "new version" in which a failed payment cancels at once, without releasing the stock.
    const config = orderSagaMachine.config as any;
    const changed = sagaSetup.createMachine({
      ...config,
      states: {
        ...config.states,
        RESERVED: { ...config.states.RESERVED, on: { ...config.states.RESERVED.on, PaymentFailed: { target: 'CANCELLED' } } },
      },
    } as any);
    const recorded = record(currentOrderSaga, 'order-7', paymentFailure);
    const result = replayOrder(replayMachineOf(changed as AnyStateMachine), recorded);
    expect(result.divergence).toMatchObject({
      orderId: 'order-7',
      sequence: 3,
      eventType: 'PaymentFailed',
      field: 'state',
      recorded: 'CANCELLING.releasingStock',
      replayed: 'CANCELLED',
    });
    expect(describeDivergence(result.divergence!)).toBe(
      'order order-7 diverges at event #3 PaymentFailed (recorded by machine v1): state recorded CANCELLING.releasingStock, replay gives CANCELLED',
    );
  });

  it('reports a step that emits other commands or timers, even in the same state', () => {
    // The same transition without recording the reason: the ReleaseStock command carries another one.
    const config = orderSagaMachine.config as any;
    const changed = sagaSetup.createMachine({
      ...config,
      states: {
        ...config.states,
        RESERVED: { ...config.states.RESERVED, on: { ...config.states.RESERVED.on, PaymentFailed: { target: 'CANCELLING' } } },
      },
    } as any);
    const result = replayOrder(replayMachineOf(changed as AnyStateMachine), record(currentOrderSaga, 'order-8', paymentFailure));
    expect(result.divergence).toMatchObject({ sequence: 3, field: 'effects' });
    expect(JSON.stringify(result.divergence!.recorded)).toContain('payment failed: insufficient credit');
  });

  it('takes the transition function as a parameter: an injected one that forgets a timer is caught', () => {
    const forgetful: typeof currentOrderSaga = {
      ...currentOrderSaga,
      advance: (snapshot, event) => {
        const outcome = currentOrderSaga.advance(snapshot, event);
        return event.type === 'StockReserved' ? { ...outcome, effects: outcome.effects.filter((effect) => effect.kind !== 'setTimer') } : outcome;
      },
    };
    const result = replayOrder(forgetful, record(currentOrderSaga, 'order-9', scenarios.confirmed!));
    expect(result.divergence).toMatchObject({ sequence: 2, eventType: 'StockReserved', field: 'effects' });
  });

  it('compares the start with the recorded OrderPlaced step', () => {
    const recorded = record(currentOrderSaga, 'order-10', []);
    recorded.history[0]!.effects = recorded.history[0]!.effects.slice(0, 1);
    expect(replayOrder(currentOrderSaga, recorded).divergence).toMatchObject({ sequence: 1, eventType: 'OrderPlaced', field: 'effects' });
  });

  it('reports a stored snapshot the history does not lead to, and a gap in the history', () => {
    const recorded = record(currentOrderSaga, 'order-11', scenarios.confirmed!);
    const tampered = { ...recorded, storedSnapshot: { ...recorded.storedSnapshot!, value: 'PAID' } };
    expect(replayOrder(currentOrderSaga, tampered).divergence).toMatchObject({ sequence: null, field: 'snapshot' });
    const gap = { ...recorded, history: recorded.history.filter((step) => step.sequence !== 2) };
    expect(replayOrder(currentOrderSaga, gap).divergence).toMatchObject({ field: 'history' });
  });
});
