import type { OpenAPIHono } from '@hono/zod-openapi';
import { createCreditHandlers, type CreditHandlerDeps } from './credits.handlers.ts';
import * as routes from './credits.routes.ts';

export function addCreditRoutes(app: OpenAPIHono, deps: CreditHandlerDeps): void {
  const handlers = createCreditHandlers(deps);
  // Before `{customerId}`: the literal path must win over the parameter.
  app.openapi(routes.ledgerAudit, handlers.ledgerAudit);
  app.openapi(routes.getCredit, handlers.getCredit);
  app.openapi(routes.getCreditHistory, handlers.getCreditHistory);
  app.openapi(routes.topUpCredit, handlers.topUpCredit);
}
