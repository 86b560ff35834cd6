import { createMessageConsumer } from '#shared/inbox/message-consumer.ts';
import { createScheduledJobs } from '#shared/jobs/scheduled-jobs.ts';
import type { ServiceDefinition } from '#shared/runtime/service-host.ts';
import { addAuthRoutes } from './identity/auth.index.ts';
import { createOrderAuth } from './identity/identity.ts';
import { orderServiceAccess } from './identity/order-access.ts';
import { sagaPagesGuard } from './console/sagas-ui/sagas-pages-guard.ts';
import { CatalogProduct } from './catalog/catalog-product.entity.ts';
import { addCatalogRoutes } from './catalog/catalog.index.ts';
import { createCatalogPrices } from './catalog/catalog-prices.ts';
import { catalogRoute } from './catalog/catalog-updates.consumer.ts';
import { orderMigrations } from './db/order-migrations.ts';
import { createDeadLetterCollector } from './console/dead-letters/dead-letters.consumer.ts';
import { DeadLetter } from './console/dead-letters/dead-letter.entity.ts';
import { addDeadLetterRoutes } from './console/dead-letters/dead-letters.index.ts';
import { createRedriveDeadLetter } from './console/dead-letters/redrive-dead-letter.ts';
import { createFireTimeout } from './console/operator/fire-timeout.ts';
import { addOperatorRoutes } from './console/operator/operator.index.ts';
import { createRequestCompensation } from './console/operator/request-compensation.ts';
import { createOrderRecordsClient } from './console/reconciler/order-records-client.ts';
import { reconcilerEnvFrom } from './console/reconciler/reconciler-env.ts';
import { createSagaReconciler } from './console/reconciler/saga-reconciler.ts';
import { CustomerOrder } from './saga/order.entity.ts';
import { addOrderRoutes } from './orders/orders.index.ts';
import { createPlaceOrder } from './orders/place-order.ts';
import { createTerminalWaiters } from './orders/terminal-waiters.ts';
import { SagaEvent } from './saga/saga-event.entity.ts';
import { createOrdersGauge } from './saga/orders-gauge.ts';
import { createSagaRunner } from './saga/saga-runner.ts';
import { reconcileSettingsFromEnv, sagaSettingsFromEnv } from './saga/saga-settings-from-env.ts';
import { createSagaStepMetrics } from './saga/saga-step-metrics.ts';
import { createSagaSteps } from './saga/saga-step.ts';
import { createDeadlineQueue, createDeadlineWorker } from './saga/saga-timer-jobs.ts';
import { addSagaPages } from './console/sagas-ui/sagas-ui.index.ts';

