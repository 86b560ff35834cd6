import type { RouteConfig } from '@hono/zod-openapi';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createApp } from '#shared/http/create-app.ts';
import { maxPagedRows } from '#shared/http/paging.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { listDeadLetters } from '../../order-service/src/console/dead-letters/dead-letters.routes.ts';
import { listOrders } from '../../order-service/src/orders/orders.routes.ts';
import { getCreditHistory } from '../../payment-service/src/credits/credits.routes.ts';
import { listProducts, listReservations } from '../../product-service/src/catalog/products.routes.ts';

const id = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
const lists: { name: string; route: RouteConfig; path: string; maxSize: number }[] = [
  { name: 'orders', route: listOrders, path: '/api/v1/orders', maxSize: 200 },
  { name: 'dead letters', route: listDeadLetters, path: '/api/v1/dead-letters', maxSize: 200 },
  { name: 'products', route: listProducts, path: '/api/v1/products', maxSize: 100 },
  { name: "a product's reservations", route: listReservations, path: `/api/v1/products/${id}/reservations`, maxSize: 100 },
  { name: "a customer's ledger", route: getCreditHistory, path: `/api/v1/credits/${id}/history`, maxSize: 100 },
];

/** The route's own definition and validation on the shared app; its handler only says it was reached. */
function appWith(route: RouteConfig) {
  const app = createApp({ logger: createLogger('test', 'silent'), metrics: new Registry() });
  app.openapi(route, ((c: { json(body: unknown, status: number): Response }) => c.json({ reached: true }, 200)) as never);
  return app;
}

describe(`list endpoints page no deeper than ${maxPagedRows} rows (OFFSET stays small)`, () => {
  for (const list of lists) {
    it(`${list.name}: the last page inside the window is served, the next one is a 400 naming page`, async () => {
      const app = appWith(list.route);
      for (const size of [1, 20, list.maxSize]) {
        const lastPage = maxPagedRows / size - 1;
        expect((await app.request(`${list.path}?page=${lastPage}&size=${size}`)).status, `size ${size}`).toBe(200);
        const past = await app.request(`${list.path}?page=${lastPage + 1}&size=${size}`);
        expect(past.status, `size ${size}`).toBe(400);
        expect(past.headers.get('content-type')).toContain('application/problem+json');
        const problem = (await past.json()) as { errors: { field: string; message: string }[] };
        expect(problem.errors).toEqual([{ field: 'page', message: expect.stringContaining(`may not exceed ${maxPagedRows}`) }]);
      }
      expect((await app.request(`${list.path}?page=20000000&size=1`)).status).toBe(400);
    });
  }

  it('the documents say so', async () => {
    const { openApiDocuments } = await import('../../scripts/lib/openapi-documents.ts');
    const documents = await openApiDocuments();
    const pageParameter = (service: keyof typeof documents, path: string) =>
      (documents[service].paths[path].get.parameters as { name: string; description?: string }[]).find((parameter) => parameter.name === 'page');
    for (const [service, path] of [
      ['order-service', '/api/v1/orders'],
      ['order-service', '/api/v1/dead-letters'],
      ['product-service', '/api/v1/products'],
      ['product-service', '/api/v1/products/{productId}/reservations'],
      ['payment-service', '/api/v1/credits/{customerId}/history'],
    ] as const) {
      expect(pageParameter(service, path)?.description, `${service} ${path}`).toContain(`may not exceed ${maxPagedRows}`);
    }
  });
});
