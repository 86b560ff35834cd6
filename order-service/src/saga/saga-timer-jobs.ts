import { Queue, Worker } from 'bullmq';
import { errorMessage } from '#shared/db/retryable-errors.ts';
import type { Logger } from '#shared/observability/logger.ts';
import type { DeadlineSet } from './saga-step.ts';

export interface DeadlineQueue {
  /** Makes sure a job comes due at (or just after) each of these deadlines. */
  schedule(deadlines: readonly DeadlineSet[]): Promise<void>;
  close(): Promise<void>;
}

export interface DeadlineWorker {
  start(): void;
  stop(): Promise<void>;
}

/** Deadlines are gathered in buckets this wide: one delayed job per bucket, whatever the number of orders in it. */
export const bucketMs = 100;

/** BullMQ allows a ':' in custom ids only as exactly three parts; a bucket's id has none. */
export const bucketJobId = (bucket: number) => `deadlines-${bucket}`;

/**
 * Saga deadlines on time, through BullMQ delayed jobs — one job per 100 ms bucket of deadlines, not
 * one per deadline. A step that sets a deadline makes sure the job of its bucket exists (adding an
 * existing job id is a no-op, and each process remembers the buckets it already added); when the job
 * comes due, `fireDue` fires every order whose deadline has passed, as one batch, from the rows
 * (the deadlines live in the order rows). A deadline that was cleared needs nothing: its order no
 * longer lists it, so nothing fires. So a saga costs Redis a fraction of one command per step, and
 * jobs never need removing. Redis here keeps nothing on disk: the periodic sweep fires the
 * deadlines of buckets the queue lost.
 */
export function createDeadlineQueue(options: { redisUrl: string; queuePrefix: string; logger: Logger }): DeadlineQueue {
  const queue = new Queue(queueName, { connection: connectionOf(options.redisUrl), prefix: options.queuePrefix });
  queue.on('error', (error) => options.logger.warn({ err: errorMessage(error) }, 'deadline queue error'));
  /** Buckets this process has added a job for (they are removed once due). */
  const added = new Set<number>();

  return {
    async schedule(deadlines) {
      const now = Date.now();
      for (const bucket of added) if (bucket < now - 60_000) added.delete(bucket);
      const buckets = [...new Set(deadlines.map((deadline) => Math.ceil(deadline.deadlineAt.getTime() / bucketMs) * bucketMs))].filter(
        (bucket) => !added.has(bucket),
      );
      if (buckets.length === 0) return;
      for (const bucket of buckets) added.add(bucket);
      try {
        await queue.addBulk(
          buckets.map((bucket) => ({
            name: 'fire-due',
            data: { bucket },
            opts: {
              jobId: bucketJobId(bucket),
              delay: Math.max(0, bucket - Date.now()),
              removeOnComplete: true,
              removeOnFail: 100,
              attempts: 3,
              backoff: { type: 'exponential', delay: 200 },
            },
          })),
        );
      } catch (error) {
        for (const bucket of buckets) added.delete(bucket);
        throw error;
      }
    },
    close: () => queue.close(),
  };
}

/** Runs `fireDue` whenever a bucket's job comes due (on one replica). */
export function createDeadlineWorker(options: { redisUrl: string; queuePrefix: string; logger: Logger; fireDue(): Promise<number> }): DeadlineWorker {
  let worker: Worker | null = null;
  return {
    start() {
      worker = new Worker(
        queueName,
        async () => {
          await options.fireDue();
        },
        {
          connection: connectionOf(options.redisUrl),
          prefix: options.queuePrefix,
          concurrency: 2,
        },
      );
      worker.on('error', (error) => options.logger.warn({ err: errorMessage(error) }, 'deadline worker error'));
      worker.on('failed', (job, error) =>
        options.logger.warn({ jobId: job?.id, err: errorMessage(error) }, 'deadline job failed; the sweep fires its deadlines'),
      );
    },
    async stop() {
      await worker?.close();
    },
  };
}

const queueName = 'order-saga-deadlines';
const connectionOf = (url: string) => ({ url, maxRetriesPerRequest: null });
