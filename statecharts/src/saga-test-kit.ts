// Shared fixtures for the saga tests (not itself a test file).
import { initialTransition, transition } from 'xstate';
import { orderSagaMachine } from './order-saga.machine.ts';
import { toSagaEffects } from './saga-effects.ts';
import type { SagaEffect } from './saga-effects.ts';
import type { OrderSagaSnapshot } from './order-saga.ts';
import { TIMEOUT_EVENT_OF } from './saga-types.ts';
import type { OrderSagaEvent, OrderSagaInput, SagaSettingsInput, SagaTimer } from './saga-types.ts';

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
  stockHeldDrift: { type: 'DriftFound', stockHeld: true, moneyTaken: false },
  moneyTakenDrift: { type: 'DriftFound', stockHeld: false, moneyTaken: true },
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
  return runSteps(events, settings).at(-1)!;
}

/** Starts an order and feeds it `events`; returns every step, the start first. */
export function runSteps(events: readonly OrderSagaEvent[], settings?: SagaSettingsInput): Step[] {
  const steps = [start(settings)];
  for (const event of events) steps.push(send(steps.at(-1)!.snapshot, event));
  return steps;
}

/** Feeds `events` to an order in hand; returns every step after it. */
export function sendAll(snapshot: OrderSagaSnapshot, events: readonly OrderSagaEvent[]): Step[] {
  const steps: Step[] = [];
  for (const event of events) steps.push(send(steps.at(-1)?.snapshot ?? snapshot, event));
  return steps;
}

export type PendingTimers = Partial<Record<SagaTimer, { attempt: number; delayMs: number }>>;

/**
 * The timers pending after these steps, kept as the order service keeps them in the order row:
 * setTimer replaces the pending timer of its name, clearTimer removes it.
 */
export function pendingTimersAfter(steps: readonly Step[], pending: PendingTimers = {}): PendingTimers {
  const timers = { ...pending };
  for (const effect of steps.flatMap((step) => step.effects)) {
    if (effect.kind === 'setTimer') timers[effect.timer] = { attempt: effect.attempt, delayMs: effect.delayMs };
    if (effect.kind === 'clearTimer') delete timers[effect.timer];
  }
  return timers;
}

/** The timeout event of the timer pending now, as the order service fires it (with its attempt). */
export function firing(timer: SagaTimer, attempt: number): OrderSagaEvent {
  return { type: TIMEOUT_EVENT_OF[timer], attempt };
}

export function commandsOf(effects: readonly SagaEffect[]): string[] {
  return effects.flatMap((effect) => (effect.kind === 'command' ? [effect.command] : []));
}
