// Invariants every run of the order saga must satisfy, checked over a whole
// path of (event, snapshot, effects) steps. Used by the generated path tests;
// returns readable violations instead of throwing so a failure names the step.
import { orderStatusOf } from './order-saga.ts';
import type { OrderSagaSnapshot } from './order-saga.ts';
import type { SagaEffect } from './saga-effects.ts';
import { COMMAND_OF_TIMER, TIMEOUT_EVENT_OF } from './saga-types.ts';
import type { OrderSagaEvent, OrderSagaEventType, SagaCommandName, SagaTimer } from './saga-types.ts';

export interface PathStep {
  /** null for the initial transition. */
  event: OrderSagaEvent | null;
  after: OrderSagaSnapshot;
  effects: SagaEffect[];
}

export type SagaStateId = 'PENDING' | 'RESERVED' | 'PAID' | 'CONFIRMED' | 'CANCELLING.releasingStock' | 'CANCELLING.refundingPayment' | 'CANCELLED';

/** The timer of the step a state waits for (terminal states wait for none). */
export const WAITING_TIMER_OF: Record<SagaStateId, SagaTimer | null> = {
  PENDING: 'reservation',
  RESERVED: 'payment',
  PAID: 'confirmation',
  CONFIRMED: null,
  'CANCELLING.releasingStock': 'release',
  'CANCELLING.refundingPayment': 'refund',
  CANCELLED: null,
};

const TIMER_OF_COMMAND = Object.fromEntries(Object.entries(COMMAND_OF_TIMER).map(([timer, command]) => [command, timer])) as Record<
  SagaCommandName,
  SagaTimer
>;

const STATES_OF_COMMAND: Record<SagaCommandName, SagaStateId[]> = {
  ReserveStock: ['PENDING'],
  ChargePayment: ['RESERVED'],
  ConfirmStock: ['PAID'],
  ReleaseStock: ['CANCELLING.releasingStock', 'CANCELLED'],
  RefundPayment: ['CANCELLING.refundingPayment', 'CANCELLED'],
};

/** The only events that may send a command a second time: its retry timer, a late reply, or drift the reconciler found. */
const REPEAT_TRIGGERS_OF: Record<SagaCommandName, OrderSagaEventType[]> = {
  ReserveStock: ['ReservationTimedOut'],
  ChargePayment: ['PaymentTimedOut'],
  ConfirmStock: ['ConfirmationTimedOut'],
  ReleaseStock: ['ReleaseTimedOut', 'StockReserved', 'DriftFound'],
  RefundPayment: ['RefundTimedOut', 'PaymentCompleted', 'DriftFound'],
};

const FORWARD_STEPS = ['reservation', 'payment', 'confirmation'] as const;

export function stateIdOf(snapshot: OrderSagaSnapshot): SagaStateId {
  const { value } = snapshot;
  if (typeof value === 'string') return value as SagaStateId;
  const [parent, child] = Object.entries(value)[0]!;
  return `${parent}.${child}` as SagaStateId;
}

/**
 * The timers that must be pending after a step: the waiting state's own; none in CONFIRMED; in
 * CANCELLED (terminal, yet late replies are still compensated there) the timer of each
 * compensation still owed — release while the stock may be reserved, refund while money may be
 * taken — and no other.
 */
export function expectedTimersOf(snapshot: OrderSagaSnapshot): SagaTimer[] {
  const state = stateIdOf(snapshot);
  const waiting = WAITING_TIMER_OF[state];
  if (waiting) return [waiting];
  if (state !== 'CANCELLED') return [];
  const { stockMayBeReserved, paymentMayBeTaken } = snapshot.context;
  return [...(stockMayBeReserved ? (['release'] as const) : []), ...(paymentMayBeTaken ? (['refund'] as const) : [])];
}

const TERMINAL_STATES: readonly SagaStateId[] = ['CONFIRMED', 'CANCELLED'];

