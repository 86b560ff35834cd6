// The order saga: one persisted machine per order. Top-level state names are
// the order statuses. Every (state, event) pair is spelled out: either a
// transition that means something or an explicit no-op (see ignore()).
//
// Assumption behind several no-ops: commands and replies of one order travel
// on Kafka partitions keyed by orderId, so the product and payment services
// see this order's commands in the order they were sent.
import { createSagaContext } from './saga-context.ts';
import { refundPayment, releaseStock } from './saga-commands.ts';
import type { OrderSagaContext } from './saga-types.ts';
import {
  anomaly,
  compensation,
  enterStep,
  ignore,
  ignored,
  leaveStep,
  markPayment,
  markStock,
  noteAnomaly,
  noteReason,
  recordReason,
  rememberPayment,
  retryCompensationWhileOwed,
  retryForever,
  retryThenCompensate,
  sagaSetup,
  settleCompensation,
  startCompensation,
} from './order-saga.setup.ts';

// 2: an unanswered compensation's retries back off (doubling past maxAttempts, up to an hour) instead of one every timeout.
// 3: a release or refund sent from CANCELLED (late StockReserved / PaymentCompleted) arms its timer and is re-sent, with
//    the same back-off, until answered; before, it was sent once, with no deadline.
// 4: DriftFound (the reconciler, from the product and payment services' records): a CANCELLED order whose stock is still
//    held or money still taken owes the release or refund again, sent with its timer like a late reply's; ignored elsewhere.
export const ORDER_SAGA_VERSION = '4';

const noInputContext = createSagaContext({ orderId: '', customerId: '', items: [], price: 0 });

const NOT_ASKED = 'reply to a command this order has not sent';
const DUPLICATE = 'duplicate of a reply already handled';
const SUPERSEDED = 'late reply of an earlier attempt; the saga has moved on';
const NOT_WAITING = 'timer of a step this order is not waiting for';

// What CANCELLED sends for a late reply, on the first attempt and on every retry.
const lateRelease = () => releaseStock('stock reserved after the order was cancelled');
const lateRefund = ({ context }: { context: OrderSagaContext }) => refundPayment(context, 'payment completed after the order was cancelled');
// What CANCELLED sends when the reconciler finds stock or money still held (retries send the late reply's command).
const driftRelease = () => releaseStock('reconciler: stock still held for a cancelled order');
const driftRefund = ({ context }: { context: OrderSagaContext }) => refundPayment(context, 'reconciler: money still taken for a cancelled order');
const STILL_RUNNING = 'the saga is still running; the reconciler checks finished orders only';

