import { kafkaCredentialsOf, type Principal } from './kafka-access.ts';
import { startTcpCutProxy, type TcpCutProxy } from './tcp-cut-proxy.ts';
import { freePort } from './test-infra.ts';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createConnection } from 'mysql2/promise';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

export interface DbAddress {
  host: string;
  port: number;
  user: string;
  password: string;
}

/**
 * A Kafka broker, a Redis and a MariaDB of the chaos tests' own, next to the shared ones (9092,
 * 6379, 3306) that other engineers' runs use: here kill -9, FLUSHALL and KILL CONNECTION are real
 * and hurt nobody else, and nobody else's connections can exhaust the server the platform needs.
 * Ports are free ones picked at start, files live in .run/chaos/<runId>/, so two runs can overlap.
 */
export interface ChaosInfra {
  runId: string;
  dir: string;
  kafkaBrokers: string;
  /** KAFKA_SASL_* of a principal of this broker (kafka.sh generated them with its storage). */
  kafkaCredentials(principal: Principal): Record<string, string>;
  /**
   * The broker through a proxy that can be cut (`kafkaProxy`): bootstrapped here, a client stays on
   * the broker's second listener (PROXIED), which advertises the proxy's address. The chaos platform
   * gives it to one service, so that this one alone can be cut off the broker.
   */
  kafkaProxiedBrokers: string;
  kafkaProxy: TcpCutProxy;
  redisUrl: string;
  db: DbAddress;
  /** kill -9 of the broker JVM; resolves once the process is gone. */
  killKafka(): Promise<void>;
  /** Starts the broker again on the same data dir (what kafka.sh start does); resolves once it answers. */
  startKafka(): Promise<void>;
  kafkaPid(): number | null;
  /** kill -9 of the mariadbd process; resolves once it is gone. */
  killDatabase(): Promise<void>;
  /** Starts mariadbd again on the same data directory and port (InnoDB crash recovery); resolves once it answers. */
  startDatabase(): Promise<void>;
  mariadbPid(): number | null;
  /** FLUSHALL on the chaos Redis: every BullMQ job and scheduler is gone. */
  flushRedis(): Promise<void>;
  stop(): Promise<void>;
}

