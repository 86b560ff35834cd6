import type { SqlPool } from './sql-pool.ts';
import { affectedRowsOf } from './sql-transaction.ts';

/**
 * Deletes the rows of `table` whose `column` is older than `before`, `chunk` rows per statement
 * (DELETE … LIMIT, each its own autocommit), until a statement finds fewer: no run holds its locks
 * for longer than one chunk takes, however far behind the cleanup is. `column` must be indexed.
 * Returns how many rows went.
 */
export async function deleteOlderThan(pool: SqlPool, table: string, column: string, before: Date, chunk = 1_000): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = affectedRowsOf(await pool.query(`delete from ${table} where ${column} < ? limit ${Math.trunc(chunk)}`, [before]));
    total += deleted;
    if (deleted < chunk) return total;
  }
}
