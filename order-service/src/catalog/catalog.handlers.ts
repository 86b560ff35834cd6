import type { RouteHandler } from '@hono/zod-openapi';
import type { Orm } from '#shared/db/orm.ts';
import { listCatalogProducts } from './catalog-copy.ts';
import type * as routes from './catalog.routes.ts';

export interface CatalogHandlerDeps {
  orm: Orm;
}

export function createCatalogHandlers(deps: CatalogHandlerDeps) {
  const listCatalog: RouteHandler<typeof routes.listCatalog> = async (c) => {
    const products = await listCatalogProducts(deps.orm.em, 'name');
    return c.json({ items: products.map((p) => ({ productId: p.id, name: p.name, price: p.price, active: p.active, revision: p.revision })) }, 200);
  };

  return { listCatalog };
}
