import { createRoute, z } from '@hono/zod-openapi';
import { problemResponses } from '#shared/http/problem.ts';
import { customerIdParams } from '../http/params.ts';

export const customerSchema = z.object({ customerId: z.string(), exists: z.literal(true) }).openapi('Customer');

export const getCustomer = createRoute({
  method: 'get',
  operationId: 'getCustomer',
  path: '/api/v1/customers/{customerId}',
  tags: ['Customers'],
  summary: 'Whether a customer exists (has a credit account)',
  request: { params: customerIdParams },
  responses: {
    200: { description: 'The customer exists', content: { 'application/json': { schema: customerSchema } } },
    ...problemResponses(400, 404, 503),
  },
});
