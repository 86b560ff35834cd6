import type { OpenAPIHono } from '@hono/zod-openapi';
import type { EntitySchema, MigrationObject } from '@mikro-orm/core';
import type { Registry } from 'prom-client';
import { baseEnvSchema, parseEnv, type BaseEnv } from '../config/env.ts';
import { messagingMigration } from '../db/messaging-migration.ts';
import { migrate, openOrm, type Orm } from '../db/orm.ts';
import { withRequestContext } from '../db/lazy-request-context.ts';
import type { AccessRule } from '../http/auth/access-rules.ts';
import { authEnvSchema } from '../http/auth/auth-env.ts';
import { bearerAuth } from '../http/auth/bearer-auth.ts';
import { jwksTokenVerifier } from '../http/auth/jwks-verifier.ts';
import { documentBearerAuth } from '../http/auth/openapi-security.ts';
import type { TokenVerifier } from '../http/auth/token-verifier.ts';
import { createApp } from '../http/create-app.ts';
import { addPlatformRoutes } from '../http/platform-routes.ts';
import { startServer, type RunningServer } from '../http/serve.ts';
import { InboxMessage } from '../inbox/inbox-message.entity.ts';
import { createMessageConsumer, type MessageConsumer, type Route } from '../inbox/message-consumer.ts';
import type { PeriodicJob } from '../jobs/periodic-jobs.ts';
import { createConsumerLagMonitor, type ConsumerLagMonitor } from '../observability/consumer-lag.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { createMetricsRegistry } from '../observability/metrics.ts';
import { createTracing, type Tracing } from '../observability/tracing.ts';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { OutboxMessage } from '../outbox/outbox-message.entity.ts';
import { systemClock, type Clock } from './clock.ts';
import { randomIds, type Ids } from './ids.ts';
import { openMessagingKernel, type MessagingKernel } from './messaging-kernel.ts';

/** What a service's own code gets to build its use cases, routes and handlers from. */
export interface ServiceDeps {
  env: BaseEnv;
  /** The environment as given (process env + overrides), for a service's own settings. */
  rawEnv: Record<string, string | undefined>;
  orm: Orm;
  logger: Logger;
  metrics: Registry;
  ids: Ids;
  clock: Clock;
  messaging: MessagingKernel;
  /** Spans of this service (a no-op unless the OTEL_* environment turns tracing on). */
  tracing: Tracing;
}

export interface ServiceParts {
  /** Adds the service's API routes to the shared app. */
  api(app: OpenAPIHono): void;
  /** Kafka routes (topic → handler) of this service's consumer group. */
  consumers: Route[];
  jobs?: PeriodicJob[];
  /** Runs once after migrations, before the service takes traffic (idempotent seeding, catalog publication…). */
  onStart?(): Promise<void>;
  /** Runs first on shutdown (e.g. stop a timer worker). */
  onStop?(): Promise<void>;
  /** Verifies bearer tokens; default: with the order service's published keys (AUTH_JWKS_URL / AUTH_JWKS_FILE). */
  tokenVerifier?: TokenVerifier;
}

export interface ServiceDefinition {
  name: string;
  title: string;
  description: string;
  defaultPort: number;
  defaultDbName: string;
  entities: EntitySchema<any, any>[];
  /** The service's own migrations; the messaging tables migration is prepended. */
  migrations: MigrationObject[];
  build(deps: ServiceDeps): ServiceParts | Promise<ServiceParts>;
  /** Who may call which /api route (first match wins); an /api route without a rule is admin-only. */
  access?: AccessRule[];
}

export interface ServiceOverrides {
  port?: number;
  dbName?: string;
  env?: Record<string, string | undefined>;
  ids?: Ids;
  clock?: Clock;
  /** Trace into this exporter whatever the environment says (tests: an in-memory exporter). */
  spanExporter?: SpanExporter;
}

export interface RunningService {
  name: string;
  port: number;
  url: string;
  deps: ServiceDeps;
  app: OpenAPIHono;
  stop(): Promise<void>;
}

/**
 * Starts one service process's worth of machinery in a fixed order: environment, database
 * (migrated), messaging kernel, HTTP server, consumers, periodic jobs. `main.ts` of each service
 * and the tests call the same function, so what is tested is what runs.
 */
