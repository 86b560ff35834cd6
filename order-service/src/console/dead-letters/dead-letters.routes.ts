import { createRoute, z } from '@hono/zod-openapi';
import { pageOf, pagingFields, withinPagingWindow } from '#shared/http/paging.ts';
import { problemResponses } from '#shared/http/problem.ts';
import { DEAD_LETTER_STATUSES } from './dead-letter.entity.ts';

export const deadLetterSchema = z
  .object({
    id: z.number().int(),
    topic: z.string().openapi({ description: 'The dead-letter topic it was read from', example: 'payment-request.dlq' }),
    partition: z.number().int(),
    offset: z.string(),
    key: z.string().nullable(),
    value: z.string().openapi({ description: 'The original record value (UTF-8 text)' }),
    headers: z.record(z.string(), z.string()),
    reason: z.string(),
    originalTopic: z.string().openapi({ example: 'payment-request' }),
    originalPartition: z.number().int().nullable(),
    originalOffset: z.string().nullable(),
    consumerGroup: z.string().nullable().openapi({ description: 'The consumer group that gave up on it' }),
    failedAt: z.string(),
    receivedAt: z.string(),
    status: z.enum(DEAD_LETTER_STATUSES),
    redrivenAt: z.string().nullable(),
  })
  .openapi('DeadLetter');

export const listDeadLetters = createRoute({
  method: 'get',
  operationId: 'listDeadLetters',
  path: '/api/v1/dead-letters',
  tags: ['Dead letters'],
  summary: 'Dead letters of every service, newest first',
  request: {
    query: withinPagingWindow(
      z.object({
        topic: z
          .string()
          .min(1)
          .max(255)
          .optional()
          .openapi({ description: 'Original topic (payment-request) or its dead-letter topic (payment-request.dlq)' }),
        status: z.enum(DEAD_LETTER_STATUSES).optional(),
        ...pagingFields({ maxSize: 200 }),
      }),
    ),
  },
  responses: {
    200: {
      description: 'A page of dead letters',
      content: {
        'application/json': {
          schema: pageOf(deadLetterSchema),
        },
      },
    },
    ...problemResponses(400, 503),
  },
});

export const redriveDeadLetter = createRoute({
  method: 'post',
  operationId: 'redriveDeadLetter',
  path: '/api/v1/dead-letters/{id}/redrive',
  tags: ['Dead letters'],
  summary: 'Publish a dead letter back to its original topic',
  description:
    'Sends the original key and value to the original topic once and marks the dead letter REDRIVEN. Only records of the ' +
    "order service's own topics (product-reservation-request, payment-request): another service's topic is written only by " +
    'that service (409).',
  request: { params: z.object({ id: z.coerce.number().int().min(1) }) },
  responses: {
    200: { description: 'Redriven', content: { 'application/json': { schema: deadLetterSchema } } },
    ...problemResponses(400, 404, 409, 503),
  },
});