export function pathViolations(steps: readonly PathStep[]): string[] {
  const violations: string[] = [];
  const pendingTimers = new Set<SagaTimer>();
  const sent = new Set<SagaCommandName>();
  let terminalState: SagaStateId | null = null;

  steps.forEach((step, index) => {
    const state = stateIdOf(step.after);
    const { context } = step.after;
    const eventType = step.event?.type;
    const where = `step ${index} (${eventType ?? 'start'} -> ${state})`;

    for (const effect of step.effects) {
      if (effect.kind === 'command') {
        if (!STATES_OF_COMMAND[effect.command].includes(state)) {
          violations.push(`${where}: ${effect.command} sent outside ${STATES_OF_COMMAND[effect.command].join('/')}`);
        }
        if (sent.has(effect.command) && !(eventType && REPEAT_TRIGGERS_OF[effect.command].includes(eventType))) {
          violations.push(`${where}: ${effect.command} sent again without a retry timeout or late reply`);
        }
        if (effect.command === 'ChargePayment' && effect.payload.amount !== context.price) {
          violations.push(`${where}: charged ${effect.payload.amount} for an order of ${context.price}`);
        }
        // Every command has a deadline: one sent without its timer is lost silently if it or its reply is.
        const timer = TIMER_OF_COMMAND[effect.command];
        if (!step.effects.some((other) => other.kind === 'setTimer' && other.timer === timer)) {
          violations.push(`${where}: ${effect.command} sent without arming the ${timer} timer`);
        }
        sent.add(effect.command);
      } else if (effect.kind === 'setTimer') {
        // Re-armed only by its own timeout, or in CANCELLED by what re-sends its compensation (another
        // charge while a refund is owed — e.g. one the reconciler asked for — re-sends it and re-arms the one timer).
        const resent = state === 'CANCELLED' && eventType !== undefined && REPEAT_TRIGGERS_OF[COMMAND_OF_TIMER[effect.timer]].includes(eventType);
        if (pendingTimers.has(effect.timer) && eventType !== TIMEOUT_EVENT_OF[effect.timer] && !resent) {
          violations.push(`${where}: ${effect.timer} timer armed while one is still pending`);
        }
        if (effect.attempt !== context.attempts[effect.timer]) {
          violations.push(`${where}: ${effect.timer} timer armed for attempt ${effect.attempt}, context says ${context.attempts[effect.timer]}`);
        }
        // The step's timeout while within its attempts; past them (compensation only) doubling, up to an hour.
        const { timeoutMs, maxAttempts } = context.settings[effect.timer];
        const expectedMs =
          effect.attempt <= maxAttempts ? timeoutMs : Math.min(timeoutMs * 2 ** (effect.attempt - maxAttempts), Math.max(timeoutMs, 3_600_000));
        if (effect.delayMs !== expectedMs) {
          violations.push(`${where}: ${effect.timer} timer for attempt ${effect.attempt} armed with ${effect.delayMs} ms, not ${expectedMs}`);
        }
        if (effect.attempt > maxAttempts && (effect.timer === 'reservation' || effect.timer === 'payment' || effect.timer === 'confirmation')) {
          violations.push(`${where}: forward step ${effect.timer} retried past its ${maxAttempts} attempts`);
        }
        if (!step.effects.some((other) => other.kind === 'command' && other.command === COMMAND_OF_TIMER[effect.timer])) {
          violations.push(`${where}: ${effect.timer} timer armed without sending ${COMMAND_OF_TIMER[effect.timer]}`);
        }
        pendingTimers.add(effect.timer);
      } else {
        if (!pendingTimers.has(effect.timer)) violations.push(`${where}: cleared ${effect.timer} timer that was not pending`);
        pendingTimers.delete(effect.timer);
      }
    }

    const expected = expectedTimersOf(step.after);
    const pending = [...pendingTimers].sort();
    if (pending.join() !== [...expected].sort().join()) {
      violations.push(`${where}: pending timers [${pending.join(', ')}], state waits for ${expected.join(', ') || 'nothing'}`);
    }
    // Terminal means the outcome is decided: late compensation happens inside the terminal state.
    if (terminalState && state !== terminalState) violations.push(`${where}: left terminal state ${terminalState}`);
    if (TERMINAL_STATES.includes(state)) terminalState = state;
    for (const forwardStep of FORWARD_STEPS) {
      if (context.attempts[forwardStep] > context.settings[forwardStep].maxAttempts) {
        violations.push(`${where}: ${forwardStep} attempted more than maxAttempts`);
      }
    }
  });

  const last = steps.at(-1);
  if (!last) return violations;
  const events = steps.map((step) => step.event?.type);
  const status = orderStatusOf(last.after);
  const paymentPossiblyTaken = events.includes('PaymentCompleted') || (sent.has('ChargePayment') && !events.includes('PaymentFailed'));

  if (status === 'CANCELLED') {
    if (paymentPossiblyTaken && !sent.has('RefundPayment')) violations.push('CANCELLED after a possibly taken payment without RefundPayment');
    if (events.includes('StockReserved') && !sent.has('ReleaseStock')) violations.push('CANCELLED after a reservation without ReleaseStock');
  }
  if (status === 'CONFIRMED') {
    if (!sent.has('ConfirmStock')) violations.push('CONFIRMED without ConfirmStock');
    if (sent.has('RefundPayment')) violations.push('CONFIRMED but RefundPayment was sent');
    if (!events.includes('PaymentCompleted')) violations.push('CONFIRMED without a completed payment');
  }
  return violations;
}