export { freePort };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startChaosInfra(runId = `${Date.now().toString(36)}${process.pid.toString(36)}`): Promise<ChaosInfra> {
  const dir = `${root}.run/chaos/${runId}`;
  mkdirSync(dir, { recursive: true });
  const kafkaPort = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === kafkaPort) controllerPort = await freePort();
  let proxiedPort = await freePort();
  while (proxiedPort === kafkaPort || proxiedPort === controllerPort) proxiedPort = await freePort();
  const kafkaProxy = await startTcpCutProxy({ host: '127.0.0.1', port: proxiedPort });
  const redisPort = await freePort();
  const dbPort = await freePort();
  const db: DbAddress = { host: '127.0.0.1', port: dbPort, user: 'root', password: '' };

  const kafkaEnv = {
    ...process.env,
    KAFKA_PORT: String(kafkaPort),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_PROXIED_PORT: String(proxiedPort),
    KAFKA_PROXIED_ADVERTISED: `127.0.0.1:${kafkaProxy.port}`,
    KAFKA_DATA_DIR: `${dir}/kafka-data`,
    KAFKA_PID_FILE: `${dir}/kafka.pid`,
    KAFKA_LOG_FILE: `${dir}/kafka.log`,
    KAFKA_LOCK_FILE: `${dir}/kafka.lock`,
    KAFKA_HEAP: process.env.CHAOS_KAFKA_HEAP ?? '-Xmx384m -Xms384m',
    KAFKA_START_TIMEOUT: '120',
    // Each chaos platform grants the ACLs of its own prefixed topics (tests/support/chaos-platform.ts).
    KAFKA_ACLS: 'skip',
  };
  const kafkaSh = (command: string) =>
    run('bash', [`${root}infra/kafka/kafka.sh`, command], { cwd: root, env: kafkaEnv, maxBuffer: 16 * 1024 * 1024 });
  const kafkaPid = (): number | null => {
    if (!existsSync(kafkaEnv.KAFKA_PID_FILE)) return null;
    const pid = Number(readFileSync(kafkaEnv.KAFKA_PID_FILE, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null;
  };

  let redis: ChildProcess | null = null;
  const startRedis = async () => {
    redis = spawn(
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', `${dir}/redis.log`],
      { stdio: 'ignore' },
    );
    const client = new Redis({ port: redisPort, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    client.on('error', () => {});
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await client.connect();
        await client.ping();
        client.disconnect();
        return;
      } catch (error) {
        client.disconnect();
        if (Date.now() > deadline) throw new Error(`chaos redis on ${redisPort} did not start: ${(error as Error).message}`);
        await sleep(100);
      }
    }
  };

  // MariaDB: a fresh data directory, no grant tables (a throwaway server on 127.0.0.1 only).
  let mariadb: ChildProcess | null = null;
  const dbDir = `${dir}/mariadb`;
  const innodb = ['--innodb-buffer-pool-size=128M', '--innodb-log-file-size=16M'];
  const installMariadb = async () => {
    rmSync(dbDir, { recursive: true, force: true });
    mkdirSync(dbDir, { recursive: true });
    await run(
      'mariadb-install-db',
      ['--no-defaults', `--datadir=${dbDir}/data`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=root', ...innodb],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
  };
  // The server on the data directory as it is (after a kill -9: InnoDB recovers it); resolves once it answers.
  const launchMariadb = async () => {
    mariadb = spawn(
      'mariadbd',
      [
        '--no-defaults',
        `--datadir=${dbDir}/data`,
        `--socket=${dbDir}/mariadb.sock`,
        `--pid-file=${dbDir}/mariadb.pid`,
        `--log-error=${dir}/mariadb.log`,
        `--port=${dbPort}`,
        '--bind-address=127.0.0.1',
        '--user=root',
        '--skip-grant-tables',
        '--skip-name-resolve',
        '--max-connections=500',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_general_ci',
        ...innodb,
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (mariadb.exitCode !== null) throw new Error(`chaos mariadb exited with ${mariadb.exitCode}; see ${dir}/mariadb.log`);
      try {
        const connection = await createConnection({ ...db });
        await connection.end();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`chaos mariadb on ${dbPort} did not start: ${(error as Error).message}`);
        await sleep(100);
      }
    }
  };
  const startMariadb = async () => {
    await installMariadb();
    await launchMariadb();
  };
  const mariadbPid = (): number | null => {
    const child = mariadb as ChildProcess | null;
    return child && child.exitCode === null && child.signalCode === null ? child.pid! : null;
  };

  const killOnExit = () => {
    redis?.kill('SIGKILL');
    mariadb?.kill('SIGKILL');
    const pid = kafkaPid();
    if (pid) process.kill(pid, 'SIGKILL');
  };
  process.once('exit', killOnExit);

  await Promise.all([startRedis(), startMariadb(), kafkaSh('start')]);

  return {
    runId,
    dir,
    kafkaBrokers: `127.0.0.1:${kafkaPort}`,
    kafkaProxiedBrokers: `127.0.0.1:${kafkaProxy.port}`,
    kafkaProxy,
    kafkaCredentials: (principal) => kafkaCredentialsOf(principal, `${kafkaEnv.KAFKA_DATA_DIR}/credentials`),
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    db,
    kafkaPid,
    async killKafka() {
      const pid = kafkaPid();
      if (!pid) throw new Error('chaos broker is not running');
      process.kill(pid, 'SIGKILL');
      while (alive(pid)) await sleep(50);
    },
    async startKafka() {
      await kafkaSh('start');
    },
    mariadbPid,
    async killDatabase() {
      const child = mariadb as ChildProcess | null;
      if (!child || mariadbPid() === null) throw new Error('chaos mariadb is not running');
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    },
    async startDatabase() {
      if (mariadbPid() !== null) throw new Error('chaos mariadb is still running');
      await launchMariadb();
    },
    async flushRedis() {
      const client = new Redis({ port: redisPort, host: '127.0.0.1', maxRetriesPerRequest: 1 });
      try {
        await client.flushall();
      } finally {
        client.disconnect();
      }
    },
    async stop() {
      process.off('exit', killOnExit);
      await kafkaSh('stop').catch(() => {});
      await kafkaProxy.close();
      const pid = kafkaPid();
      if (pid) process.kill(pid, 'SIGKILL');
      for (const child of [redis as ChildProcess | null, mariadb as ChildProcess | null]) {
        if (!child || child.exitCode !== null || child.signalCode !== null) continue;
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await gone;
      }
      if (!process.env.CHAOS_KEEP_FILES) {
        rmSync(`${dir}/kafka-data`, { recursive: true, force: true });
        rmSync(dbDir, { recursive: true, force: true });
      }
    },
  };
}
