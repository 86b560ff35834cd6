// Faults of the chaos suite about time: one service's clock minutes off (libfaketime), the database
// server in a time zone other than UTC. Injected into a load by runScenario.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { cutDatabaseConnections, pendingTimers, rootConnection, withRoot } from '../support/chaos-db.ts';
import { sleep } from '../support/chaos-infra.ts';
import type { ChaosContext, FaultSpec } from '../support/chaos-scenario.ts';
import type { ServiceName } from '../support/platform.ts';

const run = promisify(execFile);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const signed = (ms: number) => `${ms >= 0 ? '+' : '−'}${(Math.abs(ms) / 1000).toFixed(1)} s`;

/** Debian's libfaketime (package faketime). */
export const libfaketime = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

let installing: Promise<string | null> | null = null;

/**
 * The path of libfaketime, installed with apt-get if it is missing (as root, or through sudo); null
 * and the reason when it cannot be had.
 */
export function ensureFaketime(log: (message: string) => void): Promise<string | null> {
  installing ??= (async () => {
    if (existsSync(libfaketime)) return libfaketime;
    const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
    const apt = async (...args: string[]) => {
      const [command, ...rest] = [...sudo, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args];
      await run(command!, rest, { timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
    };
    log(`libfaketime missing (${libfaketime}): apt-get install faketime …`);
    const started = Date.now();
    try {
      await apt('update', '-qq');
      await apt('install', '-y', '-qq', '--no-install-recommends', 'faketime');
    } catch (error) {
      log(`could not install faketime: ${(error as Error).message.split('\n')[0]}`);
    }
    if (!existsSync(libfaketime)) return null;
    log(`faketime installed (${seconds(Date.now() - started)})`);
    return libfaketime;
  })();
  return installing;
}

/**
 * How far the service's clock is from ours, from the Date header of its /health answer (a second's
 * resolution: ±1 s). Null if it did not answer.
 */
async function clockOffsetOf(url: string): Promise<number | null> {
  try {
    const sent = Date.now();
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3_000) });
    const received = Date.now();
    await response.body?.cancel();
    const date = response.headers.get('date');
    if (!date) return null;
    // The header's second was cut off the server's time: on average half a second earlier.
    return Date.parse(date) + 500 - (sent + received) / 2;
  } catch {
    return null;
  }
}

const utcText = (column: string) => `date_format(${column}, '%Y-%m-%dT%H:%i:%s.%fZ')`;

/** The highest id of a table with an auto-increment id (rows after it are written later). */
async function highId(connection: Connection, database: string, table: 'outbox_message' | 'saga_event'): Promise<number> {
  const [rows] = await connection.query<RowDataPacket[]>(`select coalesce(max(id), 0) as id from \`${database}\`.${table}`);
  return Number(rows[0]!.id);
}

/** The timeouts among the saga events with from < id <= to: inserted in that span, whatever clock stamped them. */
async function timeoutEventsBetween(connection: Connection, database: string, from: number, to: number): Promise<{ eventType: string }[]> {
  const [rows] = await connection.query<RowDataPacket[]>(
    `select event_type from \`${database}\`.saga_event where id > ? and id <= ? and event_type like '%TimedOut'`,
    [from, to],
  );
  return rows.map((row) => ({ eventType: row.event_type as string }));
}

/** The created_at range (as UTC, what the service wrote) of the outbox rows with from < id <= to. */
async function outboxWritten(connection: Connection, database: string, from: number, to: number) {
  const [rows] = await connection.query<RowDataPacket[]>(
    `select count(*) as n, ${utcText('min(created_at)')} as first, ${utcText('max(created_at)')} as last
       from \`${database}\`.outbox_message where id > ? and id <= ?`,
    [from, to],
  );
  const row = rows[0]!;
  return { rows: Number(row.n), first: row.first ? Date.parse(row.first as string) : null, last: row.last ? Date.parse(row.last as string) : null };
}

