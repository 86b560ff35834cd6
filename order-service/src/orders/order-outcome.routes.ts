import { createRoute, z } from '@hono/zod-openapi';
import { problemResponses } from '#shared/http/problem.ts';
import { orderViewSchema } from './orders.routes.ts';

export const awaitOrderOutcome = createRoute({
  method: 'get',
  operationId: 'awaitOrderOutcome',
  path: '/api/v1/orders/{orderTrackingId}/outcome',
  tags: ['Orders'],
  summary: 'Wait for an order to end (CONFIRMED or CANCELLED), then answer its view',
  description:
    'Answers as soon as the saga is terminal, or after `timeoutMs` with the order as it is then (`terminalAt` null): ' +
    'a client that wants a synchronous answer waits here instead of polling.',
  request: {
    params: z.object({ orderTrackingId: z.guid() }),
    query: z.object({
      timeoutMs: z.coerce.number().int().min(0).max(30_000).default(10_000).openapi({ description: 'How long to wait at most' }),
    }),
  },
  responses: {
    200: { description: 'The order: terminal, or as it is when the wait timed out', content: { 'application/json': { schema: orderViewSchema } } },
    ...problemResponses(400, 404, 503),
  },
});
