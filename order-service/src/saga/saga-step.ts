import type { SqlTransaction } from '#shared/db/sql-transaction.ts';
import type { Outbox } from '#shared/outbox/outbox.ts';
import type { OutboxTimes } from '#shared/outbox/outbox-sent.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import { activeTraceparent, contextFromTraceparent, noTracing, SpanKind, traceparentOf, type Tracing } from '#shared/observability/tracing.ts';
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
import {
  COMMAND_OF_TIMER,
  TIMEOUT_EVENT_OF,
  type OrderSagaEvent,
  type OrderSagaInput,
  type OrderStatus,
  type SagaTimer,
} from '#statecharts/saga-types.ts';
import type { StateValue } from 'xstate';
import type { DeliveryAddress } from './order.entity.ts';
import { nextDeadlineOf, type PendingTimers } from './pending-timers.ts';
import type { SagaEventSource } from './saga-event.entity.ts';
import { sagaWritesOf, type SagaRow } from './saga-rows.ts';

export interface EventOrigin {
  source: SagaEventSource;
  /** The Kafka message (or operator request) that carried the event; the cause of the commands it emits. */
  messageId?: string | null;
  /** Who asked, for an operator's event (the subject of their admin token). */
  actor?: string | null;
  /** The trace the commands it emits continue (the consume span of the message); default: the active one. */
  traceparent?: string | null;
}

/** A deadline that was set: the timer jobs make sure it fires (cleared deadlines need nothing). */
export interface DeadlineSet {
  orderId: string;
  timer: SagaTimer;
  attempt: number;
  deadlineAt: Date;
}

export interface StepResult {
  order: SagaRow;
  /** The order's status before this step (null: the step that placed it). */
  statusBefore: OrderStatus | null;
  event: string;
  source: SagaEventSource;
  /** The timer whose deadline this step is (timeouts only). */
  timer: SagaTimer | null;
  /** The pending deadline a timeout step fired (timeouts only). */
  firedTimer?: { attempt: number; deadlineAt: Date };
  changed: boolean;
  effects: SagaEffect[];
  commandsQueued: number;
  deadlines: DeadlineSet[];
}

export type StepOutcome =
  | { kind: 'applied'; result: StepResult }
  | { kind: 'unknown-order' }
  | { kind: 'stale' }
  /** The deadline passed but its command reached the broker later (or not yet): it counts from there, nothing recorded. */
  | { kind: 'postponed'; deadline: DeadlineSet };

/** A command that reached the broker within this of being written to the outbox counts as sent on time. */
const SENT_ON_TIME_MS = 1_000;

/** One input to an order's saga: an event (reply, operator request), or a timer that is due. */
export type SagaInput =
  | { kind: 'event'; orderId: string; event: OrderSagaEvent; origin: EventOrigin }
  | {
      kind: 'timer';
      orderId: string;
      timer: SagaTimer;
      /** The attempt the timer was armed for; null: whichever attempt is pending (an operator firing it now). */
      attempt: number | null;
      origin: EventOrigin;
      /** Fire now even if its deadline has not come (an operator's request). */
      early?: boolean;
    };

export interface OrderPlacement {
  orderId: string;
  input: OrderSagaInput;
  address: DeliveryAddress;
  idempotencyKey: string | null;
  requestHash: string | null;
}

/**
 * The one path that changes a saga (DESIGN "the one idea"), for a batch of inputs: on rows the
 * caller locked (saga-rows.ts), each input runs the pure machine on the order's current snapshot —
 * inputs of one order one after the other, in arrival order — and leaves, in the caller's
 * transaction, the next snapshot, the order's status, one saga_event row, outbox rows for the
 * emitted commands and the deadlines in the row: all or nothing, written with the commit. Locking
 * the rows serialises events of one order across every replica of the service.
 */
