import type { Envelope } from '../contracts/envelope.ts';
import { topicOfMessageType, type MessageType, type PayloadOf } from '../contracts/families.ts';
import type { Topic } from '../contracts/topics.ts';
import { placeholders, valuesList, rowsOf, type SqlTransaction } from '../db/sql-transaction.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Ids } from '../runtime/ids.ts';
import { withTraceContext } from '../observability/tracing.ts';
import type { OutboxPublisher } from './outbox-publisher.ts';

export interface NewMessage<T extends MessageType = MessageType> {
  type: T;
  payload: PayloadOf<T>;
  orderId: string | null;
  sagaId?: string | null;
  causationId?: string | null;
  /** Record key; defaults to the order id so one order's messages stay in one partition. */
  key?: string | null;
  headers?: Record<string, string>;
  /** The trace this message continues (e.g. the consume span of the message that caused it); default: the active one. */
  traceparent?: string | null;
}

/** An outbox row as it was written, kept in memory so the committing process can publish it at once. */
export interface PendingRow {
  messageId: string;
  topic: Topic;
  type: MessageType;
  key: string | null;
  body: string;
  headers: Record<string, string> | null;
  createdAt: Date;
}

export interface Outbox {
  /**
   * Queues a message in the caller's transaction: it is published if and only if the transaction
   * commits. The payload is typed by its message type (consumers validate what they receive; the
   * producer is checked by the compiler, not again at run time). Returns the envelope.
   */
  add<T extends MessageType>(tx: SqlTransaction, message: NewMessage<T>): Envelope;
}

const outboxColumns = 'message_id, topic, message_key, type, body, headers, created_at, attempts, next_attempt_at, last_error, sent_at';

/**
 * The write side of the transactional outbox. The rows of a transaction are inserted with its
 * COMMIT (one multi-row INSERT in the same round trip), and right after the commit the publisher
 * sends them from memory. Their `next_attempt_at` lies `graceMs` ahead, so the relay's claim
 * loop — the safety net for a process that died before publishing — leaves them to the publisher.
 *
 * Rows published earlier and not yet marked sent are marked in the same COMMIT, so under load
 * marking costs no transaction of its own.
 *
 * Per-key order: a row may go out from memory only if no older row of its key is still unsent.
 * The same round trip asks the database which of the transaction's keys have such a row (rows this
 * process is publishing right now excepted); those rows are left to the relay, whose claim keeps
 * the order.
 */
export function createOutbox(deps: { ids: Ids; clock: Clock; publisher: OutboxPublisher; graceMs?: number }): Outbox {
  const graceMs = deps.graceMs ?? 3_000;
  const pendingOf = (tx: SqlTransaction) =>
    tx.local(pendingRowsKey, () => {
      const rows: PendingRow[] = [];
      let blockedKeys: Set<string> = new Set();
      tx.beforeCommit(() => {
        const keys = [...new Set(rows.map((row) => row.key).filter((key): key is string => key !== null))];
        const inFlight = deps.publisher.inFlightIds(keys);
        const now = deps.clock.now();
        const nextAttemptAt = new Date(now.getTime() + graceMs);
        const statements = [];
        if (keys.length > 0) {
          statements.push({
            sql: `select distinct message_key from outbox_message
                   where message_key in (${placeholders(keys.length)}) and sent_at is null
                   ${inFlight.length > 0 ? `and message_id not in (${placeholders(inFlight.length)})` : ''}`,
            params: [...keys, ...inFlight],
          });
        }
        statements.push({
          sql: `insert into outbox_message (${outboxColumns}) values ${valuesList(rows.length, 11)}`,
          params: rows.flatMap((row) => [
            row.messageId,
            row.topic,
            row.key,
            row.type,
            row.body,
            row.headers ? JSON.stringify(row.headers) : null,
            row.createdAt,
            0,
            nextAttemptAt,
            null,
            null,
          ]),
        });
        // Rows published since the last marking are marked sent by this COMMIT (no commit of their own).
        const marks = deps.publisher.takeMarks();
        if (marks) {
          statements.push({
            sql: `update outbox_message set sent_at = ? where message_id in (${placeholders(marks.ids.length)})`,
            params: [marks.sentAt, ...marks.ids],
          });
        }
        return {
          statements,
          onResults(results) {
            if (keys.length > 0) blockedKeys = new Set(rowsOf<{ message_key: string }>(results[0]).map((row) => row.message_key));
            marks?.settled(true);
          },
          onAbort: () => marks?.settled(false),
        };
      });
      tx.afterCommit(() => deps.publisher.publish(rows, blockedKeys));
      return rows;
    });

  return {
    add(tx, message) {
      const row = pendingRowOf(message, deps);
      pendingOf(tx).push(row);
      return row.envelope;
    },
  };
}

/** The envelope and the row of a new message (what both the hot path's outbox and the ORM's write). */
export function pendingRowOf<T extends MessageType>(message: NewMessage<T>, deps: { ids: Ids; clock: Clock }): PendingRow & { envelope: Envelope } {
  const now = deps.clock.now();
  const envelope: Envelope = {
    messageId: deps.ids.next(),
    type: message.type,
    orderId: message.orderId,
    sagaId: message.sagaId ?? message.orderId,
    occurredAt: now.toISOString(),
    causationId: message.causationId ?? null,
    payload: message.payload,
  };
  const headers =
    message.traceparent === undefined
      ? withTraceContext(message.headers)
      : message.traceparent
        ? { ...message.headers, traceparent: message.traceparent }
        : (message.headers ?? null);
  return {
    envelope,
    messageId: envelope.messageId,
    topic: topicOfMessageType(message.type),
    type: message.type,
    key: message.key === undefined ? message.orderId : message.key,
    body: JSON.stringify(envelope),
    headers,
    createdAt: now,
  };
}

const pendingRowsKey = {};
