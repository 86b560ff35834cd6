import { createRoute, z } from '@hono/zod-openapi';
import { problemResponses } from '#shared/http/problem.ts';
import { ORDER_STATUSES, SAGA_STEPS } from '#statecharts/saga-types.ts';
import { DRIFT_KINDS } from '../reconciler/order-drift.ts';
import { durationPattern } from './duration.ts';

const orderId = z.guid().openapi({ example: '3fa85f64-5717-4562-b3fc-2c963f66afa6' });
const statusSchema = z.enum(ORDER_STATUSES);

const effectSchema = z
  .object({ kind: z.enum(['command', 'setTimer', 'clearTimer']) })
  .catchall(z.unknown())
  .openapi('SagaEffect', { description: 'A command sent (outbox), a timer set, or a timer cleared' });

export const historyEntrySchema = z
  .object({
    sequence: z.number().int(),
    eventType: z.string().openapi({ example: 'PaymentFailed' }),
    event: z.record(z.string(), z.unknown()),
    source: z.enum(['http', 'kafka', 'timer', 'operator']),
    messageId: z.string().nullable(),
    actor: z
      .string()
      .nullable()
      .openapi({ description: "The operator who asked, for an operator's event (their admin token's subject)", example: 'ops-1' }),
    stateBefore: z.string().nullable(),
    stateAfter: z.string().openapi({ example: 'CANCELLING.releasingStock' }),
    effects: z.array(effectSchema),
    changed: z.boolean().openapi({ description: 'false: a recorded no-op (duplicate, late or stale event)' }),
    machineVersion: z.string(),
    occurredAt: z.string(),
  })
  .openapi('SagaHistoryEntry');

export const pendingTimerSchema = z
  .object({
    timer: z.enum(SAGA_STEPS),
    attempt: z.number().int(),
    deadlineAt: z.string(),
    timeoutEvent: z.string(),
    overdueMs: z.number().openapi({ description: 'Positive once the deadline has passed' }),
  })
  .openapi('PendingSagaTimer');

