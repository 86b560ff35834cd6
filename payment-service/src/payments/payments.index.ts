import type { OpenAPIHono } from '@hono/zod-openapi';
import { createPaymentHandlers, type PaymentApiDeps } from './payments.handlers.ts';
import * as routes from './payments.routes.ts';

export function addPaymentRoutes(app: OpenAPIHono, deps: PaymentApiDeps): void {
  const handlers = createPaymentHandlers(deps);
  app.openapi(routes.getPayment, handlers.getPayment);
  app.openapi(routes.listOrderPayments, handlers.listOrderPayments);
}
