// What a soak leaves behind: row counts of every table of the three databases, Redis keys and memory.
import type { RowDataPacket } from 'mysql2/promise';
import { Redis } from 'ioredis';
import { withRoot } from './chaos-db.ts';
import type { ChaosInfra } from './chaos-infra.ts';
import type { ChaosPlatform } from './chaos-platform.ts';
import type { InvariantResult } from '../../scripts/load/invariants.ts';
import type { ServiceName } from './platform.ts';

export interface Footprint {
  /** "order.outbox_message" → rows (exact counts). */
  tables: Map<string, number>;
  redisKeys: number;
  redisMemoryBytes: number;
  /** Redis keys per BullMQ queue ("<prefix>:<queue>:…"), the largest first. */
  redisKeysByQueue: Map<string, number>;
}

export async function footprint(infra: ChaosInfra, platform: ChaosPlatform): Promise<Footprint> {
  const tables = new Map<string, number>();
  await withRoot(infra.db, async (connection) => {
    for (const [service, database] of Object.entries(platform.databases) as [ServiceName, string][]) {
      const [names] = await connection.query<RowDataPacket[]>(
        `select table_name as name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE' order by table_name`,
        [database],
      );
      for (const { name } of names) {
        const [rows] = await connection.query<RowDataPacket[]>(`select count(*) as n from \`${database}\`.\`${name}\``);
        tables.set(`${service.replace('-service', '')}.${name}`, Number(rows[0].n));
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
      redisKeys,
      redisMemoryBytes: Number(memory?.[1] ?? 0),
      redisKeysByQueue: new Map([...redisKeysByQueue].sort((a, b) => b[1] - a[1])),
    };
  } finally {
    redis.disconnect();
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Before and after, one row per table, then Redis: a Markdown table. */
export function footprintTable(before: Footprint, after: Footprint, acceptedOrders: number): string {
  const lines = ['| Table | Before | After | Growth | Per accepted order |', '|---|---|---|---|---|'];
  const names = [...new Set([...before.tables.keys(), ...after.tables.keys()])].sort();
  for (const name of names) {
    const was = before.tables.get(name) ?? 0;
    const now = after.tables.get(name) ?? 0;
    lines.push(`| ${name} | ${was} | ${now} | ${now - was} | ${acceptedOrders > 0 ? ((now - was) / acceptedOrders).toFixed(2) : '–'} |`);
  }
  lines.push(`| Redis keys | ${before.redisKeys} | ${after.redisKeys} | ${after.redisKeys - before.redisKeys} | – |`);
  lines.push(
    `| Redis used memory | ${mb(before.redisMemoryBytes)} | ${mb(after.redisMemoryBytes)} | ${mb(after.redisMemoryBytes - before.redisMemoryBytes)} | – |`,
  );
  return lines.join('\n');
}

/**
 * The soak's bounds on what it leaves. The inbox and outbox keep rows for their retention (outbox:
 * sent rows 1 h, inbox: INBOX_RETENTION_DAYS, at least 1 day; neither shorter through the
 * environment), longer than a soak: so what the window holds is every message of the run, and the
 * bound is per order — a saga writes a handful of messages per service, retries and duplicates
 * included; nothing may stay unsent. Redis: no key per order may stay once every order has ended
 * (timer jobs are removed when they complete): its keys stay within a fixed allowance.
 */
export function footprintBounds(before: Footprint, after: Footprint, acceptedOrders: number, perOrder = 12, redisAllowance = 500): InvariantResult[] {
  const results: InvariantResult[] = [];
  for (const [name, now] of after.tables) {
    if (!/\.(inbox_message|outbox_message)$/.test(name)) continue;
    const growth = now - (before.tables.get(name) ?? 0);
    results.push({
      name: `${name}: grew at most ${perOrder} rows per accepted order (retention holds the whole run)`,
      pass: growth <= perOrder * Math.max(1, acceptedOrders),
      detail: `+${growth} rows for ${acceptedOrders} orders (${(growth / Math.max(1, acceptedOrders)).toFixed(2)} per order)`,
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
