import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Orm } from '#shared/db/orm.ts';
import { problemResponses } from '#shared/http/problem.ts';
import { CatalogProduct } from './catalog-product.entity.ts';

const catalogProductSchema = z
  .object({ productId: z.string(), name: z.string(), price: z.number().int(), active: z.boolean(), revision: z.number().int() })
  .openapi('CatalogProduct');

const listCatalog = createRoute({
  method: 'get',
  operationId: 'listCatalogProducts',
  path: '/api/v1/catalog/products',
  tags: ['Catalog'],
  summary: "The order service's copy of the catalog that orders are checked against",
  responses: {
    200: { description: 'Every known product', content: { 'application/json': { schema: z.object({ items: z.array(catalogProductSchema) }) } } },
    ...problemResponses(503),
  },
});

export function addCatalogRoutes(app: OpenAPIHono, deps: { orm: Orm }): void {
  app.openapi(listCatalog, async (c) => {
    const products = await deps.orm.em.fork().find(CatalogProduct, {}, { orderBy: { name: 'asc' } });
    return c.json(
      {
        items: products.map((p) => ({ productId: p.id, name: p.name, price: p.price, active: p.active, revision: p.revision })),
      },
      200,
    );
  });
}
