import type { Registry } from 'prom-client';
import { errorMessage } from '../db/retryable-errors.ts';
import type { SqlPool } from '../db/sql-pool.ts';
import { placeholders } from '../db/sql-transaction.ts';
import type { KafkaProducer } from '../kafka/kafka-client.ts';
import type { Logger } from '../observability/logger.ts';
import { startPublishSpans } from '../observability/messaging-tracing.ts';
import { counter, histogram } from '../observability/metrics.ts';
import { noTracing, type Tracing } from '../observability/tracing.ts';
import type { Clock } from '../runtime/clock.ts';
import { backoffMs, sleep } from '../runtime/sleep.ts';
import type { PendingRow } from './outbox.ts';

export interface OutboxPublisher {
  /** Publishes rows a transaction has just committed; rows of `blockedKeys` are left to the relay. */
  publish(rows: readonly PendingRow[], blockedKeys: ReadonlySet<string>): void;
  /** Ids of rows of these keys that this process is publishing or marking right now. */
  inFlightIds(keys: readonly string[]): string[];
  /**
   * Hands the rows published and not yet marked sent to a transaction of the same database, which
   * marks them in its own COMMIT instead of a transaction of their own; null when there are none.
   * `settled(true)` once that transaction committed, `settled(false)` if it did not (they are
   * marked the usual way then).
   */
  takeMarks(): { ids: string[]; sentAt: Date; settled(committed: boolean): void } | null;
  /** Resolves once everything handed over is published and marked sent (or left to the relay). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

export interface OutboxPublisherOptions {
  pool: SqlPool;
  producer: KafkaProducer;
  clock: Clock;
  logger: Logger;
  metrics: Registry;
  /** Told when rows were left to it (a failed send, an older unsent row of the key). */
  nudgeRelay(): void;
  tracing?: Tracing;
  /** How long published rows wait to be marked sent together (default 100 ms), unless a transaction marks them first. */
  markDelayMs?: number;
}

/** How long after a diversion further rows of the key also go through the relay. */
const divertedForMs = 30_000;

/**
 * Publish on commit, from memory: the rows a transaction committed are sent as soon as COMMIT
 * returned (never before), and marked sent afterwards: by the COMMIT of the service's next outbox
 * transaction (`takeMarks`), or by one UPDATE of their own when none comes within `markDelayMs`.
 * Sends are coalesced: while one is with the broker, newly committed rows queue and go out
 * together in the next one, in commit order, so one key's rows keep their order. A failed send
 * hands its rows, and all rows queued behind it, to the relay (failed ones with a backoff): the
 * relay's claim keeps per-key order from there, and further rows of those keys follow them
 * through the relay for a while. Nothing is lost if the process dies at any point: the rows are
 * committed, and the relay claims them once their grace period is over (at worst a row is
 * published twice; inboxes skip it).
 */
