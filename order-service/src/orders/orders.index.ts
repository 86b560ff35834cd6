import type { OpenAPIHono } from '@hono/zod-openapi';
import { createOrderHandlers, type OrderHandlerDeps } from './orders.handlers.ts';
import * as routes from './orders.routes.ts';

export function addOrderRoutes(app: OpenAPIHono, deps: OrderHandlerDeps): void {
  const handlers = createOrderHandlers(deps);
  app.openapi(routes.createOrder, handlers.createOrder);
  app.openapi(routes.getOrder, handlers.getOrder);
  app.openapi(routes.awaitOrderOutcome, handlers.awaitOrderOutcome);
  app.openapi(routes.listOrders, handlers.listOrders);
}
