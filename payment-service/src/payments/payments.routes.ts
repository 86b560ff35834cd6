import { createRoute, z } from '@hono/zod-openapi';
import { paymentFailureCodeSchema } from '#shared/contracts/payment.ts';
import { orderIdsQuery, orderMoneyListSchema } from '#shared/http/order-records.ts';
import { problemResponses } from '#shared/http/problem.ts';
import { orderIdParams, timestamp } from '../http/params.ts';

export const paymentSchema = z
  .object({
    paymentId: z.string(),
    orderId: z.string(),
    customerId: z.string(),
    status: z.enum(['COMPLETED', 'FAILED', 'REFUNDED']).openapi('PaymentStatus'),
    amount: z.number().int().openapi({ description: 'KRW charged (or asked for, when FAILED)', example: 15_000 }),
    failureCode: paymentFailureCodeSchema.nullable().openapi({ description: 'Why a FAILED payment took no money' }),
    failureReason: z.string().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi('Payment');

export const getPayment = createRoute({
  method: 'get',
  operationId: 'getPayment',
  path: '/api/v1/payments/{orderId}',
  tags: ['Payments'],
  summary: "An order's payment: status, amount, failure reason",
  request: { params: orderIdParams },
  responses: {
    200: { description: 'The payment of the order', content: { 'application/json': { schema: paymentSchema } } },
    ...problemResponses(400, 404, 503),
  },
});

export const listOrderPayments = createRoute({
  method: 'get',
  operationId: 'listOrderPayments',
  path: '/api/v1/order-payments',
  tags: ['Payments'],
  summary: "Orders' money as this service has it: none, charged or refunded, with the ledger's sums",
  description:
    "For the order service's reconciler (a `service` token) and admins: each asked order's money, one entry per distinct id in the order asked. `money` is its payment's state (`none`: no payment, or a failed one); `charged`, `refunded` and `net` are what the credit ledger moved for it.",
  request: { query: orderIdsQuery },
  responses: {
    200: { description: 'One entry per order asked', content: { 'application/json': { schema: orderMoneyListSchema } } },
    ...problemResponses(400, 503),
  },
});
