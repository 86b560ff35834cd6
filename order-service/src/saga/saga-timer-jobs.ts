import { Queue, Worker } from 'bullmq';
import type { Orm } from '#shared/db/orm.ts';
import { errorMessage } from '#shared/db/retryable-errors.ts';
import type { Logger } from '#shared/observability/logger.ts';
import { activeTraceparent } from '#shared/observability/tracing.ts';
import type { SagaTimer } from '#statecharts/saga-types.ts';
import { dueTimers, type PendingTimers } from './pending-timers.ts';
import type { TimerJobChange } from './saga-step.ts';

export interface TimerFiring {
  orderId: string;
  timer: SagaTimer;
  attempt: number;
  /** The trace the firing joins (the step that armed it, or the order's placement); absent when tracing is off. */
  traceparent?: string | null;
}

export interface SagaTimerJobs {
  apply(changes: readonly TimerJobChange[]): Promise<void>;
  /** Fires every timer row whose deadline passed (the queue may have lost its job). */
  sweep(): Promise<number>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** BullMQ allows a ':' in custom ids only as exactly three parts. */
export const timerJobId = (orderId: string, timer: SagaTimer, attempt: number) => `saga:${orderId}:${timer}-${attempt}`;

/**
 * Saga deadlines on time: each pending timer (stored in its order row) gets a BullMQ delayed job
 * with a deterministic id; the job fires the timer through the step handler, which ignores it if
 * the saga moved on. Redis here keeps nothing on disk, so a periodic sweep fires overdue timers
 * whose job was lost.
 */
export function createSagaTimerJobs(options: {
  redisUrl: string;
  queuePrefix: string;
  orm: Orm;
  logger: Logger;
  fire(firing: TimerFiring): Promise<void>;
  sweepGraceMs?: number;
}): SagaTimerJobs {
  const connection = { url: options.redisUrl, maxRetriesPerRequest: null };
  const queueName = 'order-saga-timers';
  const queue = new Queue<TimerFiring>(queueName, { connection, prefix: options.queuePrefix });
  queue.on('error', (error) => options.logger.warn({ err: errorMessage(error) }, 'timer queue error'));
  let worker: Worker<TimerFiring> | null = null;
  const graceMs = options.sweepGraceMs ?? 500;

  return {
    async apply(changes) {
      const traceparent = activeTraceparent();
      for (const change of changes) {
        const jobId = timerJobId(change.orderId, change.timer, change.attempt);
        if (change.action === 'cancel') {
          await queue.remove(jobId); // 0 for a job that is running right now: its firing will be stale
        } else {
          await queue.add(
            'fire',
            traceparent
              ? { orderId: change.orderId, timer: change.timer, attempt: change.attempt, traceparent }
              : { orderId: change.orderId, timer: change.timer, attempt: change.attempt },
            { jobId, delay: change.delayMs, removeOnComplete: true, removeOnFail: 1000, attempts: 5, backoff: { type: 'exponential', delay: 200 } },
          );
        }
      }
    },
    async sweep() {
      const rows = await options.orm.em
        .fork()
        .execute<{ id: string; timers: string | PendingTimers; trace_parent: string | null }[]>(
          `select id, timers, trace_parent from customer_order
            where next_deadline_at <= date_sub(now(3), interval ? microsecond) order by next_deadline_at limit 500`,
          [graceMs * 1000],
        );
      let fired = 0;
      const cutoff = new Date(Date.now() - graceMs);
      for (const row of rows) {
        const timers = typeof row.timers === 'string' ? (JSON.parse(row.timers) as PendingTimers) : row.timers;
        for (const due of dueTimers(timers, cutoff)) {
          await options.fire({ orderId: row.id, timer: due.timer, attempt: due.attempt, traceparent: row.trace_parent });
          fired++;
        }
      }
      return fired;
    },
    async start() {
      worker = new Worker<TimerFiring>(queueName, (job) => options.fire(job.data), { connection, prefix: options.queuePrefix, concurrency: 8 });
      worker.on('error', (error) => options.logger.warn({ err: errorMessage(error) }, 'timer worker error'));
      worker.on('failed', (job, error) =>
        options.logger.warn({ jobId: job?.id, err: errorMessage(error) }, 'timer job failed; the sweep will retry'),
      );
    },
    async stop() {
      await worker?.close();
      await queue.close();
    },
  };
}
