import { createRoute, z } from '@hono/zod-openapi';
import { pageOf, pagingFields, withinPagingWindow } from '#shared/http/paging.ts';
import { problemResponses } from '#shared/http/problem.ts';
import { ORDER_STATUSES } from '#statecharts/saga-types.ts';

const id = z.guid();

export const orderItemSchema = z.strictObject({
  productId: id.openapi({ example: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0' }),
  quantity: z.number().int().min(1).max(10_000).openapi({ example: 3 }),
  price: z.number().int().min(1).max(100_000_000).openapi({ example: 5000, description: 'Unit price, KRW' }),
});

export const createOrderSchema = z
  .strictObject({
    customerId: id.openapi({ example: '3fa85f64-5717-4562-b3fc-2c963f66afa6' }),
    price: z.number().int().min(1).max(1_000_000_000_000).openapi({ example: 15000, description: 'Order total, KRW' }),
    items: z.array(orderItemSchema).min(1).max(50),
    address: z.strictObject({
      street: z.string().trim().min(1).max(200).openapi({ example: '123 Main St' }),
      postalCode: z.string().trim().min(1).max(20).openapi({ example: '12345' }),
      city: z.string().trim().min(1).max(100).openapi({ example: 'Seoul' }),
    }),
  })
  .openapi('CreateOrder');

export const orderStatusSchema = z.enum(ORDER_STATUSES).openapi('OrderStatus');

export const createdOrderSchema = z
  .object({ orderTrackingId: z.string(), orderStatus: orderStatusSchema, message: z.string() })
  .openapi('CreatedOrder');

export const orderViewSchema = z
  .object({
    orderTrackingId: z.string(),
    orderStatus: orderStatusSchema,
    failureMessages: z.array(z.string()),
    createdAt: z.string().openapi({ description: 'When the order was accepted (server clock)' }),
    updatedAt: z.string(),
    terminalAt: z.string().nullable().openapi({ description: 'When the saga reached CONFIRMED or CANCELLED' }),
  })
  .openapi('Order');

export const orderSummarySchema = orderViewSchema.extend({ customerId: z.string(), price: z.number().int() }).openapi('OrderSummary');

export const createOrder = createRoute({
  method: 'post',
  operationId: 'createOrder',
  path: '/api/v1/orders',
  tags: ['Orders'],
  summary: 'Place an order and start its saga',
  request: {
    headers: z.object({
      'idempotency-key': z.string().min(1).max(200).optional().openapi({
        description: 'Same key and body → the same order; same key, other body → 409',
      }),
    }),
    body: { content: { 'application/json': { schema: createOrderSchema } }, required: true },
  },
  responses: {
    201: { description: 'Order accepted (PENDING)', content: { 'application/json': { schema: createdOrderSchema } } },
    ...problemResponses(400, 409, 413, 415, 422),
    503: {
      ...problemResponses(503)[503],
      description:
        'A dependency is unavailable, or the connection was lost during the COMMIT: the order was not stored, or (the problem names its ' +
        'orderTrackingId) it may exist — GET it, or retry with the same Idempotency-Key after Retry-After seconds',
    },
  },
});

export const getOrder = createRoute({
  method: 'get',
  operationId: 'getOrder',
  path: '/api/v1/orders/{orderTrackingId}',
  tags: ['Orders'],
  summary: 'Track an order',
  request: { params: z.object({ orderTrackingId: id }) },
  responses: {
    200: { description: 'The order', content: { 'application/json': { schema: orderViewSchema } } },
    ...problemResponses(400, 404, 503),
  },
});

export const listOrders = createRoute({
  method: 'get',
  operationId: 'listOrders',
  path: '/api/v1/orders',
  tags: ['Orders'],
  summary: 'List orders (operators: all; a customer: their own)',
  request: {
    query: withinPagingWindow(
      z.object({
        customerId: id.optional(),
        status: orderStatusSchema.optional(),
        updatedSince: z.iso.datetime({ offset: true }).optional().openapi({
          description: 'Only orders changed at or after this instant, oldest change first: an incremental feed',
        }),
        ...pagingFields({ maxSize: 200 }),
      }),
    ),
  },
  responses: {
    200: {
      description: 'A page of orders, newest first (oldest change first with updatedSince)',
      content: {
        'application/json': {
          schema: pageOf(orderSummarySchema),
        },
      },
    },
    ...problemResponses(400, 503),
  },
});

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
