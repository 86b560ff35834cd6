import type { Statement } from '#shared/db/sql-pool.ts';
import { placeholders, rowsOf, valuesList, type SqlTransaction } from '#shared/db/sql-transaction.ts';
import { jsonValue, utcDate, utcDateOrNull } from '#shared/db/sql-values.ts';
import type { PersistedOrderSaga } from '#statecharts/order-saga.ts';
import type { OrderStatus } from '#statecharts/saga-types.ts';
import type { DeliveryAddress, OrderLine } from './order.entity.ts';
import type { SagaEffect } from '#statecharts/saga-effects.ts';
import type { PendingTimers } from './pending-timers.ts';
import type { SagaEventSource } from './saga-event.entity.ts';

/**
 * The saga row's repository on the hot path: every statement the step handler sends about an order
 * (`customer_order`) and its history (`saga_event`). An order IS its persisted machine: the row
 * holds the snapshot, the status and failure messages read from it, and the deadlines it waits on.
 *
 * A batch of events locks its orders' rows in one statement (ascending id, so two batches never wait
 * for each other in a cycle), the step handler applies the events in memory, and everything is
 * written with the commit: the new rows, one UPDATE per changed order, the history as one
 * multi-row INSERT.
 */
export interface SagaRow {
  id: string;
  customerId: string;
  price: number;
  items: OrderLine[];
  address: DeliveryAddress;
  status: OrderStatus;
  failureMessages: string[];
  snapshot: PersistedOrderSaga;
  machineVersion: string;
  eventCount: number;
  timers: PendingTimers;
  nextDeadlineAt: Date | null;
  idempotencyKey: string | null;
  requestHash: string | null;
  createdAt: Date;
  updatedAt: Date;
  terminalAt: Date | null;
  traceParent: string | null;
}

export interface SagaEventRow {
  orderId: string;
  sequence: number;
  eventType: string;
  event: Record<string, unknown>;
  source: SagaEventSource;
  messageId: string | null;
  actor: string | null;
  stateBefore: string | null;
  stateAfter: string;
  effects: SagaEffect[];
  changed: boolean;
  machineVersion: string;
  occurredAt: Date;
}

const columns =
  'id, customer_id, price, items, address, status, failure_messages, snapshot, machine_version, event_count, timers, next_deadline_at, idempotency_key, request_hash, created_at, updated_at, terminal_at, trace_parent';

interface Row {
  id: string;
  customer_id: string;
  price: number | string;
  items: string;
  address: string;
  status: OrderStatus;
  failure_messages: string;
  snapshot: string;
  machine_version: string;
  event_count: number;
  timers: string;
  next_deadline_at: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  created_at: string;
  updated_at: string;
  terminal_at: string | null;
  trace_parent: string | null;
}

function sagaRowOf(row: Row): SagaRow {
  return {
    id: row.id,
    customerId: row.customer_id,
    price: Number(row.price),
    items: jsonValue(row.items),
    address: jsonValue(row.address),
    status: row.status,
    failureMessages: jsonValue(row.failure_messages),
    snapshot: jsonValue(row.snapshot),
    machineVersion: row.machine_version,
    eventCount: Number(row.event_count),
    timers: jsonValue(row.timers) ?? {},
    nextDeadlineAt: utcDateOrNull(row.next_deadline_at),
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
    createdAt: utcDate(row.created_at),
    updatedAt: utcDate(row.updated_at),
    terminalAt: utcDateOrNull(row.terminal_at),
    traceParent: row.trace_parent,
  };
}

/** The orders' rows, locked (for a batch of events; sent with the batch's first round trip). */
export function lockSagaRows(orderIds: readonly string[]): Statement {
  const ids = [...new Set(orderIds)].sort();
  return { sql: `select ${columns} from customer_order where id in (${placeholders(ids.length)}) order by id for update`, params: ids };
}

export function sagaRowsOf(result: unknown): Map<string, SagaRow> {
  return new Map(rowsOf<Row>(result).map((row) => [row.id, sagaRowOf(row)]));
}

/** Reads and locks orders' rows in a round trip of their own (timers, operator events). */
export async function lockSagaRowsNow(tx: SqlTransaction, orderIds: readonly string[]): Promise<Map<string, SagaRow>> {
  if (orderIds.length === 0) return new Map();
  const [rows] = await tx.run([lockSagaRows(orderIds)]);
  return sagaRowsOf(rows);
}