interface SkewData {
  skipped?: string;
  offsetMs: number;
  headerOffsetMs: number | null;
  normalOffsetMs: number | null;
  written: { rows: number; first: number | null; last: number | null };
  window: { from: number; to: number };
  /** The order service: saga deadlines pending when it came up skewed, and the timeouts it fired while skewed. */
  timers?: { pendingAtStart: number; firedSkewed: number; byType: Record<string, number> };
}

/**
 * One service's clock `offset` (libfaketime's syntax: "+5m", "-5m") off the others' and the
 * database's: the service is stopped (SIGTERM) under load and started again under libfaketime
 * (LD_PRELOAD, FAKETIME; the monotonic clock left alone, so its timers and the event loop run as
 * usual), runs skewed for `holdMs`, and is then restarted with a normal clock. The fault checks that
 * its clock really was off — the Date header of its HTTP answers and the created_at of every outbox
 * row it wrote meanwhile — and normal again after.
 */
export function skewServiceClock(service: ServiceName, offset: string, holdMs = 15_000): FaultSpec {
  const match = /^([+-])(\d+)m$/.exec(offset);
  if (!match) throw new Error(`offset ${offset}: expected ±<minutes>m`);
  const offsetMs = (match[1] === '-' ? -1 : 1) * Number(match[2]) * 60_000;
  return {
    name: `clock skew: ${service} ${match[1] === '-' ? 'behind' : 'ahead'} by ${match[2]} min (libfaketime), then normal`,
    atS: 3,
    durationS: 40,
    async inject(ctx: ChaosContext) {
      const { infra, platform } = ctx;
      const lib = await ensureFaketime((message) => ctx.log(message));
      if (!lib) {
        const skipped = `SKIPPED: libfaketime (${libfaketime}) is not installed and could not be installed`;
        ctx.log(skipped);
        return { detail: skipped, data: { skipped } };
      }
      const database = platform.databases[service];
      const url = platform.url[service];
      const probe = await rootConnection(infra.db);
      let normal = false;
      try {
        const pid = platform.pid(service);
        const stopping = Date.now();
        await platform.kill(service, 'SIGTERM');
        const from = await highId(probe, database, 'outbox_message');
        const orderService = service === 'order-service';
        // Deadlines armed on the real clock: to a clock 5 min ahead, every one of them has passed; to one
        // 5 min behind, each lies 5 min further off (and those it arms itself have passed once it is set right).
        const pendingAtStart = orderService ? (await pendingTimers(probe, database)).length : 0;
        const eventsFrom = orderService ? await highId(probe, database, 'saga_event') : 0;
        const windowFrom = Date.now();
        await platform.start(service, {
          LD_PRELOAD: [lib, process.env.LD_PRELOAD].filter(Boolean).join(' '),
          FAKETIME: offset,
          FAKETIME_DONT_FAKE_MONOTONIC: '1',
        });
        const skewedPid = platform.pid(service);
        const healthyAfter = Date.now() - windowFrom;
        const headerOffsetMs = await clockOffsetOf(url);
        await sleep(holdMs);
        await platform.kill(service, 'SIGTERM');
        const windowTo = Date.now();
        const to = await highId(probe, database, 'outbox_message');
        const eventsTo = orderService ? await highId(probe, database, 'saga_event') : 0;
        const written = await outboxWritten(probe, database, from, to);
        const restarting = Date.now();
        await platform.start(service);
        normal = true;
        const normalOffsetMs = await clockOffsetOf(url);
        const data: SkewData = { offsetMs, headerOffsetMs, normalOffsetMs, written, window: { from: windowFrom, to: windowTo } };
        if (orderService) {
          // Timeouts it recorded while skewed: the events inserted between its two restarts (by id: a
          // window of its skewed stamps would also take in events of whatever ran 5 min earlier).
          const skewed = await timeoutEventsBetween(probe, database, eventsFrom, eventsTo);
          const byType: Record<string, number> = {};
          for (const e of skewed) byType[e.eventType] = (byType[e.eventType] ?? 0) + 1;
          data.timers = { pendingAtStart, firedSkewed: skewed.length, byType };
        }
        const wrote =
          written.first === null || written.last === null
            ? 'it wrote no outbox row'
            : `the ${written.rows} outbox rows it wrote are stamped ${signed(written.first - windowFrom)} … ${signed(written.last - windowTo)} off the real window`;
        return {
          detail:
            `pid ${pid} stopped, started under FAKETIME=${offset} (pid ${skewedPid}, healthy ${seconds(healthyAfter)} later, ${seconds(healthyAfter + windowFrom - stopping)} after the stop); ` +
            `its Date header ${headerOffsetMs === null ? 'missing' : signed(headerOffsetMs)} off ours; ${wrote}; ran skewed ${seconds(windowTo - windowFrom)}, ` +
            (data.timers
              ? `${data.timers.pendingAtStart} saga deadlines pending at its start, ${data.timers.firedSkewed} timeouts fired while skewed${
                  data.timers.firedSkewed
                    ? ` (${Object.entries(data.timers.byType)
                        .map(([type, n]) => `${n} ${type}`)
                        .join(', ')})`
                    : ''
                }; `
              : '') +
            `restarted with a normal clock (healthy ${seconds(Date.now() - restarting)} later, Date header ${normalOffsetMs === null ? 'missing' : signed(normalOffsetMs)})`,
          data: data as unknown as Record<string, unknown>,
        };
      } finally {
        // Whatever failed on the way, the service runs on a normal clock again.
        if (!normal) {
          await platform.kill(service, 'SIGTERM').catch(() => {});
          await platform.start(service).catch((error: Error) => ctx.log(`could not start ${service} again: ${error.message}`));
        }
        await probe.end().catch(() => {});
      }
    },
    async check(_ctx, outcome) {
      const d = outcome.data as unknown as SkewData | undefined;
      if (d?.skipped) return [{ name: 'skipped (no libfaketime)', pass: true, detail: d.skipped }];
      if (!d) return [{ name: 'the service ran with its clock off', pass: false, detail: outcome.detail }];
      const near = (value: number | null, expected: number, slackMs: number) => value !== null && Math.abs(value - expected) <= slackMs;
      const { written, window } = d;
      // Every row it wrote lies in the real window shifted by the offset (a second of slack for the probes).
      const stampsOff =
        written.rows > 0 &&
        written.first !== null &&
        written.last !== null &&
        written.first >= window.from + d.offsetMs - 1_000 &&
        written.last <= window.to + d.offsetMs + 1_000;
      return [
        {
          name: `the service's clock really was ${signed(d.offsetMs)} off`,
          pass: near(d.headerOffsetMs, d.offsetMs, 2_000) && stampsOff,
          detail: `Date header ${d.headerOffsetMs === null ? 'missing' : signed(d.headerOffsetMs)}; ${written.rows} outbox rows written skewed, ${
            written.first === null || written.last === null
              ? 'none'
              : `${signed(written.first - window.from)} … ${signed(written.last - window.to)} off the real window ${stampsOff ? '(all within it, shifted)' : '(NOT all within it shifted)'}`
          }`,
        },
        {
          name: 'its clock was normal again after the restart',
          pass: near(d.normalOffsetMs, 0, 2_000),
          detail: `Date header ${d.normalOffsetMs === null ? 'missing' : signed(d.normalOffsetMs)}`,
        },
      ];
    },
  };
}

