import { createRoute, z } from '@hono/zod-openapi';
import { problemResponses } from '#shared/http/problem.ts';

const catalogProductSchema = z
  .object({ productId: z.string(), name: z.string(), price: z.number().int(), active: z.boolean(), revision: z.number().int() })
  .openapi('CatalogProduct');

export const listCatalog = createRoute({
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