export const sagaViewSchema = z
  .object({
    orderId: z.string(),
    status: statusSchema,
    state: z.string().openapi({ example: 'CANCELLING.releasingStock' }),
    terminal: z.boolean(),
    machineVersion: z.string().openapi({ description: 'Version of the machine that last wrote this order' }),
    currentMachineVersion: z.string(),
    customerId: z.string(),
    price: z.number().int(),
    items: z.array(z.object({ productId: z.string(), quantity: z.number().int(), price: z.number().int() })),
    address: z.object({ street: z.string(), postalCode: z.string(), city: z.string() }).openapi({ description: 'The delivery address as placed' }),
    failureMessages: z.array(z.string()),
    anomalies: z.array(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
    terminalAt: z.string().nullable(),
    snapshot: z.record(z.string(), z.unknown()).openapi({ description: 'The persisted XState snapshot (value + context)' }),
    history: z.array(historyEntrySchema),
    pendingTimers: z.array(pendingTimerSchema),
    traceId: z.string().nullable().optional().openapi({ description: "OpenTelemetry trace id of the order's saga (null: placed with tracing off)" }),
  })
  .openapi('SagaView');

const operatorActionSchema = z
  .object({
    requestId: z.string().openapi({ description: 'Recorded as the message id of the saga event and the cause of its commands' }),
    changed: z.boolean(),
    effects: z.array(effectSchema),
    saga: sagaViewSchema,
  })
  .openapi('SagaOperatorAction');

const summaryFields = {
  orderId: z.string(),
  status: statusSchema,
  state: z.string(),
  customerId: z.string(),
  price: z.number().int(),
  eventCount: z.number().int(),
  failureMessages: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
};
export const orderSagaSummarySchema = z.object(summaryFields).openapi('OrderSagaSummary');
export const stuckOrderSchema = z
  .object({
    ...summaryFields,
    oldestDeadlineAt: z.string().nullable(),
    pendingTimers: z.number().int(),
    stuckForMs: z.number(),
  })
  .openapi('StuckOrder');

const olderThan = z.string().regex(durationPattern, 'a duration like 250ms, 30s, 5m, 2h or 1d').openapi({ example: '30s' });

export const getSaga = createRoute({
  method: 'get',
  operationId: 'getOrderSaga',
  path: '/api/v1/orders/{orderId}/saga',
  tags: ['Sagas'],
  summary: "An order's saga: state, snapshot, history and pending timers",
  request: { params: z.object({ orderId }) },
  responses: {
    200: { description: 'The saga', content: { 'application/json': { schema: sagaViewSchema } } },
    ...problemResponses(400, 404, 503),
  },
});

export const fireTimeout = createRoute({
  method: 'post',
  operationId: 'fireSagaTimeout',
  path: '/api/v1/orders/{orderId}/saga/timeouts/{timer}',
  tags: ['Sagas'],
  summary: 'Fire a pending saga timer now',
  description:
    "Moves the timer's deadline to now and fires it through the saga's step handler, as its deadline would; recorded with source 'operator'.",
  request: { params: z.object({ orderId, timer: z.enum(SAGA_STEPS) }) },
  responses: {
    200: { description: 'Fired', content: { 'application/json': { schema: operatorActionSchema } } },
    ...problemResponses(400, 404, 409, 503),
  },
});

export const requestCompensation = createRoute({
  method: 'post',
  operationId: 'requestSagaCompensation',
  path: '/api/v1/orders/{orderId}/saga/compensation',
  tags: ['Sagas'],
  summary: 'Cancel an order: the saga compensates what it did',
  description: 'Sends CancellationRequested to the saga. 409 where the machine refuses it (terminal or already compensating).',
  request: {
    params: z.object({ orderId }),
    body: {
      content: { 'application/json': { schema: z.strictObject({ reason: z.string().trim().min(1).max(500) }).openapi('CompensationRequest') } },
      required: true,
    },
  },
  responses: {
    200: { description: 'Compensating', content: { 'application/json': { schema: operatorActionSchema } } },
    ...problemResponses(400, 404, 409, 413, 415, 503),
  },
});

export const listStuck = createRoute({
  method: 'get',
  operationId: 'listStuckSagas',
  path: '/api/v1/sagas/stuck',
  tags: ['Sagas'],
  summary: 'Orders past their deadline (a cancelled order still owing a refund or release included)',
  description:
    'Orders whose oldest pending timer deadline is older than `olderThan` — whatever their status: a CANCELLED order whose late refund or release is unanswered keeps a timer — and unfinished orders with no timer pending whose last update is.',
  request: {
    query: z.object({
      olderThan: olderThan.default('30s'),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: {
    200: {
      description: 'Stuck orders, longest stuck first',
      content: {
        'application/json': {
          schema: z.object({ olderThan: z.string(), olderThanMs: z.number(), items: z.array(stuckOrderSchema) }).openapi('StuckOrders'),
        },
      },
    },
    ...problemResponses(400, 503),
  },
});

export const driftSchema = z
  .object({
    orderId: z.string(),
    status: z.enum(['CONFIRMED', 'CANCELLED']),
    kind: z.enum(DRIFT_KINDS).openapi({ example: 'money-taken-on-cancelled' }),
    detail: z.string().openapi({ example: 'its payment is charged; the ledger charged 15000 and refunded 0 KRW' }),
    repair: z
      .enum(['release', 'refund'])
      .nullable()
      .openapi({ description: 'What the saga sends again for it (CANCELLED only); null: reported only, a person decides' }),
  })
  .openapi('SagaDrift');

const reconcileRepairSchema = z
  .object({
    orderId: z.string(),
    stockHeld: z.boolean(),
    moneyTaken: z.boolean(),
    outcome: z.enum(['sent', 'already-owed', 'failed']).openapi({ description: 'already-owed: the saga owed it already (recorded as a no-op)' }),
    commands: z.array(z.string()).openapi({ example: ['RefundPayment'] }),
    detail: z.string().openapi({ description: "The saga event's message id, or why the step failed" }),
  })
  .openapi('SagaReconcileRepair');

export const reconcilePassSchema = z
  .object({
    mode: z.enum(['check', 'repair']).openapi({ description: 'check: compared only; repair: cancelled orders were sent DriftFound' }),
    startedAt: z.string(),
    finishedAt: z.string(),
    window: z.object({ from: z.string(), to: z.string() }).openapi({ description: 'Orders that finished in [from, to) were compared' }),
    checked: z.number().int(),
    skipped: z.number().int().openapi({ description: 'Finished orders with a timer pending: their saga is still releasing or refunding' }),
    drift: z.array(driftSchema),
    repairs: z.array(reconcileRepairSchema),
  })
  .openapi('SagaReconcilePass');

export const getDrift = createRoute({
  method: 'get',
  operationId: 'getSagaDrift',
  path: '/api/v1/sagas/drift',
  tags: ['Sagas'],
  summary: "Finished orders whose saga disagrees with the product or payment service's records",
  description:
    "The reconciler's last pass on this instance; with `fresh=true` (or before any pass here) a check now: orders finished within SAGA_RECONCILE_WINDOW_MS (but not in the last SAGA_RECONCILE_SETTLE_MS) compared with GET /api/v1/order-stock and /api/v1/order-payments, nothing sent. 503 when those services cannot be asked.",
  request: { query: z.object({ fresh: z.enum(['true', 'false']).default('false').openapi({ description: 'true: check now' }) }) },
  responses: {
    200: { description: 'The pass', content: { 'application/json': { schema: reconcilePassSchema } } },
    ...problemResponses(400, 503),
  },
});

export const reconcile = createRoute({
  method: 'post',
  operationId: 'reconcileSagas',
  path: '/api/v1/sagas/reconcile',
  tags: ['Sagas'],
  summary: 'Run a reconciler pass now: find drift, and send DriftFound to cancelled orders still holding stock or money',
  description:
    "What the scheduled pass (SAGA_RECONCILE_EVERY_MS) does: a CANCELLED order whose stock is still held or money still taken gets DriftFound through the saga's step handler (actor `reconciler`), which sends the release or refund again with its timer; drift on a CONFIRMED order is reported only. 503 when the product or payment service cannot be asked (the pass stops there: nothing is sent for the orders it did not read).",
  responses: {
    200: { description: 'What was found and repaired', content: { 'application/json': { schema: reconcilePassSchema } } },
    ...problemResponses(503),
  },
});

export const sagaOverview = createRoute({
  method: 'get',
  operationId: 'getSagaOverview',
  path: '/api/v1/sagas/overview',
  tags: ['Sagas'],
  summary: 'Orders per saga state, recent and stuck orders, new dead letters (what /sagas shows)',
  request: {
    query: z.object({
      stuckOlderThan: olderThan.default('5s'),
      recent: z.coerce.number().int().min(1).max(200).default(20),
    }),
  },
  responses: {
    200: {
      description: 'Overview',
      content: {
        'application/json': {
          schema: z
            .object({
              machineVersion: z.string(),
              generatedAt: z.string(),
              counts: z.record(z.string(), z.number().int()).openapi({ description: 'Per state id, e.g. PENDING, CANCELLING.releasingStock' }),
              recent: z.array(orderSagaSummarySchema),
              stuck: z.array(stuckOrderSchema),
              stuckOlderThan: z.string(),
              newDeadLetters: z.number().int(),
              drift: z
                .object({ checkedAt: z.string(), count: z.number().int(), items: z.array(driftSchema) })
                .nullable()
                .openapi({ description: "The reconciler's last pass on this instance (its first 20 findings), null before one ran" }),
            })
            .openapi('SagaOverview'),
        },
      },
    },
    ...problemResponses(400, 503),
  },
});
