// What operators read about sagas: one order's saga with its history and pending timers, how
// many orders are in each state, the newest orders, and the stuck ones. Reads only.
import type { Em } from '#shared/db/orm.ts';
import { traceIdOf } from '#shared/observability/tracing.ts';
import { isTerminal, restoreOrderSaga, type PersistedOrderSaga } from '#statecharts/order-saga.ts';
import { ORDER_SAGA_VERSION } from '#statecharts/order-saga.machine.ts';
import { TIMEOUT_EVENT_OF, type OrderStatus, type SagaTimer } from '#statecharts/saga-types.ts';
import type { StateValue } from 'xstate';
import { countNewDeadLetters } from '../dead-letters/dead-letter-store.ts';
import type { CustomerOrderRow } from '../../saga/order.entity.ts';
import type { SagaEventRow } from '../../saga/saga-reads.ts';
import { stateName } from '../../saga/saga-step.ts';
import { listPendingTimers } from '../../saga/pending-timers.ts';
import { countOrdersByStateValue, countOrdersByStatus, findOrder, findOrderHistory, findOverdueOrders, newestOrders } from '../../saga/saga-reads.ts';
import { activeStatuses, compoundStatuses, orderSagaChart } from './machine-facts.ts';

/** One recorded step as operators read it (the history row, its time as ISO text). */
export type HistoryEntry = Omit<SagaEventRow, 'orderId' | 'occurredAt'> & { occurredAt: string };

export interface PendingTimer {
  timer: SagaTimer;
  attempt: number;
  deadlineAt: string;
  /** The event the saga receives when it fires. */
  timeoutEvent: string;
  /** Positive once the deadline has passed. */
  overdueMs: number;
}

export interface SagaView {
  orderId: string;
  status: OrderStatus;
  state: string;
  terminal: boolean;
  /** The machine version that last wrote this order; `currentMachineVersion` is the one running now. */
  machineVersion: string;
  currentMachineVersion: string;
  customerId: string;
  price: number;
  items: { productId: string; quantity: number; price: number }[];
  /** Where the order goes, as the customer wrote it (shown to operators, escaped like every string). */
  address: { street: string; postalCode: string; city: string };
  failureMessages: string[];
  anomalies: string[];
  createdAt: string;
  updatedAt: string;
  terminalAt: string | null;
  snapshot: PersistedOrderSaga;
  history: HistoryEntry[];
  pendingTimers: PendingTimer[];
  /** The order's trace (OpenTelemetry trace id of its placement); null when it was placed with tracing off. */
  traceId: string | null;
}

export async function loadSagaView(em: Em, orderId: string, now: Date): Promise<SagaView | null> {
  const order = await findOrder(em, orderId);
  if (!order) return null;
  const events = await findOrderHistory(em, orderId);
  const timers = listPendingTimers(order.timers);
  return {
    orderId: order.id,
    status: order.status,
    state: stateName(order.snapshot.value),
    terminal: isTerminal(restoreOrderSaga(order.snapshot)),
    machineVersion: order.machineVersion,
    currentMachineVersion: ORDER_SAGA_VERSION,
    customerId: order.customerId,
    price: order.price,
    items: order.items,
    address: order.address,
    failureMessages: order.failureMessages,
    anomalies: order.snapshot.context.anomalies ?? [],
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    terminalAt: order.terminalAt?.toISOString() ?? null,
    snapshot: order.snapshot,
    traceId: traceIdOf(order.traceParent),
    history: events.map((event) => ({
      sequence: event.sequence,
      eventType: event.eventType,
      event: event.event,
      source: event.source,
      messageId: event.messageId ?? null,
      actor: event.actor ?? null,
      stateBefore: event.stateBefore ?? null,
      stateAfter: event.stateAfter,
      effects: event.effects,
      changed: event.changed,
      machineVersion: event.machineVersion,
      occurredAt: event.occurredAt.toISOString(),
    })),
    pendingTimers: timers.map((timer) => ({
      timer: timer.timer,
      attempt: timer.attempt,
      deadlineAt: timer.deadlineAt.toISOString(),
      timeoutEvent: TIMEOUT_EVENT_OF[timer.timer],
      overdueMs: now.getTime() - timer.deadlineAt.getTime(),
    })),
  };
}

/** What /sagas shows and /api/v1/sagas/overview answers: orders per state, recent and stuck orders, new dead letters. */
export async function loadSagaOverview(em: Em, options: { now: Date; stuckOlderThanMs: number; recent: number }) {
  const [counts, recent, stuck, newDeadLetters] = await Promise.all([
    countOrdersByState(em),
    recentOrders(em, options.recent),
    findStuckOrders(em, { now: options.now, olderThanMs: options.stuckOlderThanMs, limit: 50 }),
    countNewDeadLetters(em),
  ]);
  return { counts, recent, stuck, newDeadLetters };
}

/** Orders per state: top-level statuses, and the substates of compound ones (e.g. "CANCELLING.releasingStock"). */
export async function countOrdersByState(em: Em): Promise<Record<string, number>> {
  const counts: Record<string, number> = Object.fromEntries(orderSagaChart.states.map((state) => [state.id, 0]));
  for (const [status, n] of await countOrdersByStatus(em)) counts[status] = n;
  for (const row of await countOrdersByStateValue(em, compoundStatuses)) {
    const name = stateName(row.value as StateValue);
    if (name.includes('.')) counts[name] = (counts[name] ?? 0) + row.n;
  }
  return counts;
}

export interface OrderSummary {
  orderId: string;
  status: OrderStatus;
  state: string;
  customerId: string;
  price: number;
  eventCount: number;
  failureMessages: string[];
  createdAt: string;
  updatedAt: string;
}

const summaryOf = (order: CustomerOrderRow): OrderSummary => ({
  orderId: order.id,
  status: order.status,
  state: stateName(order.snapshot.value),
  customerId: order.customerId,
  price: order.price,
  eventCount: order.eventCount,
  failureMessages: order.failureMessages,
  createdAt: order.createdAt.toISOString(),
  updatedAt: order.updatedAt.toISOString(),
});

export async function recentOrders(em: Em, limit: number): Promise<OrderSummary[]> {
  return (await newestOrders(em, limit)).map(summaryOf);
}

export interface StuckOrder extends OrderSummary {
  /** The oldest pending deadline, or null when the order has no pending timer. */
  oldestDeadlineAt: string | null;
  pendingTimers: number;
  /** How long ago the oldest deadline (or, without timers, the last update) passed. */
  stuckForMs: number;
}

/**
 * Orders whose oldest pending timer deadline — or, for an unfinished order with no timer pending,
 * last update — lies more than `olderThanMs` before `now` (a CANCELLED order still owing a late
 * refund or release has a timer, so it shows up too). A healthy saga never shows up here for
 * long: its deadlines fire within about a second (timer job or sweep), and every waiting state
 * has a timer. So an order here means the timers are not being fired, or the machine is waiting
 * with nothing to wake it.
 */
export async function findStuckOrders(em: Em, options: { now: Date; olderThanMs: number; limit: number }): Promise<StuckOrder[]> {
  const cutoff = new Date(options.now.getTime() - options.olderThanMs);
  const overdue = await findOverdueOrders(em, { statuses: activeStatuses, cutoff, limit: options.limit });
  return overdue.map(({ order, oldestDeadlineAt, pendingTimers }) => ({
    ...summaryOf(order),
    oldestDeadlineAt: oldestDeadlineAt?.toISOString() ?? null,
    pendingTimers,
    stuckForMs: options.now.getTime() - (oldestDeadlineAt ?? order.updatedAt).getTime(),
  }));
}
