import type { RouteHandler } from '@hono/zod-openapi';
import { canActFor, principalOf } from '#shared/http/auth/principal.ts';
import { notFound } from '#shared/http/problem.ts';
import type { CreditQueries } from '../credits/credit-queries.ts';
import { orderMoneyOf } from './order-money.ts';
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

export interface PaymentApiDeps {
  queries: PaymentQueries;
  ledger: Pick<CreditQueries, 'ledgerSumsByOrder'>;
}

export function createPaymentHandlers(deps: PaymentApiDeps) {
  const getPayment: RouteHandler<typeof routes.getPayment> = async (c) => {
    const payment = await deps.queries.paymentOf(c.req.valid('param').orderId);
    // Another customer's payment is answered as missing, so order ids cannot be probed.
    if (!payment || !canActFor(principalOf(c), payment.customerId)) throw notFound('payment');
    return c.json(paymentView(payment), 200);
  };
  const listOrderPayments: RouteHandler<typeof routes.listOrderPayments> = async (c) => {
    const { orderIds } = c.req.valid('query');
    const [payments, ledger] = await Promise.all([deps.queries.paymentsOf(orderIds), deps.ledger.ledgerSumsByOrder(orderIds)]);
    return c.json({ items: orderMoneyOf(orderIds, payments, ledger) }, 200);
  };

  return { getPayment, listOrderPayments };
}
