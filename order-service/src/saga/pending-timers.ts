import type { SagaTimer } from '#statecharts/saga-types.ts';

/** The deadlines an order's saga is waiting on, stored in the order row itself (one write per step). */
export type PendingTimers = Partial<Record<SagaTimer, { attempt: number; deadlineAt: string }>>;

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
