import type { Orm } from '#shared/db/orm.ts';
import { Payment } from './payment.entity.ts';

export function createPaymentQueries(deps: { orm: Orm }) {
  return {
    paymentOf(orderId: string): Promise<Payment | null> {
      return deps.orm.em.fork().findOne(Payment, { orderId });
    },
  };
}

export type PaymentQueries = ReturnType<typeof createPaymentQueries>;
