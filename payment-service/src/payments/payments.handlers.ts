import type { RouteHandler } from '@hono/zod-openapi';
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
    if (!payment) throw notFound('payment');
    return c.json(paymentView(payment), 200);
  };
  return { getPayment };
}
