import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createConnection } from 'mysql2/promise';
import { topicLayout } from '#shared/contracts/topics.ts';
import { createKafkajsClient } from '#shared/kafka/kafkajs-client.ts';
import { haproxyBinary, renderHaproxyConfig } from '../../scripts/lib/haproxy-config.ts';
import { serviceNames, type ServiceName } from './platform.ts';
import { startRoundRobinProxy } from './round-robin-proxy.ts';
import { grantEnvironmentAcls, kafkaCredentialsOf } from './kafka-access.ts';
import { freshDatabase, testEnv, testLogger, freePort, testKafkaSecurity } from './test-infra.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Replica {
  service: ServiceName;
  /** 1-based, like build-and-run.sh's INSTANCE_ID. */
  index: number;
  url: string;
}

export interface ReplicatedPlatform {
  /** Where clients go: the balancer's entry point per service. */
  url: Record<ServiceName, string>;
  /** 'haproxy' when the Debian package is installed, else a round-robin proxy inside the test process. */
  balancer: 'haproxy' | 'in-process';
  /** HAProxy's stats page (CSV at `${statsUrl};csv`), null for the in-process balancer. */
  statsUrl: string | null;
  replicas: Replica[];
  /** Topic, consumer group and BullMQ key prefix of this platform. */
  prefix: string;
  database: Record<ServiceName, string>;
  /** Kills one replica (default SIGKILL) and waits until it is gone. */
  kill(service: ServiceName, index: number, signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

export interface ReplicatedPlatformOptions {
  /** Processes per service (default 2). */
  replicas?: number;
  /** Extra environment for every replica. */
  env?: Record<string, string>;
  /** 'auto' (default): HAProxy if installed, else the in-process round-robin proxy. */
  balancer?: 'auto' | 'haproxy' | 'in-process';
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`${what}: process exited`);
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms`);
}

const healthy = (url: string) => fetch(`${url}/health`).then((response) => response.ok);

/**
 * Every service as `replicas` real processes (`node <service>/src/main.ts`) on one database per
 * service and one consumer group per service, with Kafka topics, groups and BullMQ keys of their own,
 * behind HAProxy (configured from the same template as build-and-run.sh) or, without HAProxy, a
 * round-robin proxy in the test process. Replica 1 of each service starts first and migrates; the
 * others start once it is healthy, as build-and-run.sh does.
 */
export async function startReplicatedPlatform(options: ReplicatedPlatformOptions = {}): Promise<ReplicatedPlatform> {
  const count = options.replicas ?? 2;
  const id = Date.now().toString(36);
  const prefix = `scale-${id}-`;
  const kafka = createKafkajsClient(
    { clientId: 'replicated-platform', brokers: testEnv.KAFKA_BROKERS, topicPrefix: prefix, ...testKafkaSecurity },
    testLogger,
  );
  const admin = await kafka.admin();
  await admin.createTopics(topicLayout);
  const revokeAcls = await grantEnvironmentAcls(testEnv.KAFKA_BROKERS, prefix);
  const logDir = `${root}.run/e2e/${prefix.slice(0, -1)}`;
  mkdirSync(logDir, { recursive: true });

  const database = {} as Record<ServiceName, string>;
  for (const service of serviceNames) {
    database[service] = `e2e_scale_${id}_${service.replace('-service', '')}`;
    await freshDatabase(database[service]);
  }

  const children = new Map<string, ChildProcess>();
  const replicas: Replica[] = [];
  const key = (service: ServiceName, index: number) => `${service}-${index}`;
  const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

  async function startReplica(service: ServiceName, index: number): Promise<void> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, [`${root}${service}/src/main.ts`], {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        INSTANCE_ID: String(index),
        DB_NAME: database[service],
        KAFKA_TOPIC_PREFIX: prefix,
        QUEUE_PREFIX: prefix.replace(/-$/, ''),
        LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        ...kafkaCredentialsOf(service),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(`${logDir}/${key(service, index)}.log`, { flags: 'a' });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    children.set(key(service, index), child);
    replicas.push({ service, index, url });
    await waitUntil(
      `${service} replica ${index} at ${url}`,
      () => healthy(url),
      60_000,
      () => alive(child),
    );
  }

  async function kill(service: ServiceName, index: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = children.get(key(service, index));
    if (!child || !alive(child)) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const forced = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(forced);
  }

  const stopBalancer: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stopBalancer) await stop().catch(() => {});
    await Promise.all(
      [...children.values()].filter(alive).map(
        (child) =>
          new Promise((resolve) => {
            child.once('exit', resolve);
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
  };

  const urlsOf = (service: ServiceName) =>
    replicas
      .filter((r) => r.service === service)
      .sort((a, b) => a.index - b.index)
      .map((r) => r.url);
  let url: Record<ServiceName, string>;
  let balancer: ReplicatedPlatform['balancer'];
  let statsUrl: string | null = null;
  try {
    await Promise.all(serviceNames.map((service) => startReplica(service, 1)));
    const rest = serviceNames.flatMap((service) => Array.from({ length: count - 1 }, (_, i) => [service, i + 2] as const));
    await Promise.all(rest.map(([service, index]) => startReplica(service, index)));

    const haproxy = options.balancer === 'in-process' ? null : haproxyBinary();
    if (options.balancer === 'haproxy' && !haproxy) throw new Error('haproxy is not installed (apt-get install haproxy)');
    if (haproxy) {
      const ports = { order: await freePort(), product: await freePort(), payment: await freePort(), stats: await freePort() };
      const hostPort = (service: ServiceName) => urlsOf(service).map((u) => u.replace('http://', ''));
      const configFile = `${logDir}/haproxy.cfg`;
      writeFileSync(
        configFile,
        renderHaproxyConfig({
          servers: { order: hostPort('order-service'), product: hostPort('product-service'), payment: hostPort('payment-service') },
          ports,
        }),
      );
      const child = spawn(haproxy, ['-f', configFile, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const log = createWriteStream(`${logDir}/haproxy.log`, { flags: 'a' });
      child.stdout!.pipe(log);
      child.stderr!.pipe(log);
      stopBalancer.push(async () => {
        if (!alive(child)) return;
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await gone;
      });
      statsUrl = `http://127.0.0.1:${ports.stats}/stats`;
      const stats = statsUrl;
      await waitUntil(
        'haproxy with every replica up',
        async () => (await haproxyServers(stats)).filter((s) => s.status === 'UP').length === replicas.length,
        30_000,
        () => alive(child),
      );
      balancer = 'haproxy';
      url = {
        'order-service': `http://127.0.0.1:${ports.order}`,
        'product-service': `http://127.0.0.1:${ports.product}`,
        'payment-service': `http://127.0.0.1:${ports.payment}`,
      };
    } else {
      const proxies = await Promise.all(serviceNames.map((service) => startRoundRobinProxy(urlsOf(service))));
      for (const proxy of proxies) stopBalancer.push(() => proxy.close());
      balancer = 'in-process';
      url = Object.fromEntries(serviceNames.map((service, i) => [service, proxies[i].url])) as Record<ServiceName, string>;
    }
  } catch (error) {
    await cleanUp();
    throw error;
  }

  /** Stops every process and removes the platform's topics and databases. */
  async function cleanUp(): Promise<void> {
    await stopAll();
    await admin.deleteTopics(topicLayout.map((t) => t.name)).catch(() => {});
    await admin.disconnect();
    await revokeAcls();
    const connection = await createConnection({ host: testEnv.DB_HOST, port: testEnv.DB_PORT, user: testEnv.DB_USER, password: testEnv.DB_PASSWORD });
    for (const name of Object.values(database)) await connection.query(`drop database if exists \`${name}\``);
    await connection.end();
  }

  return { url, balancer, statsUrl, replicas, prefix, database, kill, stop: cleanUp };
}

export interface HaproxyServerStats {
  backend: string;
  server: string;
  status: string;
  /** Requests sent to this server so far. */
  total: number;
  /** Requests HAProxy retried or redispatched away from this server. */
  retries: number;
  redispatches: number;
}

/** The per-server rows of HAProxy's CSV stats. */
export async function haproxyServers(statsUrl: string): Promise<HaproxyServerStats[]> {
  const text = await (await fetch(`${statsUrl};csv`)).text();
  const [header, ...lines] = text.trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const at = (row: string[], name: string) => row[columns.indexOf(name)];
  return lines
    .map((line) => line.split(','))
    .filter((row) => !['FRONTEND', 'BACKEND'].includes(at(row, 'svname')))
    .map((row) => ({
      backend: at(row, 'pxname'),
      server: at(row, 'svname'),
      status: at(row, 'status'),
      total: Number(at(row, 'stot')),
      retries: Number(at(row, 'wretr')),
      redispatches: Number(at(row, 'wredis')),
    }));
}
