import { IsolationLevel } from '@mikro-orm/core';
import type { Registry } from 'prom-client';
import type { Orm } from '../db/orm.ts';
import { errorMessage } from '../db/retryable-errors.ts';
import type { KafkaProducer } from '../kafka/kafka-client.ts';
import type { Logger } from '../observability/logger.ts';
import { counter, gauge, histogram } from '../observability/metrics.ts';
import { backoffMs } from '../runtime/sleep.ts';
import { startPublishSpans } from '../observability/messaging-tracing.ts';
import { noTracing, type Tracing } from '../observability/tracing.ts';

export interface OutboxRelay {
  /** Publish pending rows now (called right after a commit that added rows). Cheap when idle. */
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
  orm: Orm;
  producer: KafkaProducer;
  logger: Logger;
  metrics: Registry;
  batchSize?: number;
  /** Send spans per row (child of the row's stored trace context); off by default. */
  tracing?: Tracing;
}

/**
 * Publishes outbox rows in insertion order. Rows are claimed with FOR UPDATE SKIP LOCKED, so
 * several replicas relay one table at once without waiting for each other; a row is claimed only
 * once every older row of its key is sent, which keeps per-key order across replicas. A row is marked sent only after the broker acknowledged it; a failure leaves it pending
 * with a backoff. Nothing is ever dropped: at worst a row is published twice (crash between publish
 * and mark), and consumers' inboxes absorb that.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { orm, producer, logger } = options;
  const batchSize = options.batchSize ?? 500;
  const tracing = options.tracing ?? noTracing;
  const published = counter(options.metrics, 'outbox_messages_published_total', 'Outbox rows published', ['topic']);
  const failures = counter(options.metrics, 'outbox_publish_failures_total', 'Failed outbox publish attempts');
  const publishLatency = histogram(
    options.metrics,
    'outbox_publish_delay_seconds',
    'From outbox row creation to broker acknowledgement',
  );
  const pendingGauge = gauge(options.metrics, 'outbox_pending_messages', 'Outbox rows not yet published');
  const oldestGauge = gauge(options.metrics, 'outbox_oldest_pending_age_seconds', 'Age of the oldest unpublished row');

  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  async function publishOneBatch(): Promise<{ published: number; more: boolean }> {
    const em = orm.em.fork();
    let claimedIds: number[] = [];
    try {
      return await em.transactional(
        async (tx) => {
          // Only rows that are the oldest unsent row of their key: the subquery is a plain consistent
          // read (it takes no locks), so it also sees older rows another relay holds right now and
          // keeps this relay away from their successors. Per-key order holds across replicas. The
          // subqueries must look rows up by key: by `sent_at` alone a backlog makes the claim quadratic.
          const publishable = (
            await tx.execute<Record<string, unknown>[]>(
              `select o.id, o.topic, o.message_key, o.body, o.headers, o.created_at,
                      exists (select 1 from outbox_message s force index (outbox_message_key_idx)
                               where s.message_key = o.message_key and s.sent_at is null and s.id > o.id) as has_successor
                 from outbox_message o
                where o.sent_at is null and o.next_attempt_at <= now(3)
                  and not exists (select 1 from outbox_message p force index (outbox_message_key_idx)
                                   where p.message_key = o.message_key and p.sent_at is null and p.id < o.id)
                order by o.id limit ? for update skip locked`,
              [batchSize],
            )
          ).map(toClaimedRow);
          if (publishable.length === 0) return { published: 0, more: false };
          claimedIds = publishable.map((row) => row.id);
          const spans = startPublishSpans(tracing, publishable); // null when tracing is off
          try {
            await producer.send(
              publishable.map((row, index) => ({
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
          const ids = publishable.map((row) => row.id);
          await tx.execute(`update outbox_message set sent_at = now(3) where id in (${ids.map(() => '?').join(',')})`, ids);
          const now = Date.now();
          for (const row of publishable) {
            published.inc({ topic: row.topic });
            publishLatency.observe((now - row.createdAt.getTime()) / 1000);
          }
          // Worth another round at once if the batch was full or a key has a row waiting behind the one sent.
          return { published: publishable.length, more: publishable.length >= batchSize || publishable.some((row) => row.hasSuccessor) };
        },
        { isolationLevel: IsolationLevel.READ_COMMITTED },
      );
    } catch (error) {
      failures.inc();
      logger.warn({ err: errorMessage(error), rows: claimedIds.length }, 'outbox publish failed; rows stay pending');
      await postpone(claimedIds, error).catch((postponeError) =>
        logger.warn({ err: errorMessage(postponeError) }, 'could not record outbox backoff'),
      );
      return { published: 0, more: false };
    }
  }

  async function postpone(ids: number[], error: unknown): Promise<void> {
    if (ids.length === 0) return;
    const em = orm.em.fork();
    const placeholders = ids.map(() => '?').join(',');
    const [{ attempts }] = await em.execute<{ attempts: number }[]>(
      `select coalesce(max(attempts), 0) + 1 as attempts from outbox_message where id in (${placeholders})`,
      ids,
    );
    const delay = Math.max(100, backoffMs(Number(attempts), 200, 30_000));
    await em.execute(
      `update outbox_message set attempts = attempts + 1, last_error = ?,
          next_attempt_at = date_add(now(3), interval ? microsecond)
        where id in (${placeholders}) and sent_at is null`,
      [errorMessage(error), delay * 1000, ...ids],
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
      const em = orm.em.fork();
      let total = 0;
      for (;;) {
        const result = await em.execute<{ affectedRows: number }>(
          `delete from outbox_message where sent_at is not null
              and sent_at < date_sub(now(3), interval ? microsecond) limit 5000`,
          [retentionMs * 1000],
          'run',
        );
        total += result.affectedRows;
        if (result.affectedRows < 5000) return total;
      }
    },
    async pendingStats() {
      const [row] = await orm.em
        .fork()
        .execute<{ pending: unknown; oldest: Date | string | null }[]>(
          `select count(*) as pending, min(created_at) as oldest from outbox_message where sent_at is null`,
        );
      const pending = Number(row?.pending ?? 0);
      const oldestAgeSeconds = row?.oldest ? Math.max(0, (Date.now() - new Date(row.oldest).getTime()) / 1000) : 0;
      pendingGauge.set(pending);
      oldestGauge.set(oldestAgeSeconds);
      return { pending, oldestAgeSeconds };
    },
    async stop() {
      stopped = true;
      while (running) await running;
    },
  };
}

function toClaimedRow(row: Record<string, unknown>): ClaimedRow {
  const headers = row.headers;
  return {
    id: Number(row.id),
    topic: String(row.topic),
    messageKey: row.message_key === null ? null : String(row.message_key),
    body: String(row.body),
    headers: headers == null ? null : typeof headers === 'string' ? JSON.parse(headers) : (headers as Record<string, string>),
    createdAt: row.created_at instanceof Date ? row.created_at : new Date(String(row.created_at)),
    hasSuccessor: Number(row.has_successor) === 1,
  };
}
