import { z } from 'zod';
import { entityId, positiveMoney, reason } from './envelope.ts';

/** Commands from the order saga to the payment service (topic payment-request). */
export const paymentRequestSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ChargePayment'), payload: z.object({ customerId: entityId, amount: positiveMoney }) }),
  z.object({ type: z.literal('RefundPayment'), payload: z.object({ customerId: entityId, reason: reason.optional() }) }),
]);
export type PaymentRequest = z.infer<typeof paymentRequestSchema>;

export const paymentFailureCodeSchema = z.enum(['INSUFFICIENT_CREDIT', 'UNKNOWN_CUSTOMER', 'ORDER_ALREADY_REFUNDED']);
export type PaymentFailureCode = z.infer<typeof paymentFailureCodeSchema>;

/** Replies of the payment service (topic payment-response). */
export const paymentResponseSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('PaymentCompleted'), payload: z.object({ paymentId: entityId, amount: positiveMoney }) }),
  z.object({ type: z.literal('PaymentFailed'), payload: z.object({ code: paymentFailureCodeSchema, reason }) }),
  z.object({
    type: z.literal('PaymentRefunded'),
    payload: z.object({ amount: z.number().int().nonnegative(), nothingToRefund: z.boolean() }),
  }),
]);
export type PaymentResponse = z.infer<typeof paymentResponseSchema>;
