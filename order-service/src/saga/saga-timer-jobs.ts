import { Queue, Worker } from 'bullmq';
import type { Orm } from '#shared/db/orm.ts';
import { errorMessage } from '#shared/db/retryable-errors.ts';
import type { Logger } from '#shared/observability/logger.ts';
import type { SagaTimer } from '#statecharts/saga-types.ts';
import type { TimerJobChange } from './saga-step.ts';

export interface TimerFiring {
  orderId: string;
  timer: SagaTimer;
  attempt: number;
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
 * Saga deadlines on time: each timer row gets a BullMQ delayed job with a deterministic id; the
 * job fires the timer through the step handler, which ignores it if the row moved on. Redis here
 * keeps nothing on disk, so a periodic sweep fires overdue rows whose job was lost.
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
      for (const change of changes) {
        const jobId = timerJobId(change.orderId, change.timer, change.attempt);
        if (change.action === 'cancel') {
          await queue.remove(jobId); // 0 for a job that is running right now: its firing will be stale
        } else {
          await queue.add(
            'fire',
            { orderId: change.orderId, timer: change.timer, attempt: change.attempt },
            { jobId, delay: change.delayMs, removeOnComplete: true, removeOnFail: 1000, attempts: 5, backoff: { type: 'exponential', delay: 200 } },
          );
        }
      }
    },
    async sweep() {
      const overdue = await options.orm.em
        .fork()
        .execute<{ order_id: string; timer: SagaTimer; attempt: number }[]>(
          `select order_id, timer, attempt from saga_timer
            where deadline_at <= date_sub(now(3), interval ? microsecond) order by deadline_at limit 500`,
          [graceMs * 1000],
        );
      for (const row of overdue) {
        await options.fire({ orderId: row.order_id, timer: row.timer, attempt: Number(row.attempt) });
      }
      return overdue.length;
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
