// Replays recorded saga histories through a machine, purely, and reports where the machine now
// decides differently from what was recorded: the check to run before deploying a new machine.
import { isDeepStrictEqual } from 'node:util';
import type { SagaEffect } from '#statecharts/saga-effects.ts';
import type { OrderSagaEvent, OrderSagaInput } from '#statecharts/saga-types.ts';

/** One recorded step, as in saga_event. */
export interface RecordedStep {
  sequence: number;
  eventType: string;
  event: Record<string, unknown>;
  stateBefore: string | null;
  stateAfter: string;
  effects: SagaEffect[];
  changed: boolean;
  machineVersion: string;
}

/** The machine under test, as pure functions (the current machine, or a modified copy in tests). */
export interface ReplayMachine<S> {
  start(input: OrderSagaInput): { snapshot: S; effects: SagaEffect[]; changed: boolean };
  advance(snapshot: S, event: OrderSagaEvent): { snapshot: S; effects: SagaEffect[]; changed: boolean };
  /** "PAID", "CANCELLING.releasingStock": as recorded in stateBefore/stateAfter. */
  stateOf(snapshot: S): string;
  /** value + context of a snapshot, comparable with the stored one. */
  persist(snapshot: S): { value: unknown; context: unknown };
}

export interface ReplayedOrder {
  orderId: string;
  input: OrderSagaInput;
  history: RecordedStep[];
  /** The snapshot stored with the order (value + context); compared after the last step. */
  storedSnapshot?: { value: unknown; context: unknown };
}

export type DivergenceField = 'state' | 'effects' | 'changed' | 'snapshot' | 'error' | 'history';

export interface Divergence {
  orderId: string;
  /** The recorded step where the machine first decides differently (null: after the last step). */
  sequence: number | null;
  eventType: string | null;
  field: DivergenceField;
  recorded: unknown;
  replayed: unknown;
  recordedMachineVersion: string | null;
}

export type ReplayResult = { orderId: string; steps: number; divergence: Divergence | null };

/** The pseudo-event recorded when an order is placed: the machine's start, not an event it receives. */
export const ORDER_PLACED = 'OrderPlaced';

export function replayOrder<S>(machine: ReplayMachine<S>, order: ReplayedOrder): ReplayResult {
  const diverged = (step: RecordedStep | null, field: DivergenceField, recorded: unknown, replayed: unknown): ReplayResult => ({
    orderId: order.orderId,
    steps: order.history.length,
    divergence: {
      orderId: order.orderId,
      sequence: step?.sequence ?? null,
      eventType: step?.eventType ?? null,
      field,
      recorded,
      replayed,
      recordedMachineVersion: step?.machineVersion ?? null,
    },
  });
  const history = [...order.history].sort((a, b) => a.sequence - b.sequence);
  const gap = history.findIndex((step, index) => step.sequence !== index + 1);
  if (gap >= 0) return diverged(history[gap]!, 'history', `sequence ${gap + 1}`, `sequence ${history[gap]!.sequence}`);

  let snapshot: S;
  try {
    const started = machine.start(order.input);
    snapshot = started.snapshot;
    const placed = history[0]?.eventType === ORDER_PLACED ? history[0] : null;
    if (placed) {
      const mismatch = compareStep(placed, machine.stateOf(snapshot), started);
      if (mismatch) return diverged(placed, mismatch.field, mismatch.recorded, mismatch.replayed);
    }
  } catch (error) {
    return diverged(history[0] ?? null, 'error', null, (error as Error).message);
  }

  for (const step of history) {
    if (step.eventType === ORDER_PLACED) continue;
    const before = machine.stateOf(snapshot);
    if (step.stateBefore !== null && step.stateBefore !== before) return diverged(step, 'state', `before: ${step.stateBefore}`, `before: ${before}`);
    let outcome: ReturnType<ReplayMachine<S>['advance']>;
    try {
      outcome = machine.advance(snapshot, step.event as OrderSagaEvent);
    } catch (error) {
      return diverged(step, 'error', step.stateAfter, (error as Error).message);
    }
    const mismatch = compareStep(step, machine.stateOf(outcome.snapshot), outcome);
    if (mismatch) return diverged(step, mismatch.field, mismatch.recorded, mismatch.replayed);
    snapshot = outcome.snapshot;
  }

  if (order.storedSnapshot) {
    const replayed = machine.persist(snapshot);
    const stored = { value: order.storedSnapshot.value, context: order.storedSnapshot.context };
    if (!isDeepStrictEqual(normalise(replayed), normalise(stored))) return diverged(null, 'snapshot', stored, replayed);
  }
  return { orderId: order.orderId, steps: history.length, divergence: null };
}

function compareStep(
  step: RecordedStep,
  stateAfter: string,
  outcome: { effects: SagaEffect[]; changed: boolean },
): { field: DivergenceField; recorded: unknown; replayed: unknown } | null {
  if (step.stateAfter !== stateAfter) return { field: 'state', recorded: step.stateAfter, replayed: stateAfter };
  if (!isDeepStrictEqual(normalise(step.effects), normalise(outcome.effects))) {
    return { field: 'effects', recorded: step.effects, replayed: outcome.effects };
  }
  if (step.changed !== outcome.changed) return { field: 'changed', recorded: step.changed, replayed: outcome.changed };
  return null;
}

/** JSON round trip: what was stored went through JSON, so compare like with like. */
function normalise(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? null));
}

export function describeDivergence(divergence: Divergence): string {
  const where =
    divergence.sequence === null
      ? 'after the last event'
      : `at event #${divergence.sequence} ${divergence.eventType} (recorded by machine v${divergence.recordedMachineVersion})`;
  const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  return `order ${divergence.orderId} diverges ${where}: ${divergence.field} recorded ${show(divergence.recorded)}, replay gives ${show(divergence.replayed)}`;
}
