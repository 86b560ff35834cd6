import type { OpenAPIHono } from '@hono/zod-openapi';
import { productHandlers, type ProductApiDeps } from './products.handlers.ts';
import * as routes from './products.routes.ts';

/** The products resource: catalog reads, stock views and catalog administration. */
export function addProductRoutes(app: OpenAPIHono, deps: ProductApiDeps): void {
  const handlers = productHandlers(deps);
  app
    .openapi(routes.listProducts, handlers.listProducts)
    .openapi(routes.getProduct, handlers.getProduct)
    .openapi(routes.listReservations, handlers.listReservations)
    .openapi(routes.createProduct, handlers.createProduct)
    .openapi(routes.changePrice, handlers.changePrice)
    .openapi(routes.addStock, handlers.addStock);
}
