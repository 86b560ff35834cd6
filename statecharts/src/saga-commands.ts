import { cancellationReason } from './saga-context.ts';
import type { OrderSagaContext, SagaCommand, SagaStep } from './saga-types.ts';

/** The command a waiting step sends, both on entry and on every retry. */
export function commandForStep(step: SagaStep, context: OrderSagaContext): SagaCommand {
  switch (step) {
    case 'reservation':
      return {
        command: 'ReserveStock',
        payload: { customerId: context.customerId, items: context.items.map((item) => ({ ...item })) },
      };
    case 'payment':
      return { command: 'ChargePayment', payload: { customerId: context.customerId, amount: context.price } };
    case 'confirmation':
      return { command: 'ConfirmStock', payload: {} };
    case 'release':
      return releaseStock(cancellationReason(context));
    case 'refund':
      return refundPayment(context, cancellationReason(context));
  }
}

export function releaseStock(reason: string): SagaCommand {
  return { command: 'ReleaseStock', payload: { reason } };
}

export function refundPayment(context: OrderSagaContext, reason: string): SagaCommand {
  return { command: 'RefundPayment', payload: { customerId: context.customerId, reason } };
}