interface TimeZoneData {
  zone: string;
  previous: string;
  global: string;
  probe: { session: string; localMinusUtcMin: number };
  killed: number;
  connections: number;
  setUtc: number;
  /** Platform connections whose first statement was something else (the statement). */
  otherFirst: string[];
  olderConnections: number;
  stamps: { rows: number; first: number | null; last: number | null };
  window: { from: number; to: number };
}

/**
 * The chaos MariaDB server's time zone set to `zone` (SET GLOBAL time_zone) for `holdMs` under load,
 * and every connection of the platform killed once right after, so that every pooled connection
 * the services use meanwhile is a new one, whose session starts in that zone. Every service must
 * set its sessions to UTC itself: the timestamps they write must be real UTC. Checks: the global
 * zone was changed (and a fresh session starts in it: its NOW() is off UTC_TIMESTAMP()); the
 * general log of the first seconds shows each new platform connection setting time_zone = '+00:00'
 * before any other statement (those killed or idle before their first have none); none predates
 * the change; the outbox rows written meanwhile are stamped in real UTC.
 */
export function databaseTimeZone(zone = '-08:00', holdMs = 15_000): FaultSpec {
  return {
    name: `MariaDB time zone ${zone} (SET GLOBAL, connections renewed)`,
    atS: 3,
    durationS: 25,
    async inject({ infra, platform }) {
      const databases = Object.values(platform.databases);
      const admin = await rootConnection(infra.db);
      let previous = 'SYSTEM';
      try {
        const [before] = await admin.query<RowDataPacket[]>('select @@global.time_zone as zone');
        previous = String(before[0]!.zone);
        const highIds = await Promise.all(databases.map((db) => highId(admin, db, 'outbox_message')));
        await admin.query('truncate table mysql.general_log');
        await admin.query("set global log_output = 'TABLE'");
        await admin.query('set global general_log = 1');
        await admin.query('set global time_zone = ?', [zone]);
        const [changed] = await admin.query<RowDataPacket[]>('select @@global.time_zone as zone');
        const global = String(changed[0]!.zone);
        const windowFrom = Date.now();
        // A session opened now starts in the new zone; its id: every connection opened later has a higher one.
        const probe = await withRoot(infra.db, async (c) => {
          const [rows] = await c.query<RowDataPacket[]>(
            'select @@session.time_zone as zone, timestampdiff(minute, utc_timestamp(), now()) as diff, connection_id() as id',
          );
          return { session: String(rows[0]!.zone), localMinusUtcMin: Number(rows[0]!.diff), id: Number(rows[0]!.id) };
        });
        // Every pooled connection of the platform made before the change goes; the pools open new ones.
        const killed = await cutDatabaseConnections(infra.db, databases, 200, 100);
        await sleep(3_000);
        await admin.query('set global general_log = 0');
        // Connections opened to the platform's databases after the change: each one's first statement.
        const [log] = await admin.query<RowDataPacket[]>(
          "select thread_id, command_type, convert(argument using utf8mb4) as argument from mysql.general_log where command_type in ('Connect', 'Query') order by event_time",
        );
        const threads = new Map<number, { platform: boolean; first: string | null }>();
        for (const entry of log) {
          const id = Number(entry.thread_id);
          const thread = threads.get(id) ?? { platform: false, first: null };
          const argument = String(entry.argument);
          if (entry.command_type === 'Connect' && databases.some((db) => argument.includes(db))) thread.platform = true;
          if (entry.command_type === 'Query' && thread.first === null) thread.first = argument;
          threads.set(id, thread);
        }
        const opened = [...threads.values()].filter((t) => t.platform);
        const utcFirst = opened.filter((t) => t.first !== null && /set time_zone = '\+00:00'/i.test(t.first));
        const otherFirst = opened.filter((t) => t.first !== null && !/set time_zone = '\+00:00'/i.test(t.first));
        await sleep(Math.max(0, holdMs - (Date.now() - windowFrom)));
        // Every platform connection open now: none may be older than the change.
        const [open] = await admin.query<RowDataPacket[]>(
          `select count(*) as n from information_schema.processlist where db in (${databases.map(() => '?').join(', ')}) and id < ?`,
          [...databases, probe.id],
        );
        const windowTo = Date.now();
        const stamps = { rows: 0, first: null as number | null, last: null as number | null };
        for (const [i, db] of databases.entries()) {
          const written = await outboxWritten(admin, db, highIds[i]!, Number.MAX_SAFE_INTEGER);
          stamps.rows += written.rows;
          if (written.first !== null) stamps.first = Math.min(stamps.first ?? Infinity, written.first);
          if (written.last !== null) stamps.last = Math.max(stamps.last ?? -Infinity, written.last);
        }
        const data: TimeZoneData = {
          zone,
          previous,
          global,
          probe,
          killed,
          connections: opened.length,
          setUtc: utcFirst.length,
          otherFirst: otherFirst.map((t) => t.first!.slice(0, 80)),
          olderConnections: Number(open[0]!.n),
          stamps,
          window: { from: windowFrom, to: windowTo },
        };
        return {
          detail:
            `global time_zone ${previous} → ${global} for ${seconds(windowTo - windowFrom)} (a new session: ${probe.session}, NOW() ${probe.localMinusUtcMin} min off UTC); ` +
            `${killed} platform connections killed; of the ${data.connections} opened in the next 3 s, ${data.setUtc} set time_zone '+00:00' first, ${otherFirst.length} ran another statement first, ${data.connections - data.setUtc - otherFirst.length} none (killed or idle; general log); ` +
            `${data.olderConnections} older than the change still open; the ${stamps.rows} outbox rows written meanwhile stamped ${
              stamps.first === null || stamps.last === null ? '—' : `${signed(stamps.first - windowFrom)} … ${signed(stamps.last - windowTo)}`
            } off the real window`,
          data: data as unknown as Record<string, unknown>,
        };
      } finally {
        await admin.query('set global general_log = 0').catch(() => {});
        await admin.query('set global time_zone = ?', [previous]).catch(() => {});
        await admin.end().catch(() => {});
      }
    },
    async check(_ctx, outcome) {
      const d = outcome.data as unknown as TimeZoneData | undefined;
      if (!d) return [{ name: 'the database server ran in another time zone', pass: false, detail: outcome.detail }];
      const [, sign, hours, minutes] = /^([+-])(\d\d):(\d\d)$/.exec(d.zone) ?? [];
      const expectedMin = sign ? (sign === '-' ? -1 : 1) * (Number(hours) * 60 + Number(minutes)) : NaN;
      const { stamps, window } = d;
      const stampsUtc =
        stamps.rows > 0 && stamps.first !== null && stamps.last !== null && stamps.first >= window.from - 1_000 && stamps.last <= window.to + 1_000;
      return [
        {
          name: `the server's global time zone really was ${d.zone}`,
          pass: d.global === d.zone && d.probe.session === d.zone && d.probe.localMinusUtcMin === expectedMin,
          detail: `@@global.time_zone ${d.global}; a new session: ${d.probe.session}, NOW() − UTC_TIMESTAMP() = ${d.probe.localMinusUtcMin} min`,
        },
        {
          name: 'every platform connection was opened under it and set UTC before anything else',
          pass: d.killed > 0 && d.setUtc > 0 && d.otherFirst.length === 0 && d.olderConnections === 0,
          detail: `${d.killed} killed at the change; of ${d.connections} new ones, ${d.setUtc} set '+00:00' as their first statement, ${d.otherFirst.length} began otherwise${
            d.otherFirst.length ? ` (${d.otherFirst.slice(0, 2).join(' | ')})` : ''
          }, the rest ran none; ${d.olderConnections} older ones left`,
        },
        {
          name: 'what the services wrote meanwhile is stamped in UTC',
          pass: stampsUtc,
          detail: `${stamps.rows} outbox rows, ${
            stamps.first === null || stamps.last === null
              ? 'none'
              : `${signed(stamps.first - window.from)} … ${signed(stamps.last - window.to)} off the real window`
          }`,
        },
      ];
    },
  };
}
