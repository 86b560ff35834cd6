import type { Registry } from 'prom-client';
import { errorMessage } from '../db/retryable-errors.ts';
import type { SqlConnection, SqlPool } from '../db/sql-pool.ts';
import { affectedRowsOf, placeholders, rowsOf } from '../db/sql-transaction.ts';
import { jsonValue, utcDate } from '../db/sql-values.ts';
import type { KafkaProducer } from '../kafka/kafka-client.ts';
import type { Logger } from '../observability/logger.ts';
import { counter, gauge, histogram } from '../observability/metrics.ts';
import { startPublishSpans } from '../observability/messaging-tracing.ts';
import { noTracing, type Tracing } from '../observability/tracing.ts';
import type { Clock } from '../runtime/clock.ts';
import { backoffMs } from '../runtime/sleep.ts';

export interface OutboxRelay {
  /** Publish pending rows now (rows were left to the relay). Cheap when idle. */
  nudge(): void;
  /** Resolves when the relay has nothing left it can publish right now. */
  drain(): Promise<void>;
  /** Delete rows sent longer ago than the retention; returns how many went. */
  cleanup(retentionMs: number): Promise<number>;
  pendingStats(): Promise<{ pending: number; oldestAgeSeconds: number }>;
  stop(): Promise<void>;
}

interface ClaimedRow {
  id: number;
  topic: string;
  messageKey: string | null;
  body: string;
  headers: Record<string, string> | null;
  createdAt: Date;
  /** An unsent row of the same key waits behind this one. */
  hasSuccessor: boolean;
}

export interface OutboxRelayOptions {
  pool: SqlPool;
  producer: KafkaProducer;
  clock: Clock;
  logger: Logger;
  metrics: Registry;
  batchSize?: number;
  /** Send spans per row (child of the row's stored trace context); off by default. */
  tracing?: Tracing;
}

