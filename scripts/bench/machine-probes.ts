import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createConnection, type Connection } from 'mysql2/promise';
import { Redis } from 'ioredis';
import { baseEnvSchema, parseEnv } from '#shared/config/env.ts';
import { sagaTopics } from '#shared/contracts/topics.ts';
import { createKafkajsClient } from '#shared/kafka/kafkajs-client.ts';
import { kafkaSecurityOf } from '#shared/kafka/kafka-security.ts';
import { createLogger } from '#shared/observability/logger.ts';

/**
 * What a benchmark reads off the machine around each phase: CPU time per process of the platform
 * (from /proc), MariaDB's and Redis's own counters, and how many records the saga topics gained.
 * Differences of two readings, divided by the sagas of the phase, give the per-saga costs.
 */

export interface Reading {
  at: number;
  cpuMs: Map<string, number>;
  db: Map<string, number>;
  redisCommands: number;
  producedRecords: number;
}

export interface Probes {
  processes: ReadonlyMap<string, readonly number[]>;
  read(): Promise<Reading>;
  close(): Promise<void>;
}

const dbCounters = [
  'Questions',
  'Com_commit',
  'Com_rollback',
  'Innodb_data_fsyncs',
  'Handler_commit',
  'Com_select',
  'Com_insert',
  'Com_update',
  'Com_delete',
];

/** The platform's processes by name, found by the ports they listen on (a service may have replicas). */
export function findPlatformProcesses(
  ports: { order: number[]; product: number[]; payment: number[] },
  kafkaPort: number,
  redisPort: number,
): Map<string, number[]> {
  const listeners = new Map<number, number>();
  try {
    const out = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' });
    for (const line of out.split('\n')) {
      const port = Number(/:(\d+)\s/.exec(line)?.[1]);
      const pid = Number(/pid=(\d+)/.exec(line)?.[1]);
      if (port && pid) listeners.set(port, pid);
    }
  } catch {
    // no ss: CPU per process is left out
  }
  const pidsOn = (list: number[]) => [...new Set(list.map((port) => listeners.get(port)).filter((pid): pid is number => pid !== undefined))];
  const mariadb = pidOf('mariadbd') ?? pidOf('mysqld');
  const processes = new Map<string, number[]>([
    ['order', pidsOn(ports.order)],
    ['product', pidsOn(ports.product)],
    ['payment', pidsOn(ports.payment)],
    ['mariadb', mariadb ? [mariadb] : []],
    ['kafka', pidsOn([kafkaPort])],
    ['redis', pidsOn([redisPort])],
    ['driver', [process.pid]],
  ]);
  return processes;
}

function pidOf(name: string): number | null {
  try {
    const pid = Number(execFileSync('pidof', ['-s', name], { encoding: 'utf8' }).trim());
    return pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

const ticksPerSecond = 100; // USER_HZ on Linux

/** User + system CPU time of a process, in ms (0 once it is gone). */
export function cpuMsOf(pid: number): number {
  const path = `/proc/${pid}/stat`;
  if (!existsSync(path)) return 0;
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

export async function openProbes(ports: { order: number[]; product: number[]; payment: number[] }): Promise<Probes> {
  const env = parseEnv(baseEnvSchema);
  const kafkaPort = Number(env.KAFKA_BROKERS[0]?.split(':')[1] ?? 9092);
  const redisPort = Number(new URL(env.REDIS_URL).port || 6379);
  const processes = findPlatformProcesses(ports, kafkaPort, redisPort);
  const db: Connection = await createConnection({ host: env.DB_HOST, port: env.DB_PORT, user: env.DB_USER, password: env.DB_PASSWORD });
  const redis = new Redis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const kafka = createKafkajsClient(
    { clientId: 'bench-probe', brokers: env.KAFKA_BROKERS, topicPrefix: env.KAFKA_TOPIC_PREFIX, ...kafkaSecurityOf(env) },
    createLogger('bench-probe', 'error'),
  );
  const admin = await kafka.admin();

  return {
    processes,
    async read() {
      const cpuMs = new Map<string, number>();
      for (const [name, pids] of processes)
        cpuMs.set(
          name,
          pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0),
        );
      const [rows] = await db.query(`show global status where Variable_name in (${dbCounters.map(() => '?').join(',')})`, dbCounters);
      const counters = new Map((rows as { Variable_name: string; Value: string }[]).map((row) => [row.Variable_name, Number(row.Value)]));
      const info = await redis.info('stats');
      const redisCommands = Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
      let producedRecords = 0;
      for (const topic of sagaTopics) {
        for (const partition of await admin.topicOffsets(topic)) producedRecords += Number(partition.high);
      }
      return { at: performance.now(), cpuMs, db: counters, redisCommands, producedRecords };
    },
    async close() {
      await admin.disconnect();
      redis.disconnect();
      await db.end();
    },
  };
}

/** What happened between two readings, per saga (or per second for an idle phase). */
export interface Costs {
  seconds: number;
  statements: number;
  commits: number;
  fsyncs: number;
  redisCommands: number;
  producedRecords: number;
  cpuMs: Record<string, number>;
  /** Cores busy on average over the interval, per process. */
  cpuShare: Record<string, number>;
}

export function costsBetween(before: Reading, after: Reading, per: number): Costs {
  const delta = (name: string) => (after.db.get(name) ?? 0) - (before.db.get(name) ?? 0);
  const seconds = (after.at - before.at) / 1000;
  const cpuMs: Record<string, number> = {};
  const cpuShare: Record<string, number> = {};
  for (const [name, ms] of after.cpuMs) {
    const used = ms - (before.cpuMs.get(name) ?? 0);
    cpuMs[name] = used / per;
    cpuShare[name] = used / 1000 / seconds;
  }
  return {
    seconds,
    statements: delta('Questions') / per,
    commits: delta('Com_commit') / per,
    fsyncs: delta('Innodb_data_fsyncs') / per,
    redisCommands: (after.redisCommands - before.redisCommands) / per,
    producedRecords: (after.producedRecords - before.producedRecords) / per,
    cpuMs,
    cpuShare,
  };
}
