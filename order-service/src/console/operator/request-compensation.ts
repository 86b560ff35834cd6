import type { Orm } from '#shared/db/orm.ts';
import { advanceOrderSaga, restoreOrderSaga } from '#statecharts/order-saga.ts';
import type { OrderSagaEvent } from '#statecharts/saga-types.ts';
import { findOrder } from '../../saga/saga-reads.ts';
import type { SagaRunner } from '../../saga/saga-runner.ts';
import { stateName, type EventOrigin, type StepResult } from '../../saga/saga-step.ts';
import { noOpReasons } from './machine-facts.ts';

export type CompensationResult =
  | { kind: 'compensating'; result: StepResult }
  | { kind: 'unknown-order' }
  | { kind: 'refused'; state: string; why: string };

/**
 * An operator asks the saga to give up and compensate: `CancellationRequested` through the runner
 * and the step handler. The machine decides: where it has no such transition (CONFIRMED,
 * CANCELLED) or deliberately ignores it (already CANCELLING), the request is refused before
 * anything is recorded.
 */
export function createRequestCompensation(deps: { orm: Orm; runner: Pick<SagaRunner, 'operatorEvent'> }) {
  return async function requestCompensation(orderId: string, reason: string, origin: EventOrigin): Promise<CompensationResult> {
    const order = await findOrder(deps.orm.em, orderId);
    if (!order) return { kind: 'unknown-order' };
    const event: OrderSagaEvent = { type: 'CancellationRequested', reason };
    const refusal = refusalOf(order.snapshot, event);
    if (refusal) return refusal;
    const outcome = await deps.runner.operatorEvent(orderId, event, origin);
    if (outcome.kind !== 'applied') return { kind: 'unknown-order' };
    if (!outcome.result.changed) {
      // The saga moved on between the check and the step; the step is recorded as a no-op.
      return { kind: 'refused', state: stateName(outcome.result.order.snapshot.value), why: 'the saga moved on meanwhile; recorded as a no-op' };
    }
    return { kind: 'compensating', result: outcome.result };
  };
}

/** Why the machine would not compensate this order now, or null if it would. Pure. */
export function refusalOf(
  persisted: Parameters<typeof restoreOrderSaga>[0],
  event: OrderSagaEvent,
): { kind: 'refused'; state: string; why: string } | null {
  const snapshot = restoreOrderSaga(persisted);
  const state = stateName(snapshot.value);
  // can() is false both where the machine has no transition and where it has an explicit no-op.
  if (snapshot.can(event) && advanceOrderSaga(snapshot, event).changed) return null;
  const reasons = noOpReasons(state, event.type);
  const why =
    reasons.length > 0 ? `${state} ignores ${event.type} (${reasons.join('; ')})` : `the machine has no ${event.type} transition in ${state}`;
  return { kind: 'refused', state, why };
}
