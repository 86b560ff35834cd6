import { LockMode } from '@mikro-orm/core';
import type { Em } from '#shared/db/orm.ts';
import type { Outbox } from '#shared/outbox/outbox.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import { activeTraceparent } from '#shared/observability/tracing.ts';
import {
  advanceOrderSaga,
  isTerminal,
  orderStatusOf,
  persistOrderSaga,
  restoreOrderSaga,
  startOrderSaga,
  type OrderSagaSnapshot,
  type SagaOutcome,
} from '#statecharts/order-saga.ts';
import { ORDER_SAGA_VERSION } from '#statecharts/order-saga.machine.ts';
import type { SagaEffect } from '#statecharts/saga-effects.ts';
import { TIMEOUT_EVENT_OF, type OrderSagaEvent, type OrderSagaInput, type OrderStatus, type SagaTimer } from '#statecharts/saga-types.ts';
import type { StateValue } from 'xstate';
import { CustomerOrder, type CustomerOrderRow, type DeliveryAddress } from '../orders/order.entity.ts';
import { SagaEvent, type SagaEventSource } from './saga-event.entity.ts';
import { nextDeadlineOf, type PendingTimers } from './pending-timers.ts';

export interface EventOrigin {
  source: SagaEventSource;
  /** The Kafka message (or operator request) that carried the event; the cause of the commands it emits. */
  messageId?: string | null;
}

/** A timer job to (re)schedule or cancel once the transaction has committed. */
export interface TimerJobChange {
  orderId: string;
  timer: SagaTimer;
  attempt: number;
  delayMs: number;
  action: 'schedule' | 'cancel';
}

export interface StepResult {
  order: CustomerOrderRow;
  /** The order's status before this step (null: the step that placed it). */
  statusBefore: OrderStatus | null;
  changed: boolean;
  effects: SagaEffect[];
  /** What to do after commit: nudge the relay when commands were queued; these timer job changes. */
  commandsQueued: number;
  timerJobs: TimerJobChange[];
}

export type StepOutcome = { kind: 'applied'; result: StepResult } | { kind: 'unknown-order' };

export interface OrderPlacement {
  orderId: string;
  input: OrderSagaInput;
  address: DeliveryAddress;
  idempotencyKey: string | null;
  requestHash: string | null;
}

/**
 * The one path that changes a saga (DESIGN "the one idea"): inside the caller's transaction, lock
 * the order row, run the pure machine, then write the next snapshot, the order's status, one
 * saga_event row, outbox rows for the emitted commands and the timer rows — all or nothing.
 * Locking the row serialises events of one order across every replica of the service.
 */
