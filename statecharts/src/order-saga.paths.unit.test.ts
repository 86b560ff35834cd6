// Generated tests: xstate/graph enumerates paths over the whole event
// alphabet (replies, duplicates, late replies, timeouts, cancellation); each
// path is replayed with transition() because the graph keeps snapshots but
// drops the returned actions, and every step's effects are checked.
import { describe, expect, it } from 'vitest';
import { transition } from 'xstate';
import { getAdjacencyMap, getShortestPaths, getSimplePaths } from 'xstate/graph';
import { orderSagaMachine } from './order-saga.machine.ts';
import { isTerminal, orderStatusOf, persistOrderSaga, restoreOrderSaga } from './order-saga.ts';
import type { OrderSagaSnapshot } from './order-saga.ts';
import { expectedTimersOf, pathViolations, stateIdOf, WAITING_TIMER_OF } from './saga-path-invariants.ts';
import type { PathStep } from './saga-path-invariants.ts';
import { everyEvent, orderInput, send, start } from './saga-test-kit.ts';
import { ORDER_SAGA_EVENT_TYPES } from './saga-types.ts';
import type { OrderSagaEvent, SagaStep } from './saga-types.ts';

// Small attempt limits keep the graph finite and small while still covering
// retry, exhaustion, and compensation retrying past its limit.
const settings = {
  reservation: { maxAttempts: 2 },
  payment: { maxAttempts: 2 },
  confirmation: { maxAttempts: 2 },
  release: { maxAttempts: 1 },
  refund: { maxAttempts: 1 },
};
const input = { ...orderInput, settings };

const STEP_OF_TIMEOUT: Partial<Record<OrderSagaEvent['type'], SagaStep>> = {
  ReservationTimedOut: 'reservation',
  PaymentTimedOut: 'payment',
  ConfirmationTimedOut: 'confirmation',
  ReleaseTimedOut: 'release',
  RefundTimedOut: 'refund',
};

/** Timer events carry the attempt they were armed for, as the order service delivers them. */
function eventsFor(snapshot: OrderSagaSnapshot): OrderSagaEvent[] {
  return everyEvent.map((event) => {
    const step = STEP_OF_TIMEOUT[event.type];
    return step ? ({ type: event.type, attempt: snapshot.context.attempts[step] } as OrderSagaEvent) : event;
  });
}

// Compensation retries forever; one retry past maxAttempts is enough to cover that.
function withinRetryBudget(snapshot: OrderSagaSnapshot, event: OrderSagaEvent): boolean {
  const step = STEP_OF_TIMEOUT[event.type];
  if (step !== 'release' && step !== 'refund') return true;
  return snapshot.context.attempts[step] <= snapshot.context.settings[step].maxAttempts;
}

/**
 * Graph vertices are what decides future behaviour. failureMessages and
 * anomalies only feed payload text, and attempts of steps already left never
 * matter again; keeping them would multiply the vertices without new behaviour.
 */
function behaviourKey(snapshot: OrderSagaSnapshot): string {
  const { context } = snapshot;
  return JSON.stringify([
    snapshot.value,
    context.stockMayBeReserved,
    context.paymentMayBeTaken,
    context.confirmationRequested,
    context.paymentId,
    // The attempts of every pending timer: the waiting state's, or CANCELLED's late compensations.
    expectedTimersOf(snapshot).map((timer) => [timer, context.attempts[timer]]),
  ]);
}

const traversal = {
  input,
  events: eventsFor,
  filterEvents: withinRetryBudget,
  serializeState: (snapshot: OrderSagaSnapshot) => behaviourKey(snapshot),
};

/** A late reply that would start a second compensation in CANCELLED while the other one is still owed. */
function startsSecondLateCompensation(snapshot: OrderSagaSnapshot, event: OrderSagaEvent): boolean {
  if (stateIdOf(snapshot) !== 'CANCELLED') return false;
  const { stockMayBeReserved, paymentMayBeTaken } = snapshot.context;
  const startsRelease = event.type === 'StockReserved' || (event.type === 'DriftFound' && event.stockHeld);
  const startsRefund = event.type === 'PaymentCompleted' || (event.type === 'DriftFound' && event.moneyTaken);
  return (startsRelease && paymentMayBeTaken) || (startsRefund && stockMayBeReserved);
}