export function createSagaSteps(deps: { outbox: Outbox; clock: Clock; tracing?: Tracing }) {
  const { outbox, clock } = deps;
  const tracing = deps.tracing ?? noTracing;

  /** Restored machines of the rows in hand: a batch with several events of one order restores it once. */
  const machines = new WeakMap<SagaRow, OrderSagaSnapshot>();
  const machineOf = (row: SagaRow) => {
    let machine = machines.get(row);
    if (!machine) machines.set(row, (machine = restoreOrderSaga(row.snapshot)));
    return machine;
  };

  function place(tx: SqlTransaction, placement: OrderPlacement): StepResult {
    const outcome = startOrderSaga(placement.input);
    const now = clock.now();
    const row: SagaRow = {
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
    };
    sagaWritesOf(tx).inserted.push(row);
    return record(tx, row, null, { type: 'OrderPlaced' }, outcome, { source: 'http' });
  }

  /** Applies the inputs in order; one outcome per input. */
  function apply(
    tx: SqlTransaction,
    rows: ReadonlyMap<string, SagaRow>,
    inputs: readonly SagaInput[],
    commandTimes: ReadonlyMap<string, OutboxTimes> = new Map(),
  ): StepOutcome[] {
    return inputs.map((input) => {
      const row = rows.get(input.orderId);
      if (!row) return { kind: 'unknown-order' };
      if (input.kind === 'event') {
        const before = machineOf(row);
        return { kind: 'applied', result: record(tx, row, before, input.event, advanceOrderSaga(before, input.event), input.origin) };
      }
      return fireTimer(tx, row, input, commandTimes);
    });
  }

  /**
   * A timer job, the sweep or an operator says a deadline passed. It counts only if the order still
   * waits on that timer (and attempt) and it is due, or an operator fires it early; otherwise the
   * saga moved on or re-armed it: stale, nothing is recorded.
   */
  function fireTimer(
    tx: SqlTransaction,
    row: SagaRow,
    input: Extract<SagaInput, { kind: 'timer' }>,
    commandTimes: ReadonlyMap<string, OutboxTimes>,
  ): StepOutcome {
    const pending = row.timers[input.timer];
    const now = clock.now().getTime();
    const due = pending && (input.early || Date.parse(pending.deadlineAt) <= now + 50);
    if (!pending || !due || (input.attempt !== null && pending.attempt !== input.attempt)) return { kind: 'stale' };
    // A deadline is the participant's time to answer from when its command reached the broker: while
    // the broker (or our path to it) is down the command waits in the outbox, and that wait is the
    // platform's, not the participant's. Unsent: a full deadline from now; sent later than the timer
    // was set: the deadline from then. An operator's early firing skips this.
    const times = pending.commandId && !input.early ? commandTimes.get(pending.commandId) : undefined;
    if (times !== undefined && pending.delayMs !== undefined) {
      const countsFrom = times.sentAt === null ? now : times.sentAt.getTime();
      // Sent within a second of being written (publish right after commit, a busy relay): on time.
      const sentLate = times.sentAt === null || countsFrom - times.createdAt.getTime() > SENT_ON_TIME_MS;
      if (sentLate && countsFrom + pending.delayMs > now + 50) {
        const deadlineAt = new Date(countsFrom + pending.delayMs);
        row.timers = { ...row.timers, [input.timer]: { ...pending, deadlineAt: deadlineAt.toISOString() } };
        row.nextDeadlineAt = nextDeadlineOf(row.timers);
        sagaWritesOf(tx).updated.add(row);
        return { kind: 'postponed', deadline: { orderId: row.id, timer: input.timer, attempt: pending.attempt, deadlineAt } };
      }
    }
    const stillPending: PendingTimers = { ...row.timers };
    delete stillPending[input.timer];
    row.timers = stillPending;
    const before = machineOf(row);
    const event = { type: TIMEOUT_EVENT_OF[input.timer], attempt: pending.attempt } as OrderSagaEvent;
    const result = record(tx, row, before, event, advanceOrderSaga(before, event), input.origin, input.timer);
    result.firedTimer = { attempt: pending.attempt, deadlineAt: new Date(pending.deadlineAt) };
    return { kind: 'applied', result };
  }

  function record(
    tx: SqlTransaction,
    row: SagaRow,
    before: OrderSagaSnapshot | null,
    event: { type: string },
    outcome: SagaOutcome,
    origin: EventOrigin,
    timer: SagaTimer | null = null,
  ): StepResult {
    const now = clock.now();
    const span = tracing.startSpan(`saga step ${event.type}`, {
      kind: SpanKind.INTERNAL,
      ...(origin.traceparent ? { parent: contextFromTraceparent(origin.traceparent) } : {}),
      attributes: { 'saga.event': event.type, 'commerce.order_id': row.id, 'saga.status_before': before ? row.status : 'NONE' },
    });
    // The commands this step emits continue its span (tracing off: the origin's trace, or none).
    const traceparent = span ? traceparentOf(span) : origin.traceparent;
    // Timer firings from the sweep join the order's trace at its placement's step.
    if (!before && span) row.traceParent = traceparentOf(span);
    const next = outcome.snapshot;
    const statusBefore = before ? row.status : null;
    const stateBefore = before ? stateName(before.value) : null;
    if (outcome.changed) {
      row.snapshot = persistOrderSaga(next);
      row.status = orderStatusOf(next);
      row.failureMessages = [...next.context.failureMessages];
      if (isTerminal(next) && !row.terminalAt) row.terminalAt = now;
      machines.set(row, next);
    }
    row.eventCount += 1;
    row.updatedAt = now;
    const writes = sagaWritesOf(tx);
    writes.updated.add(row);
    writes.events.push({
      orderId: row.id,
      sequence: row.eventCount,
      eventType: event.type,
      event: { ...event },
      source: origin.source,
      messageId: origin.messageId ?? null,
      actor: origin.actor ?? null,
      stateBefore,
      stateAfter: stateName(next.value),
      effects: outcome.effects,
      changed: outcome.changed,
      machineVersion: ORDER_SAGA_VERSION,
      occurredAt: now,
    });

    let commandsQueued = 0;
    const deadlines: DeadlineSet[] = [];
    const timers: PendingTimers = { ...row.timers };
    const commandIds = new Map<string, string>();
    // Commands first, so a timer knows the message id of the command it waits on.
    const effects = [
      ...outcome.effects.filter((effect) => effect.kind === 'command'),
      ...outcome.effects.filter((effect) => effect.kind !== 'command'),
    ];
    for (const effect of effects) {
      switch (effect.kind) {
        case 'command': {
          const { messageId } = outbox.add(tx, {
            type: effect.command,
            orderId: row.id,
            payload: effect.payload,
            causationId: origin.messageId ?? null,
            ...(traceparent !== undefined ? { traceparent } : {}),
          } as Parameters<Outbox['add']>[1]);
          commandIds.set(effect.command, messageId);
          commandsQueued++;
          break;
        }
        case 'setTimer': {
          const deadlineAt = new Date(now.getTime() + effect.delayMs);
          const commandId = commandIds.get(COMMAND_OF_TIMER[effect.timer]);
          timers[effect.timer] = {
            attempt: effect.attempt,
            deadlineAt: deadlineAt.toISOString(),
            ...(commandId ? { commandId, delayMs: effect.delayMs } : {}),
          };
          deadlines.push({ orderId: row.id, timer: effect.timer, attempt: effect.attempt, deadlineAt });
          break;
        }
        case 'clearTimer':
          // Nothing to cancel elsewhere: a job that comes due finds no such deadline in the row.
          delete timers[effect.timer];
          break;
      }
    }
    row.timers = timers;
    row.nextDeadlineAt = nextDeadlineOf(timers);
    span?.setAttributes({ 'saga.status_after': row.status, 'saga.changed': outcome.changed, 'saga.commands_queued': commandsQueued });
    span?.end();
    return {
      order: row,
      statusBefore,
      event: event.type,
      source: origin.source,
      timer,
      changed: outcome.changed,
      effects: outcome.effects,
      commandsQueued,
      deadlines,
    };
  }

  return { place, apply };
}

export type SagaSteps = ReturnType<typeof createSagaSteps>;

/** "PAID" or "CANCELLING.releasingStock": one string for history rows and diagrams. */
export function stateName(value: StateValue): string {
  if (typeof value === 'string') return value;
  return Object.entries(value)
    .map(([key, child]) => (child === undefined ? key : `${key}.${stateName(child as StateValue)}`))
    .join(',');
}
