import type { PaymentResponse } from '#shared/contracts/payment.ts';
import type { ProductReservationResponse } from '#shared/contracts/product-reservation.ts';
import type { OrderSagaEvent } from '#statecharts/saga-types.ts';

/** Product and payment replies are facts the saga reacts to; this is the one table from message to event. */
export function eventOfReply(reply: ProductReservationResponse | PaymentResponse): OrderSagaEvent {
  switch (reply.type) {
    case 'StockReserved':
    case 'StockConfirmed':
    case 'StockReleased':
    case 'PaymentRefunded':
      return { type: reply.type };
    case 'StockRejected':
    case 'StockConfirmRejected':
    case 'StockReleaseRefused':
    case 'PaymentFailed':
      return { type: reply.type, reason: reply.payload.reason };
    case 'PaymentCompleted':
      return { type: reply.type, paymentId: reply.payload.paymentId };
  }
}
