import type { Orm } from '#shared/db/orm.ts';
import { Payment } from './payment.entity.ts';

export function createPaymentQueries(deps: { orm: Orm }) {
  return {
    paymentOf(orderId: string): Promise<Payment | null> {
      return deps.orm.em.fork().findOne(Payment, { orderId });
    },

    /** The payments of these orders (an order has at most one; one never charged has none). */
    paymentsOf(orderIds: readonly string[]): Promise<Payment[]> {
      if (orderIds.length === 0) return Promise.resolve([]);
      return deps.orm.em.fork().find(Payment, { orderId: { $in: [...orderIds] } });
    },
  };
}

export type PaymentQueries = ReturnType<typeof createPaymentQueries>;
