import { isRetryable } from '#shared/db/retryable-errors.ts';
import { ProblemError } from '#shared/http/problem.ts';
import { backoffMs, sleep } from '#shared/runtime/sleep.ts';

/**
 * Runs a write transaction again after a deadlock or lock wait; if the database stays busy the
 * caller gets 503 problem+json to retry later, not a 500.
 */
export async function retryTransient<T>(work: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isRetryable(error)) throw error;
      if (attempt >= attempts) throw new ProblemError(503, 'Service Unavailable', 'the database is busy; retry shortly', { retryAfterSeconds: 1 });
      await sleep(backoffMs(attempt, 20, 500));
    }
  }
}
