// Named actions, guards and small transition builders for the order saga, so
// that order-saga.machine.ts reads like the lifecycle and nothing else.
import { assign, setup } from 'xstate';
import { appendOnce } from './saga-context.ts';
import { commandForStep } from './saga-commands.ts';
import { retryDelayMs } from './saga-settings.ts';
import type {
  ClearTimerParams,
  OrderSagaContext,
  OrderSagaEvent,
  OrderSagaEventType,
  OrderSagaInput,
  SagaCommand,
  SagaStep,
  SagaTransitionMeta,
  SetTimerParams,
} from './saga-types.ts';

export const sagaSetup = setup({
  types: {
    context: {} as OrderSagaContext,
    events: {} as OrderSagaEvent,
    input: {} as OrderSagaInput,
    tags: {} as 'terminal',
    transitionMeta: {} as SagaTransitionMeta,
  },
  actions: {
    // Effects are returned by transition() as data; the order service turns
    // them into outbox rows and timer rows, so these bodies stay empty.
    sendCommand: (_, _command: SagaCommand) => {},
    setTimer: (_, _timer: SetTimerParams) => {},
    clearTimer: (_, _timer: ClearTimerParams) => {},

    startAttempts: assign(({ context }, { step }: { step: SagaStep }) => ({
      attempts: { ...context.attempts, [step]: 1 },
    })),
    countRetry: assign(({ context }, { step }: { step: SagaStep }) => ({
      attempts: { ...context.attempts, [step]: context.attempts[step] + 1 },
    })),
    recordFailure: assign(({ context }, { message }: { message: string }) => ({
      failureMessages: [...context.failureMessages, message],
    })),
    noteAnomaly: assign(({ context }, { message }: { message: string }) => ({
      anomalies: appendOnce(context.anomalies, message),
    })),
    // Recorded once, at the moment the configured attempts run out; the
    // retries themselves go on because compensation must finish.
    noteUnansweredCompensation: assign(({ context }, { step }: { step: SagaStep }) => {
      const { maxAttempts, timeoutMs } = context.settings[step];
      if (context.attempts[step] !== maxAttempts) return {};
      const { command } = commandForStep(step, context);
      const message = `${command} still unanswered after ${maxAttempts} attempts; retrying with a wait doubling from ${timeoutMs} ms up to an hour`;
      return { anomalies: appendOnce(context.anomalies, message) };
    }),
    markStock: assign((_, { mayBeReserved }: { mayBeReserved: boolean }) => ({ stockMayBeReserved: mayBeReserved })),
    markPayment: assign((_, { mayBeTaken }: { mayBeTaken: boolean }) => ({ paymentMayBeTaken: mayBeTaken })),
    rememberPayment: assign((_, { paymentId }: { paymentId: string }) => ({ paymentId, paymentMayBeTaken: true })),
    markConfirmationRequested: assign({ confirmationRequested: true }),
  },
  guards: {
    isStaleTimer: ({ context, event }, { step }: { step: SagaStep }) =>
      'attempt' in event && event.attempt !== undefined && event.attempt !== context.attempts[step],
    hasAttemptsLeft: ({ context }, { step }: { step: SagaStep }) => context.attempts[step] < context.settings[step].maxAttempts,
    paymentMayBeTaken: ({ context }) => context.paymentMayBeTaken,
    stockMayBeReserved: ({ context }) => context.stockMayBeReserved,
    isKnownPayment: ({ context, event }) => event.type === 'PaymentCompleted' && event.paymentId === context.paymentId,
    // The reconciler found stock held (money taken) that the saga no longer owes a release (refund) for.
    driftOwesRelease: ({ context, event }) => event.type === 'DriftFound' && event.stockHeld && !context.stockMayBeReserved,
    driftOwesRefund: ({ context, event }) => event.type === 'DriftFound' && event.moneyTaken && !context.paymentMayBeTaken,
    driftOwesBoth: ({ context, event }) =>
      event.type === 'DriftFound' && event.stockHeld && !context.stockMayBeReserved && event.moneyTaken && !context.paymentMayBeTaken,
    // Only a reservation we asked to confirm, for an order whose payment we saw
    // complete, can legitimately be "already confirmed".
    stockMayBeConfirmed: ({ context }) => context.confirmationRequested && context.paymentId !== null,
  },
});

type ParamArgs = { context: OrderSagaContext; event: OrderSagaEvent };

const timeout = { kind: 'timeout' } as const satisfies SagaTransitionMeta;
export const compensation = { kind: 'compensation' } as const satisfies SagaTransitionMeta;
export const anomaly = { kind: 'anomaly' } as const satisfies SagaTransitionMeta;
export const ignored = { kind: 'ignored' } as const satisfies SagaTransitionMeta;

export const sendCommand = (build: (args: ParamArgs) => SagaCommand) => ({ type: 'sendCommand', params: build }) as const;
const sendStepCommand = (step: SagaStep) => sendCommand(({ context }) => commandForStep(step, context));
const recordFailure = (message: (args: ParamArgs) => string) =>
  ({ type: 'recordFailure', params: (args: ParamArgs) => ({ message: message(args) }) }) as const;
