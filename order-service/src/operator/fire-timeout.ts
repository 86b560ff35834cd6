import type { Orm } from '#shared/db/orm.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import type { SagaTimer } from '#statecharts/saga-types.ts';
import { CustomerOrder } from '../orders/order.entity.ts';
import type { SagaRunner } from '../saga/saga-runner.ts';
import type { EventOrigin, StepResult } from '../saga/saga-step.ts';
import { LockMode } from '@mikro-orm/core';
import { nextDeadlineOf } from '../saga/pending-timers.ts';

export type FireTimeoutResult =
  | { kind: 'fired'; result: StepResult; attempt: number; originalDeadline: Date }
  | { kind: 'unknown-order' }
  /** No such timer is pending, or it fired (or was cleared) while the operator's request ran. */
  | { kind: 'not-pending' };

/**
 * An operator fires a pending timer now instead of at its deadline: the timer's deadline in the
 * order row moves to now, and the firing goes through the runner and the one step handler like any timer
 * (same attempt check, same history row, source 'operator'). The timer's delayed job still
 * exists; when it comes due it finds the row moved on and is ignored as stale.
 */
export function createFireTimeout(deps: { orm: Orm; runner: Pick<SagaRunner, 'fireTimer'>; clock: Clock }) {
  return async function fireTimeout(orderId: string, timer: SagaTimer, origin: EventOrigin): Promise<FireTimeoutResult> {
    const due = await deps.orm.em.fork().transactional(async (em) => {
      const order = await em.findOne(CustomerOrder, { id: orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!order) return { kind: 'unknown-order' } as const;
      const pending = order.timers[timer];
      if (!pending) return { kind: 'not-pending' } as const;
      const now = deps.clock.now();
      const originalDeadline = new Date(pending.deadlineAt);
      if (originalDeadline.getTime() > now.getTime()) {
        order.timers = { ...order.timers, [timer]: { ...pending, deadlineAt: now.toISOString() } };
        order.nextDeadlineAt = nextDeadlineOf(order.timers);
      }
      return { kind: 'due', attempt: pending.attempt, originalDeadline } as const;
    });
    if (due.kind !== 'due') return due;
    const outcome = await deps.runner.fireTimer({ orderId, timer, attempt: due.attempt }, origin);
    if (outcome.kind === 'unknown-order') return outcome;
    if (outcome.kind === 'stale') return { kind: 'not-pending' };
    return { kind: 'fired', result: outcome.result, attempt: due.attempt, originalDeadline: due.originalDeadline };
  };
}
