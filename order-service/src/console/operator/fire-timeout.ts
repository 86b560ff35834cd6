import type { SagaTimer } from '#statecharts/saga-types.ts';
import type { SagaRunner } from '../../saga/saga-runner.ts';
import type { EventOrigin, StepResult } from '../../saga/saga-step.ts';

export type FireTimeoutResult =
  | { kind: 'fired'; result: StepResult; attempt: number; originalDeadline: Date }
  | { kind: 'unknown-order' }
  /** No such timer is pending, or it fired (or was cleared) while the operator's request ran. */
  | { kind: 'not-pending' };

/**
 * An operator fires a pending timer now instead of at its deadline: through the runner and the one
 * step handler like any timer (same pending check under the row lock, same history row, with the
 * operator's origin). The deadline job of its bucket still comes due and finds nothing to fire.
 */
export function createFireTimeout(deps: { runner: Pick<SagaRunner, 'fireTimerNow'> }) {
  return async function fireTimeout(orderId: string, timer: SagaTimer, origin: EventOrigin): Promise<FireTimeoutResult> {
    const outcome = await deps.runner.fireTimerNow(orderId, timer, origin);
    if (outcome.kind === 'unknown-order') return outcome;
    // An early firing is never postponed; stale: it fired or was cleared meanwhile.
    if (outcome.kind === 'stale' || outcome.kind === 'postponed') return { kind: 'not-pending' };
    const fired = outcome.result.firedTimer!;
    return { kind: 'fired', result: outcome.result, attempt: fired.attempt, originalDeadline: fired.deadlineAt };
  };
}
