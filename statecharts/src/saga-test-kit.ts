// Shared fixtures for the saga tests (not itself a test file).
import { initialTransition, transition } from 'xstate';
import { orderSagaMachine } from './order-saga.machine.ts';
import { toSagaEffects } from './saga-effects.ts';
import type { SagaEffect } from './saga-effects.ts';
import type { OrderSagaSnapshot } from './order-saga.ts';
import type { OrderSagaEvent, OrderSagaInput, SagaSettingsInput } from './saga-types.ts';

export const orderInput: OrderSagaInput = {
  orderId: 'order-1',
  customerId: 'customer-1',
  items: [
    { productId: 'product-1', quantity: 2, price: 3_000 },
    { productId: 'product-2', quantity: 1, price: 4_000 },
  ],
  price: 10_000,
};

export const ev = {
  stockReserved: { type: 'StockReserved' },
  stockRejected: { type: 'StockRejected', reason: 'out of stock' },
  stockConfirmed: { type: 'StockConfirmed' },
  stockConfirmRejected: { type: 'StockConfirmRejected', reason: 'reservation expired' },
  stockReleased: { type: 'StockReleased' },
  stockReleaseRefused: { type: 'StockReleaseRefused', reason: 'already confirmed' },
  paymentCompleted: { type: 'PaymentCompleted', paymentId: 'payment-1' },
  paymentFailed: { type: 'PaymentFailed', reason: 'insufficient funds' },
  paymentRefunded: { type: 'PaymentRefunded' },
  reservationTimedOut: { type: 'ReservationTimedOut' },
  paymentTimedOut: { type: 'PaymentTimedOut' },
  confirmationTimedOut: { type: 'ConfirmationTimedOut' },
  releaseTimedOut: { type: 'ReleaseTimedOut' },
  refundTimedOut: { type: 'RefundTimedOut' },
  cancellationRequested: { type: 'CancellationRequested', reason: 'customer called' },
} as const satisfies Record<string, OrderSagaEvent>;

/** One event of every type: the alphabet the generated tests drive the machine with. */
export const everyEvent: OrderSagaEvent[] = Object.values(ev);

export interface Step {
  snapshot: OrderSagaSnapshot;
  effects: SagaEffect[];
}

export function start(settings?: SagaSettingsInput): Step {
  const [snapshot, actions] = initialTransition(orderSagaMachine, { ...orderInput, settings });
  return { snapshot, effects: toSagaEffects(actions) };
}

export function send(snapshot: OrderSagaSnapshot, event: OrderSagaEvent): Step {
  const [next, actions] = transition(orderSagaMachine, snapshot, event);
  return { snapshot: next, effects: toSagaEffects(actions) };
}

/** Starts an order and feeds it `events`; returns the last step. */
export function run(events: readonly OrderSagaEvent[], settings?: SagaSettingsInput): Step {
  let step = start(settings);
  for (const event of events) step = send(step.snapshot, event);
  return step;
}

export function commandsOf(effects: readonly SagaEffect[]): string[] {
  return effects.flatMap((effect) => (effect.kind === 'command' ? [effect.command] : []));
}
