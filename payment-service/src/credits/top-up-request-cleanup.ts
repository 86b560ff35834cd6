import { deleteOlderThan } from '#shared/db/delete-in-chunks.ts';
import type { SqlPool } from '#shared/db/sql-pool.ts';
import { idempotencyKeyLifetimeMs } from '#shared/http/idempotency-key.ts';
import type { PeriodicJob } from '#shared/jobs/periodic-jobs.ts';
import type { Clock } from '#shared/runtime/clock.ts';

/**
 * top_up_request rows past an Idempotency-Key's lifetime answer nothing any more (a lost COMMIT is
 * looked up within seconds): they go, a chunk at a time. The ledger rows they named stay.
 */
export function topUpRequestCleanup(deps: { pool: SqlPool; clock: Clock }): PeriodicJob {
  return {
    id: 'top-up-request-cleanup',
    everyMs: 10 * 60_000,
    run: () => deleteOlderThan(deps.pool, 'top_up_request', 'created_at', new Date(deps.clock.now().getTime() - idempotencyKeyLifetimeMs)),
  };
}
