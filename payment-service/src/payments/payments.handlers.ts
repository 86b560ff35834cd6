import type { RouteHandler } from '@hono/zod-openapi';
import { canActFor, principalOf } from '#shared/http/auth/principal.ts';
import { notFound } from '#shared/http/problem.ts';
import type { Payment } from './payment.entity.ts';
import type { PaymentQueries } from './payment-queries.ts';
import type * as routes from './payments.routes.ts';

const paymentView = (payment: Payment) => ({
  paymentId: payment.id,
  orderId: payment.orderId,
  customerId: payment.customerId,
  status: payment.status,
  amount: payment.amount,
  failureCode: payment.failureCode ?? null,
  failureReason: payment.failureReason ?? null,
  createdAt: payment.createdAt.toISOString(),
  updatedAt: payment.updatedAt.toISOString(),
});

export function createPaymentHandlers(deps: { queries: PaymentQueries }) {
  const getPayment: RouteHandler<typeof routes.getPayment> = async (c) => {
    const payment = await deps.queries.paymentOf(c.req.valid('param').orderId);
    // Another customer's payment is answered as missing, so order ids cannot be probed.
    if (!payment || !canActFor(principalOf(c), payment.customerId)) throw notFound('payment');
    return c.json(paymentView(payment), 200);
  };
  return { getPayment };
}
