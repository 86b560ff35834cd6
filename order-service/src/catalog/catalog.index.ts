import type { OpenAPIHono } from '@hono/zod-openapi';
import { createCatalogHandlers, type CatalogHandlerDeps } from './catalog.handlers.ts';
import * as routes from './catalog.routes.ts';

export function addCatalogRoutes(app: OpenAPIHono, deps: CatalogHandlerDeps): void {
  const handlers = createCatalogHandlers(deps);
  app.openapi(routes.listCatalog, handlers.listCatalog);
}