/** The order service: orders as persisted sagas, their timers, and the catalog copy they are checked against. */
export const orderService: ServiceDefinition = {
  name: 'order-service',
  title: 'Order service',
  description: 'Places orders and runs each one as a persisted XState saga over Kafka.',
  defaultPort: 8181,
  defaultDbName: 'order_db',
  entities: [CustomerOrder, SagaEvent, CatalogProduct, DeadLetter],
  migrations: orderMigrations,
  access: orderServiceAccess,
  build(deps) {
    const { orm, logger, metrics, messaging, env } = deps;
    // The platform's token issuer: signing keys, tokens, the JWKS (see auth/).
    const auth = createOrderAuth(deps);
    // The saga: one step handler for every input, deadlines as BullMQ jobs, fired through the runner.
    const steps = createSagaSteps({ outbox: messaging.outbox, clock: deps.clock, tracing: deps.tracing });
    const deadlines = createDeadlineQueue({ redisUrl: env.REDIS_URL, queuePrefix: env.QUEUE_PREFIX, logger });
    const waiters = createTerminalWaiters();
    const saga = createSagaRunner({
      onTerminal: (orderIds) => waiters.notify(orderIds),
      pool: messaging.pool,
      steps,
      deadlines,
      metrics: createSagaStepMetrics(metrics),
      registry: metrics,
      clock: deps.clock,
      logger,
      tracing: deps.tracing,
    });
    const deadlineWorker = createDeadlineWorker({ redisUrl: env.REDIS_URL, queuePrefix: env.QUEUE_PREFIX, logger, fireDue: () => saga.fireDue() });
    const placeOrder = createPlaceOrder({
      pool: messaging.pool,
      ids: deps.ids,
      clock: deps.clock,
      runner: saga,
      sagaSettings: sagaSettingsFromEnv(deps.rawEnv),
      catalog: createCatalogPrices({ orm }),
    });
    // The catalog copy is read by its own consumer group from the start of the compacted topic.
    const catalogConsumer = createMessageConsumer({
      pool: messaging.pool,
      clock: deps.clock,
      kafka: messaging.kafka,
      producer: messaging.producer,
      groupId: `${env.KAFKA_GROUP_ID ?? 'order-service'}-catalog`,
      routes: [catalogRoute()],
      logger,
      metrics,
      fromBeginning: true,
      tracing: deps.tracing,
    });
    const ordersGauge = createOrdersGauge({ orm, metrics, logger });
    // Operators: saga pages and API, and the dead letters of every service, read from the .dlq topics.
    const fireTimeout = createFireTimeout({ runner: saga });
    const requestCompensation = createRequestCompensation({ orm, runner: saga });
    const redriveDeadLetter = createRedriveDeadLetter({ orm, producer: messaging.producer, clock: deps.clock });
    // The reconciler: finished orders against the product and payment services' records, asked with
    // this service's own service token; on one replica per tick (a BullMQ job scheduler).
    const reconcileSettings = reconcileSettingsFromEnv(deps.rawEnv);
    const reconciler = createSagaReconciler({
      orm,
      runner: saga,
      records: createOrderRecordsClient({
        productUrl: reconcilerEnvFrom(deps.rawEnv).PRODUCT_SERVICE_URL,
        paymentUrl: auth.settings.PAYMENT_SERVICE_URL,
        serviceToken: auth.serviceTokens,
      }),
      clock: deps.clock,
      ids: deps.ids,
      registry: metrics,
      logger,
      settings: reconcileSettings,
    });
    const reconcileJobs = createScheduledJobs({
      redisUrl: env.REDIS_URL,
      queuePrefix: env.QUEUE_PREFIX,
      queueName: 'order-saga-reconcile',
      jobs: reconcileSettings.everyMs > 0 ? [{ id: 'saga-reconcile', everyMs: reconcileSettings.everyMs, run: () => reconciler.run('repair') }] : [],
      logger,
    });
    const deadLetterCollector = createDeadLetterCollector({
      orm,
      kafka: messaging.kafka,
      groupId: `${env.KAFKA_GROUP_ID ?? 'order-service'}-dead-letters`,
      logger,
      clock: deps.clock,
    });

    return {
      tokenVerifier: auth.verifier,
      api(app) {
        addAuthRoutes(app, auth);
        app.use('*', sagaPagesGuard({ mode: auth.settings.AUTH_MODE, verifier: auth.verifier, sessions: auth.sagaPages }));
        addOrderRoutes(app, { orm, placeOrder, waiters });
        addCatalogRoutes(app, { orm });
        addOperatorRoutes(app, { orm, clock: deps.clock, ids: deps.ids, fireTimeout, requestCompensation, reconciler });
        addDeadLetterRoutes(app, { orm, redriveDeadLetter });
        addSagaPages(app, { orm, clock: deps.clock, reconciler, traceUrl: deps.rawEnv.TRACE_UI_URL, authMode: auth.settings.AUTH_MODE });
      },
      consumers: saga.replyRoutes(),
      // The safety net for deadline jobs Redis lost: a deadline half a second overdue fires from here.
      jobs: [{ id: 'saga-timer-sweep', everyMs: 1_000, run: () => saga.fireDue(500) }],
      async onStart() {
        await auth.seedDemoCredentials();
        await Promise.all([catalogConsumer.start(), deadLetterCollector.start()]);
        deadlineWorker.start();
        ordersGauge.start();
        if (reconcileSettings.everyMs > 0) await reconcileJobs.start();
      },
      async onStop() {
        await reconcileJobs.stop();
        await ordersGauge.stop();
        await deadLetterCollector.stop();
        await catalogConsumer.stop();
        await deadlineWorker.stop();
        await deadlines.close();
        auth.close();
      },
    };
  },
};
