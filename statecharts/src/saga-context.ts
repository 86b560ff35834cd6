import { resolveSagaSettings } from './saga-settings.ts';
import type { OrderSagaContext, OrderSagaInput } from './saga-types.ts';

export function createSagaContext(input: OrderSagaInput): OrderSagaContext {
  return {
    orderId: input.orderId,
    customerId: input.customerId,
    // Copied so later mutation of the caller's objects cannot leak into the persisted order.
    items: input.items.map((item) => ({ productId: item.productId, quantity: item.quantity, price: item.price })),
    price: input.price,
    settings: resolveSagaSettings(input.settings),
    failureMessages: [],
    anomalies: [],
    attempts: { reservation: 0, payment: 0, confirmation: 0, release: 0, refund: 0 },
    paymentId: null,
    stockMayBeReserved: false,
    paymentMayBeTaken: false,
    confirmationRequested: false,
  };
}

/**
 * Repeated late replies must not grow the context forever (and must leave the
 * snapshot unchanged, which is how duplicates are recognised as no-ops).
 */
export function appendOnce(list: readonly string[], message: string): string[] {
  return list.includes(message) ? [...list] : [...list, message];
}

/** The commands' contracts take a reason of at most this many characters (shared/src/contracts/envelope.ts). */
export const maxCommandReasonLength = 500;

/**
 * The reason a release or refund carries: the last failure message, cut to the contracts' limit. A
 * failure message is a prefix ("cancelled by operator: ") and a reason that may itself be that long,
 * and a command past the limit would be refused when it is written, failing the step (the whole
 * message stays in the order's failure messages).
 */
export function cancellationReason(context: OrderSagaContext): string {
  const reason = context.failureMessages.at(-1) ?? 'order cancelled';
  return reason.length <= maxCommandReasonLength ? reason : `${reason.slice(0, maxCommandReasonLength - 1)}…`;
}
