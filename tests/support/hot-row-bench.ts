// What the hot-row benches (product-service/bench/hot-product.ts, payment-service/bench/hot-customer.ts) share.
import { randomUUID } from 'node:crypto';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import type { Histogram } from 'prom-client';
import { topicOfMessageType } from '#shared/contracts/families.ts';
import type { OutgoingRecord } from '#shared/kafka/kafka-client.ts';
import type { RunningService } from '#shared/runtime/service-host.ts';
import { envelopeOf } from './saga-probe.ts';
import { testEnv } from './test-infra.ts';

/** A command for one order, as the saga sends it, as a record on the topic its type travels on. */
export function commandRecord(type: string, orderId: string, payload: unknown): OutgoingRecord {
  return { topic: topicOfMessageType(type), key: orderId, value: JSON.stringify(envelopeOf(type, orderId, payload, randomUUID())) };
}

/** A connection to the tests' MariaDB server (no database chosen): for its global status, or to drop a database. */
export function serverConnection(): Promise<Connection> {
  return createConnection({ host: testEnv.DB_HOST, port: testEnv.DB_PORT, user: testEnv.DB_USER, password: testEnv.DB_PASSWORD });
}

export interface RowLockCounters {
  waits: number;
  timeMs: number;
  deadlocks: number;
}

/** InnoDB's row-lock counters so far, server-wide: every other database on the server adds to them. */
export async function rowLockCounters(db: Connection): Promise<RowLockCounters> {
  const [rows] = await db.query<RowDataPacket[]>(
    "show global status where variable_name in ('Innodb_row_lock_waits', 'Innodb_row_lock_time', 'Innodb_deadlocks')",
  );
  const value = (name: string) => Number(rows.find((row) => row.Variable_name === name)?.Value ?? 0);
  return { waits: value('Innodb_row_lock_waits'), timeMs: value('Innodb_row_lock_time'), deadlocks: value('Innodb_deadlocks') };
}

export const rowLocksBetween = (before: RowLockCounters, after: RowLockCounters): RowLockCounters => ({
  waits: after.waits - before.waits,
  timeMs: after.timeMs - before.timeMs,
  deadlocks: after.deadlocks - before.deadlocks,
});

/** How far the counters rise in `ms` while the bench sends nothing (its idle baseline), and where they stand then. */
export async function idleRowLocks(db: Connection, ms: number): Promise<{ idle: RowLockCounters; end: RowLockCounters }> {
  const start = await rowLockCounters(db);
  await new Promise((resolve) => setTimeout(resolve, ms));
  const end = await rowLockCounters(db);
  return { idle: rowLocksBetween(start, end), end };
}

/** Sum (seconds) and count of the inbox handlers' transaction times so far (`inbox_handle_duration_seconds`), of one topic or all. */
export async function handlerTime(service: RunningService, topic?: string): Promise<{ seconds: number; count: number }> {
  const metric = service.deps.metrics.getSingleMetric('inbox_handle_duration_seconds') as Histogram | undefined;
  const values = metric ? (await metric.get()).values : [];
  const ofTopic = topic === undefined ? values : values.filter((entry) => entry.labels.topic === topic);
  const total = (suffix: string) =>
    ofTopic.filter((entry) => entry.metricName === `inbox_handle_duration_seconds${suffix}`).reduce((sum, entry) => sum + entry.value, 0);
  return { seconds: total('_sum'), count: total('_count') };
}

/** The middle value of the runs (of an even number, the upper one). */
export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
