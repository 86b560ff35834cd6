import type { OpenAPIHono } from '@hono/zod-openapi';
import { createPaymentHandlers } from './payments.handlers.ts';
import type { PaymentQueries } from './payment-queries.ts';
import * as routes from './payments.routes.ts';

export function addPaymentRoutes(app: OpenAPIHono, deps: { queries: PaymentQueries }): void {
  const handlers = createPaymentHandlers(deps);
  app.openapi(routes.getPayment, handlers.getPayment);
}
