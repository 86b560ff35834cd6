import type { OpenAPIHono } from '@hono/zod-openapi';
import { Registry } from 'prom-client';
import { documentBearerAuth } from '#shared/http/auth/openapi-security.ts';
import { createApp } from '#shared/http/create-app.ts';
import { addPlatformRoutes } from '#shared/http/platform-routes.ts';
import { createLogger } from '#shared/observability/logger.ts';
import type { ServiceDefinition } from '#shared/runtime/service-host.ts';
import { addAuthRoutes } from '../../order-service/src/identity/auth.index.ts';
import { addCatalogRoutes } from '../../order-service/src/catalog/catalog.index.ts';
import { addDeadLetterRoutes } from '../../order-service/src/console/dead-letters/dead-letters.index.ts';
import { addOperatorRoutes } from '../../order-service/src/console/operator/operator.index.ts';
import { orderService } from '../../order-service/src/order-service.ts';
import { addOrderRoutes } from '../../order-service/src/orders/orders.index.ts';
import { addSagaPages } from '../../order-service/src/console/sagas-ui/sagas-ui.index.ts';
import { addCreditRoutes } from '../../payment-service/src/credits/credits.index.ts';
import { addCustomerRoutes } from '../../payment-service/src/customers/customers.index.ts';
import { paymentService } from '../../payment-service/src/payment-service.ts';
import { addPaymentRoutes } from '../../payment-service/src/payments/payments.index.ts';
import { addProductRoutes } from '../../product-service/src/catalog/products.index.ts';
import { productService } from '../../product-service/src/product-service.ts';
import { addReservationRoutes } from '../../product-service/src/reservations/reservations.index.ts';

export const documentedServices = ['order-service', 'product-service', 'payment-service'] as const;
export type DocumentedService = (typeof documentedServices)[number];

/**
 * What the routes are registered with: an object that is anything asked of it (every property, call or
 * result is the same hollow value) and does nothing. No handler runs while a document is generated — the
 * route definitions are all a document is made of — but route adders may read their dependencies'
 * settings up front (addAuthRoutes passes on `settings.AUTH_TRUSTED_PROXIES`).
 */
const hollow: any = new Proxy(function hollow() {}, {
  get: (_, key) => {
    if (key === 'then') return undefined; // not a promise: awaiting it gives itself
    if (key === Symbol.toPrimitive) return () => '';
    if (key === Symbol.iterator) return function* () {};
    return hollow;
  },
  apply: () => hollow,
  construct: () => hollow,
});
const noDeps = hollow as never;

/**
 * Each service's routes as its definition's `api(app)` adds them (order-service.ts, product-service.ts,
 * payment-service.ts), without what `build()` opens first (database, Kafka, Redis). The integration test
 * openapi-documents.int.test.ts checks that a started service serves exactly this document.
 */
const services: Record<DocumentedService, { definition: ServiceDefinition; addRoutes(app: OpenAPIHono): void }> = {
  'order-service': {
    definition: orderService,
    addRoutes(app) {
      addAuthRoutes(app, noDeps);
      addOrderRoutes(app, noDeps);
      addCatalogRoutes(app, noDeps);
      addOperatorRoutes(app, noDeps);
      addDeadLetterRoutes(app, noDeps);
      addSagaPages(app, noDeps);
    },
  },
  'product-service': {
    definition: productService,
    addRoutes(app) {
      addProductRoutes(app, noDeps);
      addReservationRoutes(app, noDeps);
    },
  },
  'payment-service': {
    definition: paymentService,
    addRoutes(app) {
      addCreditRoutes(app, noDeps);
      addPaymentRoutes(app, noDeps);
      addCustomerRoutes(app, noDeps);
    },
  },
};

export type OpenApiDocument = Record<string, any>;

/**
 * A service's /openapi.json as it serves it (authentication on), built in this process: the same app
 * factory, routes and platform routes as startService, asked for /openapi.json — no infrastructure needed.
 */
export async function openApiDocumentOf(service: DocumentedService): Promise<OpenApiDocument> {
  const { definition } = services[service];
  const metrics = new Registry();
  const logger = createLogger(service, 'silent');
  let failure: unknown;
  logger.error = ((fields: { err?: unknown }) => void (failure = fields.err)) as typeof logger.error;
  const app = createApp({ logger, metrics });
  services[service].addRoutes(app);
  addPlatformRoutes(app, {
    title: definition.title,
    description: definition.description,
    version: '1.0.0',
    metrics,
    healthChecks: [],
    decorateDocument: documentBearerAuth(definition.access ?? [], 'on'),
  });
  const response = await app.request('/openapi.json');
  if (response.status !== 200) throw new Error(`${service}: /openapi.json answered ${response.status}: ${String(failure)}`, { cause: failure });
  return (await response.json()) as OpenApiDocument;
}

export async function openApiDocuments(): Promise<Record<DocumentedService, OpenApiDocument>> {
  const documents = await Promise.all(documentedServices.map(async (service) => [service, await openApiDocumentOf(service)] as const));
  return Object.fromEntries(documents) as Record<DocumentedService, OpenApiDocument>;
}