export function createOutboxPublisher(options: OutboxPublisherOptions): OutboxPublisher {
  const { pool, producer, logger } = options;
  const tracing = options.tracing ?? noTracing;
  const markDelayMs = options.markDelayMs ?? 100;
  const published = counter(options.metrics, 'outbox_messages_published_total', 'Outbox rows published', ['topic']);
  const failures = counter(options.metrics, 'outbox_publish_failures_total', 'Failed outbox publish attempts');
  const publishLatency = histogram(options.metrics, 'outbox_publish_delay_seconds', 'From outbox row creation to broker acknowledgement');
  const onCommit = counter(
    options.metrics,
    'outbox_rows_on_commit_total',
    'Outbox rows by how they left: from memory after commit, or through the relay',
    ['path'],
  );

  const piggybacked = counter(
    options.metrics,
    'outbox_marks_in_transactions_total',
    'Published outbox rows marked sent in the COMMIT of a later transaction instead of one of their own',
  );

  const keyOfInFlight = new Map<string, string | null>();
  const inFlightByKey = new Map<string, Set<string>>();
  const divertedUntil = new Map<string, number>();
  const queue: PendingRow[] = [];
  const marks: string[] = [];
  let sending: Promise<void> | null = null;
  let marking: Promise<void> | null = null;
  let stopped = false;

  function track(row: PendingRow): void {
    keyOfInFlight.set(row.messageId, row.key);
    if (row.key === null) return;
    let ids = inFlightByKey.get(row.key);
    if (!ids) inFlightByKey.set(row.key, (ids = new Set()));
    ids.add(row.messageId);
  }

  function untrack(messageId: string): void {
    const key = keyOfInFlight.get(messageId);
    keyOfInFlight.delete(messageId);
    if (key === undefined || key === null) return;
    const ids = inFlightByKey.get(key);
    ids?.delete(messageId);
    if (ids && ids.size === 0) inFlightByKey.delete(key);
  }

  function isDiverted(key: string, now: number): boolean {
    const until = divertedUntil.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    divertedUntil.delete(key);
    return false;
  }

  /** Leaves rows to the relay: due now (they wait behind their key's older rows anyway), or after a backoff. */
  async function divert(rows: readonly PendingRow[], failure?: unknown): Promise<void> {
    if (rows.length === 0) return;
    const until = Date.now() + divertedForMs;
    for (const row of rows) if (row.key !== null) divertedUntil.set(row.key, until);
    onCommit.inc({ path: 'relay' }, rows.length);
    const ids = rows.map((row) => row.messageId);
    const now = options.clock.now();
    try {
      if (failure === undefined) {
        await pool.query(`update outbox_message set next_attempt_at = ? where message_id in (${placeholders(ids.length)}) and sent_at is null`, [
          now,
          ...ids,
        ]);
      } else {
        const next = new Date(now.getTime() + Math.max(100, backoffMs(1, 200, 30_000)));
        await pool.query(
          `update outbox_message set attempts = attempts + 1, last_error = ?, next_attempt_at = ?
            where message_id in (${placeholders(ids.length)}) and sent_at is null`,
          [errorMessage(failure), next, ...ids],
        );
      }
    } catch (error) {
      // They are committed and become claimable when their grace period ends.
      logger.warn(
        { err: errorMessage(error), rows: ids.length },
        'could not hand outbox rows to the relay now; it claims them after their grace period',
      );
    } finally {
      for (const id of ids) untrack(id);
      options.nudgeRelay();
    }
  }

  async function sendQueued(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, 1_000);
      const spans = startPublishSpans(
        tracing,
        batch.map((row) => ({ topic: row.topic, messageKey: row.key, headers: row.headers, createdAt: row.createdAt })),
      );
      try {
        await producer.send(
          batch.map((row, index) => ({
            topic: row.topic,
            key: row.key,
            value: row.body,
            headers: spans ? spans.headers[index] : (row.headers ?? undefined),
          })),
        );
        spans?.end();
      } catch (error) {
        spans?.end(error);
        failures.inc();
        logger.warn({ err: errorMessage(error), rows: batch.length }, 'publish after commit failed; the relay retries the rows');
        const behind = queue.splice(0);
        await divert(batch, error);
        await divert(behind);
        continue;
      }
      const now = Date.now();
      for (const row of batch) {
        published.inc({ topic: row.topic });
        publishLatency.observe((now - row.createdAt.getTime()) / 1000);
        marks.push(row.messageId);
      }
      onCommit.inc({ path: 'memory' }, batch.length);
      kickMarking();
    }
  }

  async function markSent(): Promise<void> {
    for (let attempt = 1; marks.length > 0;) {
      const ids = marks.splice(0, 2_000);
      try {
        await pool.query(`update outbox_message set sent_at = ? where message_id in (${placeholders(ids.length)})`, [options.clock.now(), ...ids]);
        for (const id of ids) untrack(id);
        attempt = 1;
      } catch (error) {
        marks.unshift(...ids);
        if (stopped) return; // unmarked rows are published again by the relay later: a duplicate, not a loss
        logger.warn({ err: errorMessage(error), rows: ids.length, attempt }, 'could not mark published outbox rows as sent yet');
        await sleep(backoffMs(attempt++, 100, 5_000));
      }
    }
  }

  function kickSending(): void {
    if (sending) return;
    sending = sendQueued().finally(() => {
      sending = null;
      if (queue.length > 0) kickSending();
    });
  }

  /**
   * Marks are gathered for a moment: marking is a write with a commit (and a log flush) of its own,
   * so one UPDATE for everything published in the last 100 ms, not one per send. Until marked, the
   * rows count as in flight (never as older unsent rows of their key), and their grace period keeps
   * the relay away from them.
   */
  let markTimer: NodeJS.Timeout | null = null;
  let draining = 0;
  /** Marks a transaction took and has not settled yet. */
  let lent = 0;
  function kickMarking(now = false): void {
    if (now && markTimer) {
      clearTimeout(markTimer);
      markTimer = null;
    }
    if (marking || markTimer) return;
    const start = () => {
      markTimer = null;
      marking = markSent().finally(() => {
        marking = null;
        if (marks.length > 0 && !stopped) kickMarking(draining > 0);
      });
    };
    if (now || marks.length >= 1_000 || stopped) start();
    else markTimer = setTimeout(start, markDelayMs);
  }

  return {
    publish(rows, blockedKeys) {
      if (rows.length === 0) return;
      const now = Date.now();
      const toRelay: PendingRow[] = [];
      for (const row of rows) {
        track(row);
        if (row.key !== null && (blockedKeys.has(row.key) || isDiverted(row.key, now))) toRelay.push(row);
        else queue.push(row);
      }
      if (toRelay.length > 0) void divert(toRelay);
      if (!stopped) kickSending();
    },
    takeMarks() {
      if (marks.length === 0 || stopped) return null;
      const ids = marks.splice(0, 2_000);
      lent += ids.length;
      return {
        ids,
        sentAt: options.clock.now(),
        settled(committed) {
          lent -= ids.length;
          if (committed) {
            for (const id of ids) untrack(id);
            piggybacked.inc(ids.length);
          } else {
            marks.push(...ids);
            kickMarking(draining > 0);
          }
        },
      };
    },
    inFlightIds(keys) {
      const ids: string[] = [];
      for (const key of keys) {
        const inFlight = inFlightByKey.get(key);
        if (inFlight) ids.push(...inFlight);
      }
      return ids;
    },
    async drain() {
      draining++;
      try {
        while (sending || marking || markTimer || marks.length > 0 || lent > 0) {
          await sending;
          if (lent > 0 && !sending && !marking && !markTimer && marks.length === 0) await sleep(5);
          if (marks.length > 0 || markTimer) kickMarking(true);
          await marking;
          if (stopped && !sending) break;
        }
      } finally {
        draining--;
      }
    },
    async stop() {
      stopped = true;
      await this.drain();
    },
  };
}
