import type { SagaTimer } from '#statecharts/saga-types.ts';

/** The deadlines an order's saga is waiting on, stored in the order row itself (one write per step). */
export type PendingTimers = Partial<Record<SagaTimer, PendingTimerState>>;

export interface PendingTimerState {
  attempt: number;
  deadlineAt: string;
  /**
   * The command this deadline waits on (its outbox message id) and how long the participant has once
   * it reached the broker: a deadline counts from the broker, not from the outbox (saga-step.ts).
   * Absent on timers set before this was recorded: they count from when they were set.
   */
  commandId?: string;
  delayMs?: number;
}

export interface PendingTimer {
  timer: SagaTimer;
  attempt: number;
  deadlineAt: Date;
}

export function listPendingTimers(timers: PendingTimers | null | undefined): PendingTimer[] {
  return Object.entries(timers ?? {})
    .map(([timer, pending]) => ({ timer: timer as SagaTimer, attempt: pending!.attempt, deadlineAt: new Date(pending!.deadlineAt) }))
    .sort((a, b) => a.deadlineAt.getTime() - b.deadlineAt.getTime());
}

/** The earliest deadline: what the sweep's index looks at. */
export function nextDeadlineOf(timers: PendingTimers): Date | null {
  return listPendingTimers(timers)[0]?.deadlineAt ?? null;
}

export function dueTimers(timers: PendingTimers | null | undefined, now: Date): PendingTimer[] {
  return listPendingTimers(timers).filter((pending) => pending.deadlineAt.getTime() <= now.getTime());
}