export function createSagaSteps(deps: { outbox: Outbox; clock: Clock }) {
  const { outbox, clock } = deps;

  async function start(em: Em, placement: OrderPlacement): Promise<StepResult> {
    const outcome = startOrderSaga(placement.input);
    const now = clock.now();
    const order = em.create(CustomerOrder, {
      id: placement.orderId,
      customerId: placement.input.customerId,
      price: placement.input.price,
      items: placement.input.items,
      address: placement.address,
      status: orderStatusOf(outcome.snapshot),
      failureMessages: outcome.snapshot.context.failureMessages,
      snapshot: persistOrderSaga(outcome.snapshot),
      machineVersion: ORDER_SAGA_VERSION,
      eventCount: 0,
      timers: {},
      nextDeadlineAt: null,
      idempotencyKey: placement.idempotencyKey,
      requestHash: placement.requestHash,
      createdAt: now,
      updatedAt: now,
      terminalAt: null,
      traceParent: activeTraceparent(),
    });
    return record(em, order, null, { type: 'OrderPlaced' }, outcome, { source: 'http' });
  }

  async function advance(em: Em, orderId: string, event: OrderSagaEvent, origin: EventOrigin): Promise<StepOutcome> {
    const order = await em.findOne(CustomerOrder, { id: orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!order) return { kind: 'unknown-order' };
    const before = restoreOrderSaga(order.snapshot);
    const outcome = advanceOrderSaga(before, event);
    return { kind: 'applied', result: await record(em, order, before, event, outcome, origin) };
  }

  /**
   * A timer job (or the sweep) says a deadline passed. It counts only if the order still waits on
   * that timer's attempt and it is due; otherwise the saga moved on (or re-armed it): stale.
   * An operator who fires a timer early moves its deadline to now and passes its own origin.
   */
  async function fireTimer(
    em: Em,
    orderId: string,
    timer: SagaTimer,
    attempt: number,
    origin: EventOrigin = { source: 'timer' },
  ): Promise<StepOutcome | { kind: 'stale' }> {
    const order = await em.findOne(CustomerOrder, { id: orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!order) return { kind: 'unknown-order' };
    const pending = order.timers[timer];
    if (!pending || pending.attempt !== attempt || Date.parse(pending.deadlineAt) > clock.now().getTime() + 50) {
      return { kind: 'stale' };
    }
    const stillPending = { ...order.timers };
    delete stillPending[timer];
    order.timers = stillPending;
    const before = restoreOrderSaga(order.snapshot);
    const event = { type: TIMEOUT_EVENT_OF[timer], attempt } as OrderSagaEvent;
    const outcome = advanceOrderSaga(before, event);
    return { kind: 'applied', result: await record(em, order, before, event, outcome, origin) };
  }

  async function record(
    em: Em,
    order: CustomerOrderRow,
    before: OrderSagaSnapshot | null,
    event: { type: string },
    outcome: SagaOutcome,
    origin: EventOrigin,
  ): Promise<StepResult> {
    const now = clock.now();
    const next = outcome.snapshot;
    const statusBefore = before ? order.status : null;
    if (outcome.changed) {
      order.snapshot = persistOrderSaga(next);
      order.status = orderStatusOf(next);
      order.failureMessages = [...next.context.failureMessages];
      if (isTerminal(next) && !order.terminalAt) order.terminalAt = now;
    }
    order.eventCount += 1;
    order.updatedAt = now;
    em.create(SagaEvent, {
      orderId: order.id,
      sequence: order.eventCount,
      eventType: event.type,
      event: { ...event },
      source: origin.source,
      messageId: origin.messageId ?? null,
      stateBefore: before ? stateName(before.value) : null,
      stateAfter: stateName(next.value),
      effects: outcome.effects,
      changed: outcome.changed,
      machineVersion: ORDER_SAGA_VERSION,
      occurredAt: now,
    });

    let commandsQueued = 0;
    const timerJobs: TimerJobChange[] = [];
    const timers: PendingTimers = { ...order.timers };
    for (const effect of outcome.effects) {
      switch (effect.kind) {
        case 'command':
          outbox.add(em, {
            type: effect.command,
            orderId: order.id,
            payload: effect.payload,
            causationId: origin.messageId ?? null,
          });
          commandsQueued++;
          break;
        case 'setTimer': {
          const previous = timers[effect.timer];
          if (previous) timerJobs.push({ orderId: order.id, timer: effect.timer, attempt: previous.attempt, delayMs: 0, action: 'cancel' });
          timers[effect.timer] = { attempt: effect.attempt, deadlineAt: new Date(now.getTime() + effect.delayMs).toISOString() };
          timerJobs.push({ orderId: order.id, timer: effect.timer, attempt: effect.attempt, delayMs: effect.delayMs, action: 'schedule' });
          break;
        }
        case 'clearTimer': {
          const previous = timers[effect.timer];
          if (!previous) break;
          delete timers[effect.timer];
          timerJobs.push({ orderId: order.id, timer: effect.timer, attempt: previous.attempt, delayMs: 0, action: 'cancel' });
          break;
        }
      }
    }
    order.timers = timers;
    order.nextDeadlineAt = nextDeadlineOf(timers);
    await em.flush();
    return { order, statusBefore, changed: outcome.changed, effects: outcome.effects, commandsQueued, timerJobs };
  }

  return { start, advance, fireTimer };
}

export type SagaSteps = ReturnType<typeof createSagaSteps>;

/** "PAID" or "CANCELLING.releasingStock": one string for history rows and diagrams. */
export function stateName(value: StateValue): string {
  if (typeof value === 'string') return value;
  return Object.entries(value)
    .map(([key, child]) => (child === undefined ? key : `${key}.${stateName(child as StateValue)}`))
    .join(',');
}