/**
 * The outbox's safety net: publishes rows that were not published on commit — the committing
 * process died, its send failed, or an older row of the key was still unsent — in insertion order.
 * Rows are claimed with FOR UPDATE SKIP LOCKED, so several replicas relay one table at once
 * without waiting for each other; a row is claimed only once every older row of its key is sent,
 * which keeps per-key order across replicas. A row is marked sent only after the broker
 * acknowledged it; a failure leaves it pending with a backoff. The relay works on a connection of
 * its own, so it never waits for the handlers' pool.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { pool, producer, logger } = options;
  const batchSize = options.batchSize ?? 500;
  const tracing = options.tracing ?? noTracing;
  const published = counter(options.metrics, 'outbox_messages_published_total', 'Outbox rows published', ['topic']);
  const failures = counter(options.metrics, 'outbox_publish_failures_total', 'Failed outbox publish attempts');
  const publishLatency = histogram(options.metrics, 'outbox_publish_delay_seconds', 'From outbox row creation to broker acknowledgement');
  const pendingGauge = gauge(options.metrics, 'outbox_pending_messages', 'Outbox rows not yet published');
  const oldestGauge = gauge(options.metrics, 'outbox_oldest_pending_age_seconds', 'Age of the oldest unpublished row');

  let connection: SqlConnection | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  async function connected(): Promise<SqlConnection> {
    connection ??= await pool.dedicated();
    return connection;
  }

  function dropConnection(): void {
    connection?.release(true);
    connection = null;
  }

  async function publishOneBatch(): Promise<{ published: number; more: boolean }> {
    let claimed: ClaimedRow[] = [];
    let open = false;
    try {
      const db = await connected();
      // Only rows that are the oldest unsent row of their key: the subquery is a plain consistent
      // read (it takes no locks), so it also sees older rows another relay holds right now and
      // keeps this relay away from their successors. Per-key order holds across replicas. The
      // subqueries look rows up by key: by `sent_at` alone a backlog makes the claim quadratic.
      const [, rows] = await db.run([
        { sql: 'start transaction' },
        {
          sql: `select o.id, o.topic, o.message_key, o.body, o.headers, o.created_at,
                       exists (select 1 from outbox_message s force index (outbox_message_key_idx)
                                where s.message_key = o.message_key and s.sent_at is null and s.id > o.id) as has_successor
                  from outbox_message o
                 where o.sent_at is null and o.next_attempt_at <= ?
                   and not exists (select 1 from outbox_message p force index (outbox_message_key_idx)
                                    where p.message_key = o.message_key and p.sent_at is null and p.id < o.id)
                 order by o.id limit ? for update skip locked`,
          params: [options.clock.now(), batchSize],
        },
      ]);
      open = true;
      claimed = rowsOf<Record<string, unknown>>(rows).map(toClaimedRow);
      if (claimed.length === 0) {
        await db.run([{ sql: 'commit' }]);
        open = false;
        return { published: 0, more: false };
      }
      const spans = startPublishSpans(tracing, claimed);
      try {
        await producer.send(
          claimed.map((row, index) => ({
            topic: row.topic,
            key: row.messageKey,
            value: row.body,
            headers: spans ? spans.headers[index] : (row.headers ?? undefined),
          })),
        );
      } catch (error) {
        spans?.end(error);
        throw error;
      }
      spans?.end();
      const ids = claimed.map((row) => row.id);
      await db.run([
        { sql: `update outbox_message set sent_at = ? where id in (${placeholders(ids.length)})`, params: [options.clock.now(), ...ids] },
        { sql: 'commit' },
      ]);
      open = false;
      const now = Date.now();
      for (const row of claimed) {
        published.inc({ topic: row.topic });
        publishLatency.observe((now - row.createdAt.getTime()) / 1000);
      }
      // Worth another round at once if the batch was full or a key has a row waiting behind the one sent.
      return { published: claimed.length, more: claimed.length >= batchSize || claimed.some((row) => row.hasSuccessor) };
    } catch (error) {
      failures.inc();
      logger.warn({ err: errorMessage(error), rows: claimed.length }, 'outbox relay could not publish; rows stay pending');
      if (open && connection) await connection.run([{ sql: 'rollback' }]).catch(() => dropConnection());
      else dropConnection();
      await postpone(
        claimed.map((row) => row.id),
        error,
      ).catch((postponeError) => logger.warn({ err: errorMessage(postponeError) }, 'could not record outbox backoff'));
      return { published: 0, more: false };
    }
  }

  async function postpone(ids: number[], error: unknown): Promise<void> {
    if (ids.length === 0) return;
    const marks = placeholders(ids.length);
    const [{ attempts }] = await pool.query<{ attempts: number }[]>(
      `select coalesce(max(attempts), 0) + 1 as attempts from outbox_message where id in (${marks})`,
      ids,
    );
    const delay = Math.max(100, backoffMs(Number(attempts), 200, 30_000));
    await pool.query(
      `update outbox_message set attempts = attempts + 1, last_error = ?, next_attempt_at = ?
        where id in (${marks}) and sent_at is null`,
      [errorMessage(error), new Date(options.clock.now().getTime() + delay), ...ids],
    );
  }

  async function loop(): Promise<void> {
    do {
      again = false;
      let more: boolean;
      do {
        ({ more } = await publishOneBatch());
      } while (more && !stopped);
    } while (again && !stopped);
  }

  function nudge(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = loop()
      .catch((error) => logger.error({ err: errorMessage(error) }, 'outbox relay loop failed'))
      .finally(() => {
        running = null;
      });
  }

  return {
    nudge,
    async drain() {
      nudge();
      while (running) await running;
    },
    async cleanup(retentionMs) {
      let total = 0;
      const before = new Date(options.clock.now().getTime() - retentionMs);
      for (;;) {
        const result = await pool.query(`delete from outbox_message where sent_at is not null and sent_at < ? limit 5000`, [before]);
        const deleted = affectedRowsOf(result);
        total += deleted;
        if (deleted < 5000) return total;
      }
    },
    async pendingStats() {
      const [row] = await pool.query<{ pending: unknown; oldest: string | null }[]>(
        `select count(*) as pending, min(created_at) as oldest from outbox_message where sent_at is null`,
      );
      const pending = Number(row?.pending ?? 0);
      const oldestAgeSeconds = row?.oldest ? Math.max(0, (options.clock.now().getTime() - utcDate(row.oldest).getTime()) / 1000) : 0;
      pendingGauge.set(pending);
      oldestGauge.set(oldestAgeSeconds);
      return { pending, oldestAgeSeconds };
    },
    async stop() {
      stopped = true;
      while (running) await running;
      dropConnection();
    },
  };
}

function toClaimedRow(row: Record<string, unknown>): ClaimedRow {
  const headers = row.headers;
  return {
    id: Number(row.id),
    topic: String(row.topic),
    messageKey: row.message_key === null ? null : String(row.message_key as string),
    body: String(row.body),
    headers: headers == null ? null : jsonValue<Record<string, string>>(headers),
    createdAt: utcDate(row.created_at),
    hasSuccessor: Number(row.has_successor) === 1,
  };
}