/** One order, read without a lock (e.g. to answer after a lost COMMIT). */
export async function readSagaRow(query: (sql: string, params: unknown[]) => Promise<unknown>, orderId: string): Promise<SagaRow | null> {
  const rows = rowsOf<Row>(await query(`select ${columns} from customer_order where id = ?`, [orderId]));
  return rows[0] ? sagaRowOf(rows[0]) : null;
}

/** The order placed with this customer's Idempotency-Key, if any (expired keys included: the caller decides). */
export async function findByIdempotencyKey(tx: SqlTransaction, customerId: string, key: string): Promise<SagaRow | null> {
  const [rows] = await tx.run([
    { sql: `select ${columns} from customer_order where customer_id = ? and idempotency_key = ? for update`, params: [customerId, key] },
  ]);
  const found = rowsOf<Row>(rows)[0];
  return found ? sagaRowOf(found) : null;
}

/** Frees an expired Idempotency-Key for reuse (the order keeps everything else). */
export function releaseIdempotencyKey(tx: SqlTransaction, orderId: string): void {
  tx.beforeCommit(() => ({ statements: [{ sql: 'update customer_order set idempotency_key = null where id = ?', params: [orderId] }] }));
}

/** What a step changed, collected for one batch and written with its commit. */
export interface SagaWrites {
  inserted: SagaRow[];
  updated: Set<SagaRow>;
  events: SagaEventRow[];
}

export function sagaWritesOf(tx: SqlTransaction): SagaWrites {
  return tx.local(sagaWritesKey, () => {
    const writes: SagaWrites = { inserted: [], updated: new Set(), events: [] };
    tx.beforeCommit(() => ({ statements: statementsOf(writes) }));
    return writes;
  });
}

const sagaWritesKey = {};

function statementsOf(writes: SagaWrites): Statement[] {
  const statements: Statement[] = [];
  if (writes.inserted.length > 0) {
    statements.push({
      sql: `insert into customer_order (${columns}) values ${valuesList(writes.inserted.length, 18)}`,
      params: writes.inserted.flatMap((row) => [
        row.id,
        row.customerId,
        row.price,
        JSON.stringify(row.items),
        JSON.stringify(row.address),
        row.status,
        JSON.stringify(row.failureMessages),
        JSON.stringify(row.snapshot),
        row.machineVersion,
        row.eventCount,
        JSON.stringify(row.timers),
        row.nextDeadlineAt,
        row.idempotencyKey,
        row.requestHash,
        row.createdAt,
        row.updatedAt,
        row.terminalAt,
        row.traceParent,
      ]),
    });
  }
  const inserted = new Set(writes.inserted);
  for (const row of writes.updated) {
    if (inserted.has(row)) continue; // inserted with its final state
    statements.push({
      sql: `update customer_order set status = ?, failure_messages = ?, snapshot = ?, event_count = ?, timers = ?, next_deadline_at = ?,
              updated_at = ?, terminal_at = ? where id = ?`,
      params: [
        row.status,
        JSON.stringify(row.failureMessages),
        JSON.stringify(row.snapshot),
        row.eventCount,
        JSON.stringify(row.timers),
        row.nextDeadlineAt,
        row.updatedAt,
        row.terminalAt,
        row.id,
      ],
    });
  }
  if (writes.events.length > 0) {
    statements.push({
      sql: `insert into saga_event (order_id, sequence, event_type, event, source, message_id, actor, state_before, state_after, effects, changed, machine_version, occurred_at)
            values ${valuesList(writes.events.length, 13)}`,
      params: writes.events.flatMap((event) => [
        event.orderId,
        event.sequence,
        event.eventType,
        JSON.stringify(event.event),
        event.source,
        event.messageId,
        event.actor,
        event.stateBefore,
        event.stateAfter,
        JSON.stringify(event.effects),
        event.changed,
        event.machineVersion,
        event.occurredAt,
      ]),
    });
  }
  return statements;
}

/** Orders with a deadline at or before `cutoff`, earliest first (a plain read; the firing locks them). */
export async function findDueOrders(
  query: (sql: string, params: unknown[]) => Promise<unknown>,
  cutoff: Date,
  limit: number,
): Promise<{ id: string; timers: PendingTimers; traceParent: string | null }[]> {
  const rows = rowsOf<{ id: string; timers: string; trace_parent: string | null }>(
    await query('select id, timers, trace_parent from customer_order where next_deadline_at <= ? order by next_deadline_at limit ?', [cutoff, limit]),
  );
  return rows.map((row) => ({ id: row.id, timers: jsonValue<PendingTimers>(row.timers) ?? {}, traceParent: row.trace_parent }));
}
