import type { OpenAPIHono } from '@hono/zod-openapi';
import type { CreditQueries } from '../credits/credit-queries.ts';
import { createCustomerHandlers } from './customers.handlers.ts';
import * as routes from './customers.routes.ts';

export function addCustomerRoutes(app: OpenAPIHono, deps: { queries: Pick<CreditQueries, 'customerExists'> }): void {
  const handlers = createCustomerHandlers(deps);
  app.openapi(routes.getCustomer, handlers.getCustomer);
}
