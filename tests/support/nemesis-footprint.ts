// What a soak leaves behind: row counts of every table of the three databases, Redis keys and memory,
// and what the inbox and outbox retention deleted meanwhile.
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { Redis } from 'ioredis';
import { rootConnection, withRoot } from './chaos-db.ts';
import type { ChaosInfra } from './chaos-infra.ts';
import type { ChaosPlatform } from './chaos-platform.ts';
import type { InvariantResult } from '../../scripts/load/invariants.ts';
import type { ServiceName } from './platform.ts';
import { cleanupEveryMs } from '#shared/jobs/periodic-jobs.ts';

/**
 * The soak's retentions, short enough to act within it (defaults: outbox 1 h, inbox 7 days); the
 * cleanups then run every quarter of them (15 s, 30 s).
 */
export const SOAK_RETENTION = { OUTBOX_RETENTION_MS: 60_000, INBOX_RETENTION_MS: 120_000 } as const;

const messagingTable = /\.(inbox_message|outbox_message)$/;
/** Tables that grow with the orders by design: no retention (an order's history stays). */
const growsWithOrders = /\.(customer_order|saga_event|order_stock|product_reservation|payment|credit_history)$/;

export interface Footprint {
  /** "order.outbox_message" → rows (exact counts). */
  tables: Map<string, number>;
  /** "order.inbox_message" → age in ms of its oldest row (outbox: of its oldest sent row); absent when none. */
  oldestAgeMs: Map<string, number>;
  redisKeys: number;
  redisMemoryBytes: number;
  /** Redis keys per BullMQ queue ("<prefix>:<queue>:…"), the largest first. */
  redisKeysByQueue: Map<string, number>;
}

