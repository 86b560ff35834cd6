import { placeholders, rowsOf, type SqlTransaction } from '../db/sql-transaction.ts';
import { utcDate, utcDateOrNull } from '../db/sql-values.ts';

/** When an outbox message was written and when it reached the broker (`sentAt` null while unsent). */
export interface OutboxTimes {
  createdAt: Date;
  sentAt: Date | null;
}

/**
 * When each of these outbox messages was written and reached the broker (`sent_at` is null while
 * unsent, e.g. the broker is down); a message id without a row is absent from the map. One
 * statement, in `tx`.
 */
export async function outboxTimesOf(tx: SqlTransaction, messageIds: readonly string[]): Promise<Map<string, OutboxTimes>> {
  if (messageIds.length === 0) return new Map();
  const [result] = await tx.run([
    {
      sql: `select message_id, created_at, sent_at from outbox_message where message_id in (${placeholders(messageIds.length)})`,
      params: [...messageIds],
    },
  ]);
  return new Map(
    rowsOf<{ message_id: string; created_at: unknown; sent_at: unknown }>(result).map((row) => [
      row.message_id,
      { createdAt: utcDate(row.created_at), sentAt: utcDateOrNull(row.sent_at) },
    ]),
  );
}
