import { defineEntity, p } from '@mikro-orm/core';
import type { PaymentFailureCode, PaymentResponse } from '#shared/contracts/payment.ts';

export type PaymentStatus = 'COMPLETED' | 'FAILED' | 'REFUNDED';

/** What a ChargePayment is answered with: the decision about the charge, never a refund. */
export type ChargeReply = Extract<PaymentResponse, { type: 'PaymentCompleted' | 'PaymentFailed' }>;

export type RefundDecision =
  | { kind: 'refund'; amount: number }
  | { kind: 'nothingToRefund'; amount: number; because: 'NOT_CHARGED' | 'ALREADY_REFUNDED' };

const PaymentSchema = defineEntity({
  name: 'Payment',
  tableName: 'payment',
  properties: {
    id: p.string().length(36).primary(),
    orderId: p.string().length(36).unique(),
    customerId: p.string().length(36),
    amount: p.bigint('number'),
    status: p.string().length(20).$type<PaymentStatus>(),
    failureCode: p.string().length(40).$type<PaymentFailureCode>().nullable(),
    failureReason: p.string().length(500).nullable(),
    createdAt: p.datetime(3),
    updatedAt: p.datetime(3),
  },
});

/**
 * The one payment an order ever has. It is decided once (COMPLETED or FAILED) by the first
 * command for its order; the only later change is the guarded COMPLETED → REFUNDED.
 */
export class Payment extends PaymentSchema.class {
  /** The answer to a ChargePayment for this order: the first time, and again for every repeat. */
  chargeReply(): ChargeReply {
    if (this.status === 'FAILED') {
      if (!this.failureCode || !this.failureReason) throw new Error(`failed payment ${this.id} has no failure code`);
      return { type: 'PaymentFailed', payload: { code: this.failureCode, reason: this.failureReason } };
    }
    // A refunded payment did complete; its refund is the answer to RefundPayment, not to a charge.
    return { type: 'PaymentCompleted', payload: { paymentId: this.id, amount: this.amount } };
  }

  /** Guarded status change: only a COMPLETED payment gives money back, and only once. */
  refund(now: Date): RefundDecision {
    switch (this.status) {
      case 'COMPLETED':
        this.status = 'REFUNDED';
        this.updatedAt = now;
        return { kind: 'refund', amount: this.amount };
      case 'REFUNDED':
        return { kind: 'nothingToRefund', amount: this.amount, because: 'ALREADY_REFUNDED' };
      case 'FAILED':
        return { kind: 'nothingToRefund', amount: 0, because: 'NOT_CHARGED' };
    }
  }
}
PaymentSchema.setClass(Payment);

export { PaymentSchema };

interface NewPayment {
  id: string;
  orderId: string;
  customerId: string;
  amount: number;
  now: Date;
}

export const completedPayment = ({ now, ...rest }: NewPayment) => ({
  ...rest,
  status: 'COMPLETED' as const,
  failureCode: null,
  failureReason: null,
  createdAt: now,
  updatedAt: now,
});

export const failedPayment = ({ now, ...rest }: NewPayment, code: PaymentFailureCode, reason: string) => ({
  ...rest,
  status: 'FAILED' as const,
  failureCode: code,
  failureReason: reason,
  createdAt: now,
  updatedAt: now,
});
