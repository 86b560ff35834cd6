// Vocabulary of the order saga: statuses, steps, events, commands and the
// JSON-only context. Kept apart from the machine so services can import the
// types without pulling in xstate.

export const ORDER_STATUSES = ['PENDING', 'RESERVED', 'PAID', 'CONFIRMED', 'CANCELLING', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** A waiting step of the saga; each one has exactly one timer of the same name. */
export const SAGA_STEPS = ['reservation', 'payment', 'confirmation', 'release', 'refund'] as const;
export type SagaStep = (typeof SAGA_STEPS)[number];
export type SagaTimer = SagaStep;

export interface OrderItem {
  productId: string;
  quantity: number;
  /** Unit price, integer KRW. */
  price: number;
}

export interface StepSettings {
  timeoutMs: number;
  maxAttempts: number;
}
export type SagaSettings = Record<SagaStep, StepSettings>;
export type SagaSettingsInput = { [K in SagaStep]?: Partial<StepSettings> };

export interface OrderSagaInput {
  orderId: string;
  customerId: string;
  items: OrderItem[];
  /** Order total, integer KRW. */
  price: number;
  settings?: SagaSettingsInput;
}

export interface OrderSagaContext {
  orderId: string;
  customerId: string;
  items: OrderItem[];
  price: number;
  /** Copied from input so that replaying a persisted order is deterministic. */
  settings: SagaSettings;
  /** Why the order failed, in the order it happened. */
  failureMessages: string[];
  /** Things operations must look at (contradictory or late replies, unanswered compensation). */
  anomalies: string[];
  /** Commands sent per step; retries of a step increment it. */
  attempts: Record<SagaStep, number>;
  paymentId: string | null;
  /** A ReserveStock may have succeeded and no release has been confirmed since. */
  stockMayBeReserved: boolean;
  /** A ChargePayment may have taken money and no refund/failure has been confirmed since. */
  paymentMayBeTaken: boolean;
  /** ConfirmStock was sent, so the product service may have turned the reservation into a sale. */
  confirmationRequested: boolean;
}

export const TIMEOUT_EVENT_OF = {
  reservation: 'ReservationTimedOut',
  payment: 'PaymentTimedOut',
  confirmation: 'ConfirmationTimedOut',
  release: 'ReleaseTimedOut',
  refund: 'RefundTimedOut',
} as const satisfies Record<SagaTimer, string>;
export type TimeoutEventType = (typeof TIMEOUT_EVENT_OF)[SagaTimer];

/**
 * `attempt` is the attempt the timer was armed for (from the setTimer effect).
 * When present, a timer from an earlier attempt is recognised as stale, so a
 * timer row that fires twice cannot burn two retries.
 */
export type TimeoutEvent = { type: TimeoutEventType; attempt?: number };

export type ProductReply =
  | { type: 'StockReserved' }
  | { type: 'StockRejected'; reason: string }
  | { type: 'StockConfirmed' }
  | { type: 'StockConfirmRejected'; reason: string }
  | { type: 'StockReleased' }
  | { type: 'StockReleaseRefused'; reason: string };

export type PaymentReply = { type: 'PaymentCompleted'; paymentId: string } | { type: 'PaymentFailed'; reason: string } | { type: 'PaymentRefunded' };

/**
 * What operators (and the reconciler, as one) ask of a saga. `DriftFound`: the product or payment
 * service still holds stock (`stockHeld`) or money (`moneyTaken`) for a CANCELLED order; the saga
 * owes the release or refund again.
 */
export type OperatorRequest = { type: 'CancellationRequested'; reason: string } | { type: 'DriftFound'; stockHeld: boolean; moneyTaken: boolean };

export type OrderSagaEvent = ProductReply | PaymentReply | TimeoutEvent | OperatorRequest;
export type OrderSagaEventType = OrderSagaEvent['type'];

export const ORDER_SAGA_EVENT_TYPES = [
  'StockReserved',
  'StockRejected',
  'StockConfirmed',
  'StockConfirmRejected',
  'StockReleased',
  'StockReleaseRefused',
  'PaymentCompleted',
  'PaymentFailed',
  'PaymentRefunded',
  'ReservationTimedOut',
  'PaymentTimedOut',
  'ConfirmationTimedOut',
  'ReleaseTimedOut',
  'RefundTimedOut',
  'CancellationRequested',
  'DriftFound',
] as const satisfies readonly OrderSagaEventType[];

export type SagaCommand =
  | { command: 'ReserveStock'; payload: { customerId: string; items: OrderItem[] } }
  | { command: 'ConfirmStock'; payload: Record<string, never> }
  | { command: 'ReleaseStock'; payload: { reason: string } }
  | { command: 'ChargePayment'; payload: { customerId: string; amount: number } }
  | { command: 'RefundPayment'; payload: { customerId: string; reason: string } };
export type SagaCommandName = SagaCommand['command'];

export interface SetTimerParams {
  timer: SagaTimer;
  delayMs: number;
  attempt: number;
}
export interface ClearTimerParams {
  timer: SagaTimer;
}

/** How a diagram should draw a transition. */
export type TransitionKind = 'forward' | 'timeout' | 'compensation' | 'anomaly' | 'ignored';
export interface SagaTransitionMeta {
  kind: TransitionKind;
}

/** The command each timer's step sends: arming the timer and sending the command go together. */
export const COMMAND_OF_TIMER: Record<SagaTimer, SagaCommandName> = {
  reservation: 'ReserveStock',
  payment: 'ChargePayment',
  confirmation: 'ConfirmStock',
  release: 'ReleaseStock',
  refund: 'RefundPayment',
};
