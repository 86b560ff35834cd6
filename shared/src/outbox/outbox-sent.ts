import { placeholders, rowsOf, type SqlTransaction } from '../db/sql-transaction.ts';
import { utcDateOrNull } from '../db/sql-values.ts';

/**
 * When each of these outbox messages reached the broker: its `sent_at` (null while unsent, e.g. the
 * broker is down); a message id without a row is absent from the map. One statement, in `tx`.
 */
export async function sentAtOf(tx: SqlTransaction, messageIds: readonly string[]): Promise<Map<string, Date | null>> {
  if (messageIds.length === 0) return new Map();
  const [result] = await tx.run([
    { sql: `select message_id, sent_at from outbox_message where message_id in (${placeholders(messageIds.length)})`, params: [...messageIds] },
  ]);
  return new Map(rowsOf<{ message_id: string; sent_at: unknown }>(result).map((row) => [row.message_id, utcDateOrNull(row.sent_at)]));
}
