import { z } from 'zod';
import { entityId, positiveMoney, quantity, reason } from './envelope.ts';

export const reservationItemSchema = z.object({
  productId: entityId,
  quantity,
  price: positiveMoney,
});
export type ReservationItem = z.infer<typeof reservationItemSchema>;

/** Commands from the order saga to the product service (topic product-reservation-request). */
export const productReservationRequestSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ReserveStock'),
    payload: z.object({ customerId: entityId, items: z.array(reservationItemSchema).min(1).max(100) }),
  }),
  z.object({ type: z.literal('ConfirmStock'), payload: z.object({}) }),
  z.object({ type: z.literal('ReleaseStock'), payload: z.object({ reason: reason.optional() }) }),
]);
export type ProductReservationRequest = z.infer<typeof productReservationRequestSchema>;

export const stockRejectionCodeSchema = z.enum([
  'UNKNOWN_PRODUCT',
  'PRICE_MISMATCH',
  'INSUFFICIENT_STOCK',
  'ORDER_ALREADY_RELEASED',
  'NOT_RESERVED',
  'ALREADY_CONFIRMED',
]);
export type StockRejectionCode = z.infer<typeof stockRejectionCodeSchema>;

/** Replies of the product service (topic product-reservation-response). */
export const productReservationResponseSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('StockReserved'), payload: z.object({}) }),
  z.object({ type: z.literal('StockRejected'), payload: z.object({ code: stockRejectionCodeSchema, reason }) }),
  z.object({ type: z.literal('StockConfirmed'), payload: z.object({}) }),
  z.object({ type: z.literal('StockConfirmRejected'), payload: z.object({ code: stockRejectionCodeSchema, reason }) }),
  z.object({ type: z.literal('StockReleased'), payload: z.object({}) }),
  z.object({ type: z.literal('StockReleaseRefused'), payload: z.object({ code: stockRejectionCodeSchema, reason }) }),
]);
export type ProductReservationResponse = z.infer<typeof productReservationResponseSchema>;
