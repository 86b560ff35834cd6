import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createConnection } from 'mysql2/promise';
import { topicLayout } from '#shared/contracts/topics.ts';
import { createKafkajsClient } from '#shared/kafka/kafkajs-client.ts';
import { freePort, sleep, type ChaosInfra } from './chaos-infra.ts';
import { grantEnvironmentAcls, testSasl } from './kafka-access.ts';
import { testLogger } from './test-infra.ts';
import { serviceNames, type ServiceName } from './platform.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** One more process of a service (same env and database, another port): joins its consumer groups. */
export interface Replica {
  url: string;
  pid: number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * The three services as processes, like tests/support/platform.ts, but on the chaos run's own
 * broker, Redis and MariaDB (databases chaos_<runId>_<name>_<service>), so nothing here touches
 * what other test runs on this machine use. Adds what faults need: pids, SIGSTOP/SIGCONT, replicas.
 */
export interface ChaosPlatform {
  /** Base URL per service. */
  url: Record<ServiceName, string>;
  /** The service whose broker connections go through infra.kafkaProxy (null: none). */
  kafkaProxied: ServiceName | null;
  /** Topic and BullMQ key prefix of this platform. */
  prefix: string;
  /** Kills a service process (default SIGKILL) and waits until it is gone. */
  kill(service: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a killed service again on the same port and database (with `env` over its own, for this start only); resolves once healthy. */
  start(service: ServiceName, env?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
  logFile(service: ServiceName): string;
  databases: Record<ServiceName, string>;
  pid(service: ServiceName): number | null;
  /** SIGSTOP: the process stays, its sockets stay open, nothing answers. */
  pause(service: ServiceName): void;
  resume(service: ServiceName): void;
  startReplica(service: ServiceName): Promise<Replica>;
  /** Drops the platform's databases (after stop). */
  dropDatabases(): Promise<void>;
}

export interface ChaosPlatformOptions {
  infra: ChaosInfra;
  /** Distinguishes platforms of one run (databases, topic prefix, logs). */
  name: string;
  env?: Record<string, string>;
  perService?: Partial<Record<ServiceName, Record<string, string>>>;
  /** The service (its replicas too) that reaches the broker through infra.kafkaProxy, so that it alone can be cut off; default payment-service, null: none. */
  kafkaProxied?: ServiceName | null;
}

async function waitHealthy(url: string, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${url}: process exited (${child.exitCode ?? child.signalCode})`);
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${url} did not become healthy in ${timeoutMs} ms`);
}

/** AUTH_MODE=off where the services know it: chaos tests faults, not authentication. */
function authOff(): Record<string, string> {
  const sources = [`${root}shared/src/config/env.ts`, `${root}shared/src/http/auth/auth-env.ts`];
  return sources.some((file) => existsSync(file) && readFileSync(file, 'utf8').includes('AUTH_MODE')) ? { AUTH_MODE: 'off' } : {};
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  if (signal !== 'SIGKILL') child.kill('SIGCONT'); // a paused process cannot handle SIGTERM
  child.kill(signal);
  const forced = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await gone;
  clearTimeout(forced);
}

export async function startChaosPlatform(options: ChaosPlatformOptions): Promise<ChaosPlatform> {
  const { infra } = options;
  const tag = `${infra.runId}_${options.name}`.replace(/[^A-Za-z0-9_]/g, '_');
  const prefix = `chaos-${infra.runId}-${options.name}-`;
  const logDir = infra.dir;
  const processes = new Map<ServiceName, ChildProcess>();
  const ports = new Map<ServiceName, number>();
  const databases = {} as Record<ServiceName, string>;
  // Topics and ACLs of this platform, made by the admin: the services may not create topics.
  const kafkaAdmin = await createKafkajsClient(
    { clientId: 'chaos-platform', brokers: [infra.kafkaBrokers], topicPrefix: prefix, ...testSasl(infra.kafkaCredentials('admin')) },
    testLogger,
  ).admin();
  await kafkaAdmin.createTopics(topicLayout);
  await kafkaAdmin.disconnect();
  await grantEnvironmentAcls([infra.kafkaBrokers], prefix, infra.kafkaCredentials('admin'));
  const admin = await createConnection({ ...infra.db });
  try {
    for (const service of serviceNames) {
      ports.set(service, await freePort());
      databases[service] = `chaos_${tag}_${service.replace('-service', '')}`;
      await admin.query(`drop database if exists \`${databases[service]}\``);
      await admin.query(`create database \`${databases[service]}\` character set utf8mb4`);
    }
  } finally {
    await admin.end();
  }
  const url = Object.fromEntries(serviceNames.map((s) => [s, `http://127.0.0.1:${ports.get(s)}`])) as Record<ServiceName, string>;
  const logFile = (service: ServiceName) => `${logDir}/${options.name}-${service}.log`;
  let replicas = 0;
  const proxied = options.kafkaProxied === undefined ? 'payment-service' : options.kafkaProxied;

  function spawnService(service: ServiceName, port: number, log: string, instance: string, extraEnv: Record<string, string> = {}): ChildProcess {
    const child = spawn(process.execPath, [`${root}${service}/src/main.ts`], {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DB_HOST: infra.db.host,
        DB_PORT: String(infra.db.port),
        DB_SOCKET: '', // its own server, over TCP (never the shared one's socket)
        DB_USER: infra.db.user,
        DB_PASSWORD: infra.db.password,
        DB_NAME: databases[service],
        KAFKA_BROKERS: service === proxied ? infra.kafkaProxiedBrokers : infra.kafkaBrokers,
        REDIS_URL: infra.redisUrl,
        KAFKA_TOPIC_PREFIX: prefix,
        QUEUE_PREFIX: prefix.replace(/-$/, ''),
        INSTANCE_ID: instance,
        LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'warn',
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        ...infra.kafkaCredentials(service),
        ...authOff(),
        // Token issuing still works with auth off (the platform client signs customers in): this
        // platform's order service publishes the keys, and asks this payment service about customers.
        AUTH_JWKS_URL: `${url['order-service']}/.well-known/jwks.json`,
        PAYMENT_SERVICE_URL: url['payment-service'],
        PRODUCT_SERVICE_URL: url['product-service'],
        // The chaos checks judge what the sagas did by themselves: no reconciler pass repairs it first.
        SAGA_RECONCILE_EVERY_MS: '0',
        ...options.env,
        ...options.perService?.[service],
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stream = createWriteStream(log, { flags: 'a' });
    const extra = Object.entries(extraEnv)
      .map(([name, value]) => ` ${name}=${value}`)
      .join('');
    stream.write(`\n--- ${new Date().toISOString()} start ${service} (${instance}) pid ${child.pid}${extra ? ` with${extra}` : ''}\n`);
    child.stdout!.pipe(stream);
    child.stderr!.pipe(stream);
    return child;
  }

  async function start(service: ServiceName, env?: Record<string, string>): Promise<void> {
    const child = spawnService(service, ports.get(service)!, logFile(service), `${service}-1`, env);
    processes.set(service, child);
    await waitHealthy(url[service], child);
  }

  async function kill(service: ServiceName, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = processes.get(service);
    if (child) await stopChild(child, signal);
  }

  const alive = (child: ChildProcess | undefined) => !!child && child.exitCode === null && child.signalCode === null;

  try {
    // Product first: it seeds the catalog the order service checks orders against.
    for (const service of serviceNames) await start(service);
  } catch (error) {
    for (const service of serviceNames) await kill(service);
    throw error;
  }

  return {
    url,
    kafkaProxied: proxied,
    prefix,
    databases,
    kill,
    start,
    logFile,
    pid: (service) => (alive(processes.get(service)) ? processes.get(service)!.pid! : null),
    pause(service) {
      processes.get(service)?.kill('SIGSTOP');
    },
    resume(service) {
      processes.get(service)?.kill('SIGCONT');
    },
    async startReplica(service) {
      const port = await freePort();
      const n = ++replicas + 1;
      const child = spawnService(service, port, `${logDir}/${options.name}-${service}-replica${n}.log`, `${service}-${n}`);
      const replicaUrl = `http://127.0.0.1:${port}`;
      await waitHealthy(replicaUrl, child);
      return { url: replicaUrl, pid: child.pid!, stop: (signal: NodeJS.Signals = 'SIGTERM') => stopChild(child, signal) };
    },
    async stop() {
      await Promise.all(serviceNames.map((service) => kill(service, 'SIGTERM')));
    },
    async dropDatabases() {
      if (process.env.CHAOS_KEEP_FILES) return;
      const connection = await createConnection({ ...infra.db });
      try {
        for (const db of Object.values(databases)) await connection.query(`drop database if exists \`${db}\``);
      } finally {
        await connection.end();
      }
    },
  };
}