export async function startService(definition: ServiceDefinition, overrides: ServiceOverrides = {}): Promise<RunningService> {
  const rawEnv = { ...process.env, ...overrides.env };
  const env = parseEnv(baseEnvSchema, rawEnv);
  const auth = parseEnv(authEnvSchema, rawEnv);
  const port = overrides.port ?? Number(rawEnv.PORT ?? definition.defaultPort);
  const dbName = overrides.dbName ?? rawEnv.DB_NAME ?? definition.defaultDbName;
  const logger = createLogger(definition.name, env.LOG_LEVEL, env.LOG_FORMAT === 'pretty' ? 'pretty' : 'json', { buffered: true });
  const metrics = createMetricsRegistry(definition.name);
  const ids = overrides.ids ?? randomIds;
  const clock = overrides.clock ?? systemClock;
  const tracing = await createTracing({
    service: definition.name,
    instanceId: env.INSTANCE_ID,
    env: rawEnv,
    exporter: overrides.spanExporter,
    logger,
  });

  // The connection budget (DB_POOL_MAX) is shared: two thirds for the hot path (message batches,
  // order placement), the rest for the ORM (the other HTTP routes); the relay has one of its own.
  const poolSize = Math.max(2, Math.ceil((env.DB_POOL_MAX * 2) / 3));
  const orm = await openOrm({
    env: { ...env, DB_POOL_MAX: Math.max(2, env.DB_POOL_MAX - poolSize) },
    dbName,
    entities: [OutboxMessage, InboxMessage, ...definition.entities],
    migrations: [messagingMigration, ...definition.migrations],
  });
  await migrate(orm);
  const messaging = await openMessagingKernel({ service: definition.name, env, dbName, poolSize, orm, logger, metrics, ids, clock, tracing });
  const deps: ServiceDeps = { env, rawEnv, orm, logger, metrics, ids, clock, messaging, tracing };
  const parts = await definition.build(deps);
  if (parts.jobs) messaging.jobs.add(...parts.jobs);

  const app = createApp({ logger, metrics, tracing });
  const access = definition.access ?? [];
  const verifier = parts.tokenVerifier ?? jwksTokenVerifier(auth, { clock, logger });
  app.use('/api/*', bearerAuth({ mode: auth.AUTH_MODE, verifier, rules: access, logger }));
  if (auth.AUTH_MODE === 'off') logger.warn('AUTH_MODE=off: every /api route is open to anyone');
  app.use('/api/*', (c, next) => withRequestContext(orm.em, next));
  parts.api(app);
  addPlatformRoutes(app, {
    title: definition.title,
    description: definition.description,
    version: '1.0.0',
    metrics,
    healthChecks: messaging.healthChecks,
    logger,
    decorateDocument: documentBearerAuth(access, auth.AUTH_MODE),
  });

  await parts.onStart?.();
  let consumer: MessageConsumer | null = null;
  let consumerLag: ConsumerLagMonitor | null = null;
  if (parts.consumers.length > 0) {
    consumer = createMessageConsumer({
      pool: messaging.pool,
      clock,
      kafka: messaging.kafka,
      producer: messaging.producer,
      groupId: env.KAFKA_GROUP_ID ?? definition.name,
      fromBeginning: env.KAFKA_NEW_GROUP_FROM === 'earliest',
      routes: parts.consumers,
      logger,
      metrics,
      tracing,
    });
    consumerLag = createConsumerLagMonitor({
      kafka: messaging.kafka,
      groupId: env.KAFKA_GROUP_ID ?? definition.name,
      topics: parts.consumers.map((entry) => entry.topic),
      metrics,
      logger,
    });
  }
  const [server] = await Promise.all([startServer(app.fetch, env.HOST, port), consumer?.start()]);
  messaging.jobs.start();
  consumerLag?.start();
  messaging.relay.nudge();
  const url = `http://${env.HOST}:${server.port}`;
  logger.info({ url, dbName }, `${definition.name} started`);

  let stopped: Promise<void> | null = null;
  return {
    name: definition.name,
    port: server.port,
    url,
    deps,
    app,
    stop() {
      stopped ??= (async () => {
        // In-flight requests finish (bounded) while consumers and pools still serve them.
        await server.close(env.SHUTDOWN_DRAIN_MS);
        await consumer?.stop();
        await consumerLag?.stop();
        await parts.onStop?.();
        await messaging.close();
        await orm.close(true);
        await tracing.shutdown();
      })();
      return stopped;
    },
  };
}

/** For `main.ts`: start the service and stop it cleanly on SIGTERM / SIGINT. */
export async function runServiceMain(definition: ServiceDefinition): Promise<void> {
  const { stopOnSignals } = await import('./lifecycle.ts');
  const running = await startService(definition);
  // The deadline leaves the drain its time, then as long again as the other steps had before.
  stopOnSignals(running.deps.logger, [{ name: definition.name, run: () => running.stop() }], running.deps.env.SHUTDOWN_DRAIN_MS + 8_000);
}

export type { RunningServer };
