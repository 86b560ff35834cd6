import type { OpenAPIHono } from '@hono/zod-openapi';
import { createOperatorHandlers, type OperatorDeps } from './operator.handlers.ts';
import * as routes from './operator.routes.ts';

export function addOperatorRoutes(app: OpenAPIHono, deps: OperatorDeps): void {
  const handlers = createOperatorHandlers(deps);
  app.openapi(routes.getSaga, handlers.getSaga);
  app.openapi(routes.fireTimeout, handlers.fireTimeout);
  app.openapi(routes.requestCompensation, handlers.requestCompensation);
  app.openapi(routes.listStuck, handlers.listStuck);
  app.openapi(routes.sagaOverview, handlers.sagaOverview);
  app.openapi(routes.getDrift, handlers.getDrift);
  app.openapi(routes.reconcile, handlers.reconcile);
}
