import { errorMessage } from '../db/retryable-errors.ts';
import type { Logger } from '../observability/logger.ts';

export interface PeriodicJob {
  /** Names the job in logs (e.g. "outbox-sweep"). */
  id: string;
  everyMs: number;
  run(): Promise<unknown>;
}

/**
 * The period of a cleanup that deletes rows older than `retentionMs`: a quarter of the retention
 * (rows go at most a quarter late), never more often than every second nor less than every `atMostMs`.
 */
export const cleanupEveryMs = (retentionMs: number, atMostMs: number): number => Math.min(atMostMs, Math.max(1_000, Math.round(retentionMs / 4)));

export interface PeriodicJobs {
  /** Adds jobs before start (a service adds its own next to the kernel's). */
  add(...jobs: PeriodicJob[]): void;
  start(): void;
  /** Stops the timers and waits for runs in progress. */
  stop(): Promise<void>;
}

/**
 * The safety nets (outbox sweep, timer sweep, cleanup, gauges) on timers of the process itself.
 * Every replica runs them: each is safe to run anywhere at once (claims take SKIP LOCKED rows,
 * timers fire under the order's row lock), and nothing about them lives in Redis, so a flushed or
 * restarted Redis cannot stop them — and an idle platform sends Redis nothing for them. A run
 * that is still busy when its next tick comes is not started twice; ticks are jittered so replicas
 * do not line up.
 */
export function createPeriodicJobs(options: { logger: Logger; jobs?: PeriodicJob[] }): PeriodicJobs {
  const jobs = [...(options.jobs ?? [])];
  const timers = new Map<PeriodicJob, NodeJS.Timeout>();
  const running = new Set<Promise<unknown>>();
  let stopped = false;

  function schedule(job: PeriodicJob): void {
    if (stopped) return;
    const delay = job.everyMs * (0.8 + Math.random() * 0.4);
    const timer = setTimeout(() => {
      const run = job
        .run()
        .catch((error) => options.logger.warn({ job: job.id, err: errorMessage(error) }, 'periodic job failed'))
        .finally(() => {
          running.delete(run);
          schedule(job);
        });
      running.add(run);
    }, delay);
    timer.unref();
    timers.set(job, timer);
  }

  return {
    add(...more) {
      jobs.push(...more);
    },
    start() {
      for (const job of jobs) schedule(job);
    },
    async stop() {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      await Promise.all(running);
    },
  };
}
