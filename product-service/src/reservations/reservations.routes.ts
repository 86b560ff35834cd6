import { createRoute } from '@hono/zod-openapi';
import { orderIdsQuery, orderStockListSchema } from '#shared/http/order-records.ts';
import { problemResponses } from '#shared/http/problem.ts';

export const listOrderStock = createRoute({
  method: 'get',
  operationId: 'listOrderStock',
  path: '/api/v1/order-stock',
  tags: ['Reservations'],
  summary: "Orders' stock as this service has it: none, reserved, confirmed or released",
  description:
    "For the order service's reconciler (a `service` token) and admins: each asked order's stock record, one entry per distinct id in the order asked; an order this service never heard of, or whose reservation it rejected, is `none`.",
  request: { query: orderIdsQuery },
  responses: {
    200: { description: 'One entry per order asked', content: { 'application/json': { schema: orderStockListSchema } } },
    ...problemResponses(400, 503),
  },
});