// Simple paths are every interleaving: a release and a refund owed at once in CANCELLED, each with its
// timer, answer and retry, multiply them twelvefold (2,300 to 32,000 paths, a minute of CPU) without a
// new kind of step. So simple paths run one late compensation at a time; the shortest paths and the
// every-state-against-every-event checks use the whole graph, which has both at once.
const oneLateCompensationAtATime = {
  ...traversal,
  filterEvents: (snapshot: OrderSagaSnapshot, event: OrderSagaEvent) =>
    withinRetryBudget(snapshot, event) && !startsSecondLateCompensation(snapshot, event),
};

function replay(events: readonly OrderSagaEvent[]): PathStep[] {
  const first = start(settings);
  const steps: PathStep[] = [{ event: null, after: first.snapshot, effects: first.effects }];
  for (const event of events) {
    const { snapshot, effects } = send(steps.at(-1)!.after, event);
    steps.push({ event, after: snapshot, effects });
  }
  return steps;
}

const eventsOf = (path: { steps: { event: { type: string } }[] }) => path.steps.slice(1).map((step) => step.event as OrderSagaEvent);

// Thousands of paths are replayed step by step: seconds of CPU, more on a busy 2-core machine.
describe('generated paths', { timeout: 60_000 }, () => {
  const simplePaths = getSimplePaths(orderSagaMachine, oneLateCompensationAtATime);
  const terminalPaths = simplePaths.filter((path) => isTerminal(path.state));

  it('finds thousands of paths to both terminal statuses', () => {
    const byStatus = Object.groupBy(terminalPaths, (path) => orderStatusOf(path.state));
    console.info(
      `order saga: ${simplePaths.length} simple paths, ${terminalPaths.length} end terminal ` +
        `(CONFIRMED ${byStatus.CONFIRMED?.length}, CANCELLED ${byStatus.CANCELLED?.length})`,
    );
    expect(terminalPaths.length).toBeGreaterThan(1_000);
    expect(byStatus.CONFIRMED?.length).toBeGreaterThan(10);
    expect(byStatus.CANCELLED?.length).toBeGreaterThan(100);
  });

  it('covers every state and every event type', () => {
    const states = new Set(simplePaths.flatMap((path) => path.steps.map((step) => stateIdOf(step.state))));
    expect([...states].sort()).toEqual(Object.keys(WAITING_TIMER_OF).sort());
    const events = new Set(simplePaths.flatMap((path) => eventsOf(path).map((event) => event.type)));
    expect([...events].sort()).toEqual([...ORDER_SAGA_EVENT_TYPES].sort());
  });

  it('every step of every path to a terminal state has consistent effects', () => {
    for (const path of terminalPaths) {
      const steps = replay(eventsOf(path));
      // The vertex abstraction must not merge states that behave differently.
      expect(steps.map((step) => behaviourKey(step.after))).toEqual(path.steps.map((step) => behaviourKey(step.state)));
      const violations = pathViolations(steps);
      if (violations.length) {
        throw new Error(
          `${eventsOf(path)
            .map((e) => e.type)
            .join(' > ')}\n${violations.join('\n')}`,
        );
      }
    }
  });

  it("persists every snapshot of every path exactly as XState's getPersistedSnapshot does", () => {
    for (const path of terminalPaths) {
      for (const step of replay(eventsOf(path))) {
        expect(persistOrderSaga(step.after)).toEqual(orderSagaMachine.getPersistedSnapshot(step.after));
      }
    }
  });

  it('a reply or timer delivered twice in a row changes nothing the second time', () => {
    for (const path of terminalPaths) {
      for (const step of replay(eventsOf(path)).slice(1)) {
        const [again, actions] = transition(orderSagaMachine, step.after, step.event!);
        expect(actions).toEqual([]);
        expect(again.value).toEqual(step.after.value);
        expect(again.context).toEqual(step.after.context);
      }
    }
  });

  it('shortest paths reach every vertex consistently, also after a persist/restore at the last step', () => {
    const shortest = getShortestPaths(orderSagaMachine, traversal);
    expect(shortest.length).toBe(Object.keys(getAdjacencyMap(orderSagaMachine, traversal)).length);
    // The whole graph has CANCELLED orders owing a release and a refund at once, retried or not.
    const bothOwed = shortest.filter((path) => expectedTimersOf(path.state).length === 2);
    expect(new Set(bothOwed.map((path) => JSON.stringify(expectedTimersOf(path.state).map((t) => path.state.context.attempts[t])))).size).toBe(4);
    for (const path of shortest) {
      const steps = replay(eventsOf(path));
      expect(pathViolations(steps)).toEqual([]);
      const last = steps.at(-1)!.after;
      const restored = restoreOrderSaga(JSON.parse(JSON.stringify(persistOrderSaga(last))));
      for (const event of eventsFor(last)) {
        expect(send(restored, event)).toEqual(send(last, event));
      }
    }
  });
});