export const noteAnomaly = (message: string) => ({ type: 'noteAnomaly', params: { message } }) as const;
type WithReason = { event: { reason: string } };
/** Failure text from the event's reason; only type-checks on events that carry one. */
export const recordReason = (prefix: string) =>
  ({ type: 'recordFailure', params: ({ event }: WithReason) => ({ message: `${prefix}: ${event.reason}` }) }) as const;
export const noteReason = (prefix: string) =>
  ({ type: 'noteAnomaly', params: ({ event }: WithReason) => ({ message: `${prefix}: ${event.reason}` }) }) as const;
export const markStock = (mayBeReserved: boolean) => ({ type: 'markStock', params: { mayBeReserved } }) as const;
export const markPayment = (mayBeTaken: boolean) => ({ type: 'markPayment', params: { mayBeTaken } }) as const;
/** Only usable on PaymentCompleted transitions: the parameter type only accepts that event. */
export const rememberPayment = () =>
  ({
    type: 'rememberPayment',
    params: ({ event }: { event: { paymentId: string } }) => ({ paymentId: event.paymentId }),
  }) as const;

const armTimer = (step: SagaStep) =>
  ({
    type: 'setTimer',
    params: ({ context }: ParamArgs): SetTimerParams => ({
      timer: step,
      delayMs: retryDelayMs(context.settings[step], context.attempts[step]),
      attempt: context.attempts[step],
    }),
  }) as const;

/** A waiting state sends its step's command and arms the step's timer on entry... */
export const enterStep = (step: SagaStep) => [{ type: 'startAttempts', params: { step } }, sendStepCommand(step), armTimer(step)] as const;

/** ...and disarms it on exit, so no way out of a waiting state can leave a timer behind. */
export const leaveStep = (step: SagaStep) => [{ type: 'clearTimer', params: { timer: step } }] as const;

type StepCommand = ReturnType<typeof sendCommand>;

const retry = (step: SagaStep, command: StepCommand = sendStepCommand(step)) =>
  [{ type: 'countRetry', params: { step } }, command, armTimer(step)] as const;

const staleTimer = (step: SagaStep) =>
  ({
    guard: { type: 'isStaleTimer', params: { step } },
    description: 'timer armed for an earlier attempt',
    meta: ignored,
  }) as const;

/** Forward steps retry a bounded number of times, then compensate. */
export const retryThenCompensate = (step: SagaStep) =>
  [
    staleTimer(step),
    { guard: { type: 'hasAttemptsLeft', params: { step } }, actions: retry(step), meta: timeout },
    {
      target: 'CANCELLING',
      actions: recordFailure(({ context }) => `${commandForStep(step, context).command} unanswered after ${context.attempts[step]} attempts`),
      meta: timeout,
    },
  ] as const;

/** Compensation steps never give up; past maxAttempts they only record an anomaly. */
export const retryForever = (step: SagaStep) =>
  [staleTimer(step), { actions: [{ type: 'noteUnansweredCompensation', params: { step } }, ...retry(step)], meta: timeout }] as const;

/**
 * Compensation sent from a terminal state (a reply that arrives after the order was cancelled)
 * is a step like the CANCELLING ones, without a state of its own: it starts its attempts, sends
 * its command and arms the step's timer in the transition, the order staying where it is.
 */
type CompensationStep = Extract<SagaStep, 'release' | 'refund'>;

/** While this holds, the compensation of the step is still owed (and its timer pending). */
const OWED: Record<CompensationStep, 'stockMayBeReserved' | 'paymentMayBeTaken'> = {
  release: 'stockMayBeReserved',
  refund: 'paymentMayBeTaken',
};

export const startCompensation = (step: CompensationStep, build: (args: ParamArgs) => SagaCommand) =>
  [{ type: 'startAttempts', params: { step } }, sendCommand(build), armTimer(step)] as const;

/** The answer came (done or refused): nothing is owed any more, so its timer goes. */
export const settleCompensation = (step: CompensationStep) => leaveStep(step);

/**
 * Its timer: re-sent, with the same back-off as every compensation, for as long as it is owed. A
 * timer of a compensation already answered (or never sent) changes nothing.
 */
export const retryCompensationWhileOwed = (step: CompensationStep, build: (args: ParamArgs) => SagaCommand) =>
  [
    staleTimer(step),
    {
      guard: OWED[step],
      actions: [{ type: 'noteUnansweredCompensation', params: { step } }, ...retry(step, sendCommand(build))],
      meta: timeout,
    },
    { description: 'timer of a compensation no longer owed', meta: ignored },
  ] as const;

/** An explicit no-op: the event is understood here and deliberately changes nothing. */
export function ignore<const T extends OrderSagaEventType>(why: string, ...types: T[]): Record<T, { description: string; meta: SagaTransitionMeta }> {
  return Object.fromEntries(types.map((type) => [type, { description: why, meta: ignored }])) as Record<
    T,
    { description: string; meta: SagaTransitionMeta }
  >;
}