export async function footprint(infra: ChaosInfra, platform: ChaosPlatform): Promise<Footprint> {
  const tables = new Map<string, number>();
  const oldestAgeMs = new Map<string, number>();
  await withRoot(infra.db, async (connection) => {
    for (const [service, database] of Object.entries(platform.databases) as [ServiceName, string][]) {
      const [names] = await connection.query<RowDataPacket[]>(
        `select table_name as name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE' order by table_name`,
        [database],
      );
      for (const { name } of names) {
        const [rows] = await connection.query<RowDataPacket[]>(`select count(*) as n from \`${database}\`.\`${name}\``);
        const table = `${service.replace('-service', '')}.${name}`;
        tables.set(table, Number(rows[0].n));
        const column = name === 'inbox_message' ? 'received_at' : name === 'outbox_message' ? 'sent_at' : null;
        if (column === null) continue;
        const [oldest] = await connection.query<RowDataPacket[]>(`select min(${column}) as at from \`${database}\`.\`${name}\``);
        if (oldest[0].at instanceof Date) oldestAgeMs.set(table, Math.max(0, Date.now() - oldest[0].at.getTime()));
      }
    }
  });
  const redis = new Redis(infra.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const redisKeys = await redis.dbsize();
    const memory = /used_memory:(\d+)/.exec(await redis.info('memory'));
    const redisKeysByQueue = new Map<string, number>();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const queue = key.split(':').slice(0, 2).join(':');
        redisKeysByQueue.set(queue, (redisKeysByQueue.get(queue) ?? 0) + 1);
      }
    } while (cursor !== '0');
    return {
      tables,
      oldestAgeMs,
      redisKeys,
      redisMemoryBytes: Number(memory?.[1] ?? 0),
      redisKeysByQueue: new Map([...redisKeysByQueue].sort((a, b) => b[1] - a[1])),
    };
  } finally {
    redis.disconnect();
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const seconds = (ms: number | undefined) => (ms === undefined ? '–' : `${Math.round(ms / 1000)} s`);

function boundOf(name: string): string {
  if (name.endsWith('.inbox_message')) return `retention ${SOAK_RETENTION.INBOX_RETENTION_MS / 1000} s`;
  if (name.endsWith('.outbox_message')) return `retention ${SOAK_RETENTION.OUTBOX_RETENTION_MS / 1000} s (sent rows)`;
  if (growsWithOrders.test(name)) return 'grows with the orders (by design)';
  if (name.endsWith('.dead_letter')) return 'none expected (poison only)';
  return 'fixed';
}

/** Before, at the midpoint of the load and after, one row per table, then Redis: a Markdown table. */
export function footprintTable(before: Footprint, midpoint: Footprint | null, after: Footprint, acceptedOrders: number): string {
  const lines = ['| Table | Before | Midpoint | After | Growth | Per accepted order | Bounded by |', '|---|---|---|---|---|---|---|'];
  const names = [...new Set([...before.tables.keys(), ...after.tables.keys()])].sort();
  for (const name of names) {
    const was = before.tables.get(name) ?? 0;
    const now = after.tables.get(name) ?? 0;
    const mid = midpoint?.tables.get(name);
    lines.push(
      `| ${name} | ${was} | ${mid ?? '–'} | ${now} | ${now - was} | ${acceptedOrders > 0 ? ((now - was) / acceptedOrders).toFixed(2) : '–'} | ${boundOf(name)} |`,
    );
  }
  lines.push(
    `| Redis keys | ${before.redisKeys} | ${midpoint?.redisKeys ?? '–'} | ${after.redisKeys} | ${after.redisKeys - before.redisKeys} | – | timer jobs still due |`,
  );
  lines.push(
    `| Redis used memory | ${mb(before.redisMemoryBytes)} | ${midpoint ? mb(midpoint.redisMemoryBytes) : '–'} | ${mb(after.redisMemoryBytes)} | ${mb(after.redisMemoryBytes - before.redisMemoryBytes)} | – | – |`,
  );
  return lines.join('\n');
}

/** Every row key (inbox: message_id, outbox: id) each inbox and outbox table held at some sample, and the keys of the last sample. */
export interface MessagingRowsSeen {
  seen: Map<string, Set<string>>;
  last: Map<string, Set<string>>;
  samples: number;
}

/**
 * Samples the keys of every inbox and outbox table every `everyMs` (a connection of its own, on no
 * platform database, so a cut of the platform's connections leaves it alone). A row stays at least
 * a retention (a minute) and is sampled every 10 s: each row the soak wrote is seen, so the rows
 * seen less the rows left are what the retention deleted — with it off, none would be.
 */
export function watchMessagingRows(infra: ChaosInfra, platform: ChaosPlatform, everyMs = 10_000): { stop(): Promise<MessagingRowsSeen> } {
  const seen = new Map<string, Set<string>>();
  let last = new Map<string, Set<string>>();
  let samples = 0;
  let connection: Connection | null = null;
  let stopped = false;

  async function sample(): Promise<void> {
    connection ??= await rootConnection(infra.db);
    const now = new Map<string, Set<string>>();
    for (const [service, database] of Object.entries(platform.databases) as [ServiceName, string][]) {
      for (const [name, key] of [
        ['inbox_message', 'message_id'],
        ['outbox_message', 'id'],
      ] as const) {
        const [rows] = await connection.query<RowDataPacket[]>(`select ${key} as k from \`${database}\`.\`${name}\``);
        const table = `${service.replace('-service', '')}.${name}`;
        const keys = new Set(rows.map((row) => String(row.k)));
        now.set(table, keys);
        const all = seen.get(table) ?? new Set<string>();
        for (const k of keys) all.add(k);
        seen.set(table, all);
      }
    }
    last = now;
    samples++;
  }

  async function tick(): Promise<void> {
    try {
      await sample();
    } catch {
      // MariaDB busy or the connection gone: the next sample reconnects
      await connection?.end().catch(() => {});
      connection = null;
    }
  }

  const loop = (async () => {
    while (!stopped) {
      await tick();
      const until = Date.now() + everyMs;
      while (!stopped && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();

  return {
    async stop() {
      stopped = true;
      await loop;
      await tick(); // the last sample: what is left
      await connection?.end().catch(() => {});
      return { seen, last, samples };
    },
  };
}

/**
 * How old a table's oldest row may get before its retention must have deleted rows: the retention,
 * one cleanup period (the services' own: a quarter of it, at most every minute for the outbox and
 * every 10 for the inbox) and a sample interval of slack.
 */
function retentionDueMs(name: string): number {
  const [retentionMs, atMostMs] = name.endsWith('.inbox_message')
    ? [SOAK_RETENTION.INBOX_RETENTION_MS, 10 * 60_000]
    : [SOAK_RETENTION.OUTBOX_RETENTION_MS, 60_000];
  return retentionMs + cleanupEveryMs(retentionMs, atMostMs) + 10_000;
}

/** Rows of a table seen during the soak and gone by its last sample: what the retention deleted. */
function deletedOf(rows: MessagingRowsSeen, name: string): number {
  const left = rows.last.get(name);
  return [...(rows.seen.get(name) ?? [])].filter((k) => !left?.has(k)).length;
}

/** Per inbox and outbox table: rows seen during the soak, deleted by retention, left, the oldest left. */
export function retentionTable(rows: MessagingRowsSeen, after: Footprint): string {
  const lines = ['| Table | Rows during the soak (seen) | Deleted by retention | Left after | Oldest left |', '|---|---|---|---|---|'];
  for (const [name, all] of [...rows.seen].sort((a, b) => a[0].localeCompare(b[0]))) {
    const left = rows.last.get(name) ?? new Set<string>();
    const deleted = deletedOf(rows, name);
    lines.push(`| ${name} | ${all.size} | ${deleted} | ${after.tables.get(name) ?? left.size} | ${seconds(after.oldestAgeMs.get(name))} |`);
  }
  return lines.join('\n');
}

/**
 * The soak's bounds on what it leaves. The inbox and outbox keep rows for the soak's short
 * retentions (SOAK_RETENTION), so each must have deleted rows: it holds fewer rows after the soak
 * than the soak wrote into it (with retention off every row would stay: at least as many). Each also
 * grows by at most `perOrder` rows per accepted order (a saga writes a handful of messages per
 * service, retries and duplicates included). `customer_order`, `saga_event` and the services'
 * records grow with the orders by design. Redis: no key per order may stay once every order has
 * ended (timer jobs are removed when they complete): its keys stay within a fixed allowance.
 */
export function footprintBounds(
  before: Footprint,
  after: Footprint,
  acceptedOrders: number,
  rows: MessagingRowsSeen | null = null,
  perOrder = 12,
  redisAllowance = 500,
): InvariantResult[] {
  const results: InvariantResult[] = [];
  for (const [name, now] of after.tables) {
    if (!messagingTable.test(name)) continue;
    const growth = now - (before.tables.get(name) ?? 0);
    results.push({
      name: `${name}: grew at most ${perOrder} rows per accepted order`,
      pass: growth <= perOrder * Math.max(1, acceptedOrders),
      detail: `+${growth} rows for ${acceptedOrders} orders (${(growth / Math.max(1, acceptedOrders)).toFixed(2)} per order)`,
    });
    if (rows === null) continue;
    const seen = rows.seen.get(name)?.size ?? 0;
    const deleted = deletedOf(rows, name);
    // A soak shorter than the retention cannot show it: until a row is old enough, none is due.
    const oldestMs = after.oldestAgeMs.get(name) ?? 0;
    const due = oldestMs >= retentionDueMs(name) || deleted > 0;
    results.push({
      name: `${name}: retention deleted rows (fewer left than the soak wrote)`,
      pass: due ? now < seen && deleted > 0 : true,
      detail: `${seen} rows during the soak, ${deleted} deleted, ${now} left (oldest ${seconds(oldestMs)} old${
        due ? '' : `, none due before ${seconds(retentionDueMs(name))}: run the soak longer to see this table's retention`
      }; ${rows.samples} samples)`,
    });
  }
  results.push({
    name: `Redis: no key per order left (within ${redisAllowance} keys of before)`,
    pass: after.redisKeys - before.redisKeys <= redisAllowance,
    detail: `${before.redisKeys} → ${after.redisKeys} keys; largest: ${[...after.redisKeysByQueue]
      .slice(0, 4)
      .map(([queue, n]) => `${queue} ${n}`)
      .join(', ')}`,
  });
  return results;
}