export const orderSagaMachine = sagaSetup.createMachine({
  id: 'orderSaga',
  version: ORDER_SAGA_VERSION,
  // XState's pure transition() builds an inert actor, which computes an initial snapshot without
  // input on every call; a context for "no input" keeps that from throwing (and costing a stack trace)
  // each time. Orders always start with input.
  context: ({ input }) => (input ? createSagaContext(input) : noInputContext),
  initial: 'PENDING',
  states: {
    PENDING: {
      entry: [markStock(true), ...enterStep('reservation')],
      exit: leaveStep('reservation'),
      on: {
        StockReserved: { target: 'RESERVED' },
        StockRejected: { target: 'CANCELLED', actions: [recordReason('stock rejected'), markStock(false)] },
        ReservationTimedOut: retryThenCompensate('reservation'),
        CancellationRequested: {
          target: 'CANCELLING',
          actions: recordReason('cancelled by operator'),
          meta: compensation,
        },
        ...ignore(NOT_ASKED, 'StockConfirmed', 'StockConfirmRejected', 'StockReleased', 'StockReleaseRefused'),
        ...ignore(NOT_ASKED, 'PaymentCompleted', 'PaymentFailed', 'PaymentRefunded'),
        ...ignore(NOT_WAITING, 'PaymentTimedOut', 'ConfirmationTimedOut', 'ReleaseTimedOut', 'RefundTimedOut'),
        ...ignore(STILL_RUNNING, 'DriftFound'),
      },
    },

    RESERVED: {
      entry: [markPayment(true), ...enterStep('payment')],
      exit: leaveStep('payment'),
      on: {
        PaymentCompleted: { target: 'PAID', actions: rememberPayment() },
        // Nothing was taken, so compensation only has to release the stock.
        PaymentFailed: {
          target: 'CANCELLING',
          actions: [recordReason('payment failed'), markPayment(false)],
          meta: compensation,
        },
        // The charge may have gone through unseen: CANCELLING releases and then refunds.
        PaymentTimedOut: retryThenCompensate('payment'),
        CancellationRequested: {
          target: 'CANCELLING',
          actions: recordReason('cancelled by operator'),
          meta: compensation,
        },
        ...ignore(DUPLICATE, 'StockReserved'),
        ...ignore(SUPERSEDED, 'StockRejected'),
        ...ignore(NOT_ASKED, 'StockConfirmed', 'StockConfirmRejected', 'StockReleased', 'StockReleaseRefused'),
        ...ignore(NOT_ASKED, 'PaymentRefunded'),
        ...ignore(NOT_WAITING, 'ReservationTimedOut', 'ConfirmationTimedOut', 'ReleaseTimedOut', 'RefundTimedOut'),
        ...ignore(STILL_RUNNING, 'DriftFound'),
      },
    },

    PAID: {
      entry: [{ type: 'markConfirmationRequested' }, ...enterStep('confirmation')],
      exit: leaveStep('confirmation'),
      on: {
        StockConfirmed: { target: 'CONFIRMED' },
        StockConfirmRejected: {
          target: 'CANCELLING',
          actions: recordReason('stock confirmation rejected'),
          meta: compensation,
        },
        // The product service may have confirmed unseen; CANCELLING finds out when it asks for the release.
        ConfirmationTimedOut: retryThenCompensate('confirmation'),
        CancellationRequested: {
          target: 'CANCELLING',
          actions: recordReason('cancelled by operator'),
          meta: compensation,
        },
        ...ignore(DUPLICATE, 'StockReserved', 'PaymentCompleted'),
        ...ignore(SUPERSEDED, 'StockRejected', 'PaymentFailed'),
        ...ignore(NOT_ASKED, 'StockReleased', 'StockReleaseRefused', 'PaymentRefunded'),
        ...ignore(NOT_WAITING, 'ReservationTimedOut', 'PaymentTimedOut', 'ReleaseTimedOut', 'RefundTimedOut'),
        ...ignore(STILL_RUNNING, 'DriftFound'),
      },
    },

    CONFIRMED: {
      tags: ['terminal'],
      on: {
        // Neither can happen in a correct run: release is never sent after a
        // confirmation succeeded, and refund never before the release is known.
        StockReleased: { actions: noteAnomaly('stock released on a confirmed order'), meta: anomaly },
        PaymentRefunded: { actions: noteAnomaly('payment refunded on a confirmed order'), meta: anomaly },
        ...ignore(DUPLICATE, 'StockReserved', 'StockConfirmed', 'StockReleaseRefused', 'PaymentCompleted'),
        ...ignore(SUPERSEDED, 'StockRejected', 'StockConfirmRejected', 'PaymentFailed'),
        ...ignore(NOT_WAITING, 'ReservationTimedOut', 'PaymentTimedOut', 'ConfirmationTimedOut'),
        ...ignore(NOT_WAITING, 'ReleaseTimedOut', 'RefundTimedOut'),
        // Drift on a confirmed order (stock not taken, money not charged) is reported, not repaired: the
        // repair would be to take stock or money again, which needs a person to decide.
        ...ignore('drift on a confirmed order is reported to operators, not repaired by the saga', 'DriftFound'),
      },
    },

    // Release first (it also tells us whether the stock was already sold),
    // then refund if money may have been taken.
    CANCELLING: {
      initial: 'releasingStock',
      on: {
        // A late charge joins the compensation: the refund step after the release covers it.
        PaymentCompleted: [
          { guard: 'isKnownPayment', description: DUPLICATE, meta: ignored },
          { actions: rememberPayment(), meta: compensation },
        ],
        ...ignore('already compensating', 'CancellationRequested'),
        // The release and refund in flight settle it; the reconciler looks again once the order is CANCELLED.
        ...ignore('the compensation in flight decides', 'DriftFound'),
        // The release in flight was sent after every ReserveStock, so it covers them.
        ...ignore('the release in flight supersedes it', 'StockReserved', 'StockRejected'),
        // If the confirmation did happen, the release in flight is refused and StockReleaseRefused decides.
        ...ignore('the release in flight decides', 'StockConfirmed', 'StockConfirmRejected'),
        // Refunding regardless is safe (the payment service refunds nothing if nothing was taken).
        ...ignore(SUPERSEDED, 'PaymentFailed'),
        ...ignore(NOT_WAITING, 'ReservationTimedOut', 'PaymentTimedOut', 'ConfirmationTimedOut'),
      },
      states: {
        releasingStock: {
          entry: enterStep('release'),
          exit: leaveStep('release'),
          on: {
            StockReleased: [
              { guard: 'paymentMayBeTaken', target: 'refundingPayment', actions: markStock(false), meta: compensation },
              { target: '#orderSaga.CANCELLED', actions: markStock(false), meta: compensation },
            ],
            StockReleaseRefused: [
              // Stock sold and money taken: the order did complete.
              {
                guard: 'stockMayBeConfirmed',
                target: '#orderSaga.CONFIRMED',
                actions: noteReason('cancellation overtaken by stock confirmation'),
                meta: compensation,
              },
              // Contradictory reply; still give the money back and leave the stock to operations.
              {
                guard: 'paymentMayBeTaken',
                target: 'refundingPayment',
                actions: [markStock(false), noteReason('release refused for unconfirmed stock')],
                meta: anomaly,
              },
              {
                target: '#orderSaga.CANCELLED',
                actions: [markStock(false), noteReason('release refused for unconfirmed stock')],
                meta: anomaly,
              },
            ],
            ReleaseTimedOut: retryForever('release'),
            ...ignore(NOT_ASKED, 'PaymentRefunded'),
            ...ignore(NOT_WAITING, 'RefundTimedOut'),
          },
        },
        refundingPayment: {
          entry: enterStep('refund'),
          exit: leaveStep('refund'),
          on: {
            PaymentRefunded: { target: '#orderSaga.CANCELLED', actions: markPayment(false), meta: compensation },
            RefundTimedOut: retryForever('refund'),
            ...ignore(DUPLICATE, 'StockReleased', 'StockReleaseRefused'),
            ...ignore(NOT_WAITING, 'ReleaseTimedOut'),
          },
        },
      },
    },

    // Terminal: the order stays CANCELLED. A late reservation or charge is still compensated like
    // in CANCELLING (its timer armed, re-sent with back-off until answered), without leaving it;
    // so a CANCELLED order has a release or refund timer pending exactly while one is owed.
    CANCELLED: {
      tags: ['terminal'],
      on: {
        // Reserved after we gave up (e.g. a retried ReserveStock after a rejection).
        StockReserved: [
          { guard: 'stockMayBeReserved', description: 'release already requested', meta: ignored },
          {
            actions: [markStock(true), noteAnomaly('stock reserved after cancellation; released'), ...startCompensation('release', lateRelease)],
            meta: compensation,
          },
        ],
        StockReleased: [
          { guard: 'stockMayBeReserved', actions: [markStock(false), ...settleCompensation('release')], meta: compensation },
          { description: DUPLICATE, meta: ignored },
        ],
        StockReleaseRefused: [
          {
            guard: 'stockMayBeReserved',
            actions: [markStock(false), noteAnomaly('late release refused; stock taken on a cancelled order'), ...settleCompensation('release')],
            meta: anomaly,
          },
          { description: DUPLICATE, meta: ignored },
        ],
        StockConfirmed: { actions: noteAnomaly('stock confirmed on a cancelled order'), meta: anomaly },
        // Money taken after the saga gave up must come back; the order stays CANCELLED.
        PaymentCompleted: [
          { guard: 'isKnownPayment', description: DUPLICATE, meta: ignored },
          {
            actions: [rememberPayment(), noteAnomaly('payment completed after cancellation; refunded'), ...startCompensation('refund', lateRefund)],
            meta: compensation,
          },
        ],
        PaymentRefunded: [
          { guard: 'paymentMayBeTaken', actions: [markPayment(false), ...settleCompensation('refund')], meta: compensation },
          { description: DUPLICATE, meta: ignored },
        ],
        // The reconciler found the product or payment service still holding stock or money: owed again,
        // sent with its timer like a late reply's compensation. What is already owed is not sent twice.
        DriftFound: [
          {
            guard: 'driftOwesBoth',
            actions: [
              markStock(true),
              markPayment(true),
              noteAnomaly('reconciler: stock held and money taken on a cancelled order; released and refunded'),
              ...startCompensation('release', driftRelease),
              ...startCompensation('refund', driftRefund),
            ],
            meta: compensation,
          },
          {
            guard: 'driftOwesRelease',
            actions: [
              markStock(true),
              noteAnomaly('reconciler: stock held on a cancelled order; released'),
              ...startCompensation('release', driftRelease),
            ],
            meta: compensation,
          },
          {
            guard: 'driftOwesRefund',
            actions: [
              markPayment(true),
              noteAnomaly('reconciler: money taken on a cancelled order; refunded'),
              ...startCompensation('refund', driftRefund),
            ],
            meta: compensation,
          },
          { description: 'what was found is already owed (its compensation in flight), or nothing was', meta: ignored },
        ],
        ReleaseTimedOut: retryCompensationWhileOwed('release', lateRelease),
        RefundTimedOut: retryCompensationWhileOwed('refund', lateRefund),
        ...ignore(SUPERSEDED, 'StockRejected', 'StockConfirmRejected', 'PaymentFailed'),
        ...ignore(NOT_WAITING, 'ReservationTimedOut', 'PaymentTimedOut', 'ConfirmationTimedOut'),
      },
    },
  },
});
