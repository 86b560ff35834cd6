import { deleteOlderThan } from '../db/delete-in-chunks.ts';
import type { SqlPool } from '../db/sql-pool.ts';
import { cleanupEveryMs, type PeriodicJob } from '../jobs/periodic-jobs.ts';
import type { Clock } from '../runtime/clock.ts';

/**
 * The inbox only has to remember a message id as long as the broker may deliver the message again
 * (a rebalance, a replayed batch: minutes, at most hours). Ids older than the retention go, a
 * chunk per statement, so a cleanup that is far behind never holds locks the consumers wait for.
 * It runs every quarter of the retention, at most every 10 minutes (INBOX_RETENTION_DAYS,
 * INBOX_RETENTION_MS: inboxRetentionMsOf).
 */
export function inboxRetentionJob(deps: { pool: SqlPool; clock: Clock; retentionMs: number; chunk?: number }): PeriodicJob {
  return {
    id: 'inbox-retention',
    everyMs: cleanupEveryMs(deps.retentionMs, 10 * 60_000),
    run: () => deleteInboxOlderThan(deps.pool, new Date(deps.clock.now().getTime() - deps.retentionMs), deps.chunk),
  };
}

/** Deletes inbox rows received before `before`; returns how many. */
export function deleteInboxOlderThan(pool: SqlPool, before: Date, chunk = 1_000): Promise<number> {
  return deleteOlderThan(pool, 'inbox_message', 'received_at', before, chunk);
}
