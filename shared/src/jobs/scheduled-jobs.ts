import { Queue, Worker } from 'bullmq';
import { errorMessage } from '../db/retryable-errors.ts';
import type { Logger } from '../observability/logger.ts';

export interface ScheduledJob {
  /** Scheduler id, unique per queue (e.g. "outbox-sweep"). */
  id: string;
  everyMs: number;
  run(): Promise<unknown>;
}

export interface ScheduledJobs {
  /** Adds jobs before start (a service adds its own next to the kernel's). */
  add(...jobs: ScheduledJob[]): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Re-assert the schedulers this often: Redis may have been flushed or restarted empty. */
const reassertEveryMs = 15_000;

/**
 * Periodic work (outbox sweep, cleanup, timer sweep) as BullMQ job schedulers, so with several
 * replicas each tick runs on one of them. Redis here keeps nothing on disk, so the schedulers are
 * upserted again periodically; upserting an existing scheduler is a no-op.
 */
export function createScheduledJobs(options: {
  redisUrl: string;
  queuePrefix: string;
  queueName: string;
  jobs: ScheduledJob[];
  logger: Logger;
}): ScheduledJobs {
  const connection = { url: options.redisUrl, maxRetriesPerRequest: null, enableOfflineQueue: true };
  const jobs = [...options.jobs];
  const byId = new Map(jobs.map((job) => [job.id, job]));
  let queue: Queue | null = null;
  let worker: Worker | null = null;
  let reassertTimer: NodeJS.Timeout | null = null;

  async function upsertAll(): Promise<void> {
    for (const job of jobs) {
      await queue!.upsertJobScheduler(job.id, { every: job.everyMs }, { name: job.id, opts: { removeOnComplete: true, removeOnFail: 100 } });
    }
  }

  return {
    add(...more) {
      for (const job of more) {
        jobs.push(job);
        byId.set(job.id, job);
      }
    },
    async start() {
      queue = new Queue(options.queueName, { connection, prefix: options.queuePrefix });
      queue.on('error', (error) => options.logger.warn({ err: errorMessage(error) }, 'job queue error'));
      worker = new Worker(
        options.queueName,
        async (job) => {
          const scheduled = byId.get(job.name);
          if (!scheduled) return;
          await scheduled.run();
        },
        { connection, prefix: options.queuePrefix, concurrency: Math.max(1, jobs.length) },
      );
      worker.on('error', (error) => options.logger.warn({ err: errorMessage(error) }, 'job worker error'));
      worker.on('failed', (job, error) => options.logger.warn({ job: job?.name, err: errorMessage(error) }, 'job failed'));
      await upsertAll();
      reassertTimer = setInterval(() => {
        upsertAll().catch((error) => options.logger.warn({ err: errorMessage(error) }, 'could not upsert job schedulers'));
      }, reassertEveryMs);
      reassertTimer.unref();
    },
    async stop() {
      if (reassertTimer) clearInterval(reassertTimer);
      await worker?.close();
      await queue?.close();
    },
  };
}
