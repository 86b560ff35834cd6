import { deleteOlderThan } from '../db/delete-in-chunks.ts';
import type { SqlPool } from '../db/sql-pool.ts';
import type { PeriodicJob } from '../jobs/periodic-jobs.ts';
import type { Clock } from '../runtime/clock.ts';

/**
 * The inbox only has to remember a message id as long as the broker may deliver the message again
 * (a rebalance, a replayed batch: minutes, at most hours). Ids older than the retention go, a
 * chunk per statement, so a cleanup that is far behind never holds locks the consumers wait for.
 */
export function inboxRetentionJob(deps: { pool: SqlPool; clock: Clock; retentionDays: number; chunk?: number }): PeriodicJob {
  return {
    id: 'inbox-retention',
    everyMs: 10 * 60_000,
    run: () => deleteInboxOlderThan(deps.pool, new Date(deps.clock.now().getTime() - deps.retentionDays * 24 * 60 * 60 * 1000), deps.chunk),
  };
}

/** Deletes inbox rows received before `before`; returns how many. */
export function deleteInboxOlderThan(pool: SqlPool, before: Date, chunk = 1_000): Promise<number> {
  return deleteOlderThan(pool, 'inbox_message', 'received_at', before, chunk);
}