describe('every edge', () => {
  // Simple paths never take an edge back to a vertex already on them, e.g. a late release answered
  // (CANCELLED owing nothing again); the shortest path to each vertex and then one event of every
  // kind takes every edge once, so the invariants are checked on all of them.
  const edges = getShortestPaths(orderSagaMachine, traversal).flatMap((path) => {
    const steps = replay(eventsOf(path));
    return eventsFor(steps.at(-1)!.after).map((event) => {
      const { snapshot, effects } = send(steps.at(-1)!.after, event);
      return [...steps, { event, after: snapshot, effects }];
    });
  });

  it('keeps the invariants of a whole path', () => {
    const violations = edges.flatMap((steps) =>
      pathViolations(steps).map(
        (violation) =>
          `${steps
            .slice(1)
            .map((step) => step.event!.type)
            .join(' > ')}: ${violation}`,
      ),
    );
    expect(violations).toEqual([]);
  });

  it('arms, retries and settles late compensation inside CANCELLED', () => {
    const reactions = new Set(
      edges.flatMap((steps) => {
        const [before, last] = steps.slice(-2);
        if (orderStatusOf(before!.after) !== 'CANCELLED' || orderStatusOf(last!.after) !== 'CANCELLED') return [];
        const effects = last!.effects.map((effect) => `${effect.kind} ${effect.kind === 'command' ? effect.command : effect.timer}`);
        return [`${last!.event!.type}: ${effects.join(', ')}`];
      }),
    );
    for (const reaction of [
      'StockReserved: command ReleaseStock, setTimer release',
      'ReleaseTimedOut: command ReleaseStock, setTimer release',
      'StockReleased: clearTimer release',
      'StockReleaseRefused: clearTimer release',
      'PaymentCompleted: command RefundPayment, setTimer refund',
      'RefundTimedOut: command RefundPayment, setTimer refund',
      'PaymentRefunded: clearTimer refund',
      'DriftFound: command ReleaseStock, setTimer release',
      'DriftFound: command RefundPayment, setTimer refund',
    ]) {
      expect(reactions, reaction).toContain(reaction);
    }
  });
});

describe('every state against every event', () => {
  const adjacency = getAdjacencyMap(orderSagaMachine, traversal);
  const vertices = Object.values(adjacency).map((vertex) => vertex.state);
  // Beyond the traversal alphabet: another payment id, stale and attempt-less timers.
  const probes = (snapshot: OrderSagaSnapshot): OrderSagaEvent[] => [
    ...eventsFor(snapshot),
    ...everyEvent,
    { type: 'PaymentCompleted', paymentId: 'payment-2' },
    { type: 'ReleaseTimedOut', attempt: 0 },
    { type: 'ReservationTimedOut', attempt: 0 },
  ];

  it('a transition that changes nothing sends nothing', () => {
    let noOps = 0;
    for (const snapshot of vertices) {
      for (const event of probes(snapshot)) {
        const [next, actions] = transition(orderSagaMachine, snapshot, event);
        const unchanged = JSON.stringify([next.value, next.context]) === JSON.stringify([snapshot.value, snapshot.context]);
        if (unchanged) {
          noOps++;
          expect(actions, `${stateIdOf(snapshot)} + ${event.type}`).toEqual([]);
        }
      }
    }
    expect(noOps).toBeGreaterThan(vertices.length);
  });

  it('cancellation is offered exactly in PENDING, RESERVED and PAID', () => {
    for (const snapshot of vertices) {
      const offered = ['PENDING', 'RESERVED', 'PAID'].includes(orderStatusOf(snapshot));
      expect(snapshot.can({ type: 'CancellationRequested', reason: 'operator' })).toBe(offered);
    }
  });

  it('every state names every event explicitly (own or inherited from CANCELLING)', () => {
    const leaves = orderSagaMachine.root.states;
    const cancelling = leaves.CANCELLING!;
    const atomic = [...Object.values(leaves).filter((node) => node.type === 'atomic'), ...Object.values(cancelling.states)];
    for (const node of atomic) {
      const handled = new Set([...node.transitions.keys(), ...(node.parent?.transitions.keys() ?? [])]);
      const expected = ORDER_SAGA_EVENT_TYPES.filter((type) => !(node.tags.includes('terminal') && type === 'CancellationRequested'));
      expect([...handled].sort(), node.id).toEqual([...expected].sort());
    }
  });
});
