import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { topicLayout } from '#shared/contracts/topics.ts';
import { createKafkajsClient } from '#shared/kafka/kafkajs-client.ts';
import { grantEnvironmentAcls, kafkaCredentialsOf } from './kafka-access.ts';
import { freshDatabase, testEnv, testKafkaSecurity, testLogger, freePort } from './test-infra.ts';

export const serviceNames = ['product-service', 'payment-service', 'order-service'] as const;
export type ServiceName = (typeof serviceNames)[number];

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Platform {
  /** Base URL per service. */
  url: Record<ServiceName, string>;
  /** Topic and queue prefix of this platform (its own Kafka topics and BullMQ keys). */
  prefix: string;
  /** Kills a service process (default SIGKILL: no goodbye) and waits until it is gone. */
  kill(service: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a killed service again on the same port and database; resolves once healthy. */
  start(service: ServiceName): Promise<void>;
  stop(): Promise<void>;
  logFile(service: ServiceName): string;
}

export interface PlatformOptions {
  /** Extra environment for every service (e.g. SAGA_PAYMENT_TIMEOUT_MS). */
  env?: Record<string, string>;
  perService?: Partial<Record<ServiceName, Record<string, string>>>;
}

async function waitHealthy(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not become healthy in ${timeoutMs} ms`);
}

/**
 * The three services as real processes (`node <service>/src/main.ts`), each on a free port with a
 * fresh database, and — so that runs never see each other's messages — Kafka topics and BullMQ
 * keys of their own. What e2e, load and chaos tests drive.
 */
export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const prefix = `e2e-${Date.now().toString(36)}-`;
  const kafka = createKafkajsClient({ clientId: 'platform', brokers: testEnv.KAFKA_BROKERS, topicPrefix: prefix, ...testKafkaSecurity }, testLogger);
  const admin = await kafka.admin();
  await admin.createTopics(topicLayout);
  // Each service may write only its own topics of this platform, as on the developer's broker.
  const revokeAcls = await grantEnvironmentAcls(testEnv.KAFKA_BROKERS, prefix);
  const logDir = `${root}.run/e2e`;
  mkdirSync(logDir, { recursive: true });

  const processes = new Map<ServiceName, ChildProcess>();
  const ports = new Map<ServiceName, number>();
  const databases = new Map<ServiceName, string>();
  for (const service of serviceNames) {
    ports.set(service, await freePort());
    const db = `e2e_${service.replace('-service', '')}_db`;
    databases.set(service, db);
    await freshDatabase(db);
  }
  const url = Object.fromEntries(serviceNames.map((s) => [s, `http://127.0.0.1:${ports.get(s)}`])) as Record<ServiceName, string>;
  const logFile = (service: ServiceName) => `${logDir}/${service}.log`;

  async function start(service: ServiceName): Promise<void> {
    const child = spawn(process.execPath, [`${root}${service}/src/main.ts`], {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(ports.get(service)),
        HOST: '127.0.0.1',
        DB_NAME: databases.get(service),
        KAFKA_TOPIC_PREFIX: prefix,
        QUEUE_PREFIX: prefix.replace(/-$/, ''),
        LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        // Auth on, as by default: product and payment verify with this order service's keys, and it
        // asks this payment service whether a customer exists before issuing a customer token; its
        // reconciler reads this platform's product and payment services.
        AUTH_JWKS_URL: `${url['order-service']}/.well-known/jwks.json`,
        PAYMENT_SERVICE_URL: url['payment-service'],
        PRODUCT_SERVICE_URL: url['product-service'],
        // Its own Kafka principal (none on a broker without authentication).
        ...kafkaCredentialsOf(service),
        ...options.env,
        ...options.perService?.[service],
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(logFile(service), { flags: 'a' });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    processes.set(service, child);
    await waitHealthy(url[service], child);
  }

  async function kill(service: ServiceName, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = processes.get(service);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const forced = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(forced);
  }

  try {
    for (const service of serviceNames) await start(service);
  } catch (error) {
    for (const service of serviceNames) await kill(service);
    throw error;
  }

  return {
    url,
    prefix,
    kill,
    start,
    logFile,
    async stop() {
      await Promise.all(serviceNames.map((service) => kill(service, 'SIGTERM')));
      await admin.deleteTopics(topicLayout.map((t) => t.name)).catch(() => {});
      await admin.disconnect();
      await revokeAcls();
    },
  };
}
