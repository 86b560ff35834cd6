// The read side of the order saga row (`customer_order`) and its history (`saga_event`): every query
// the order API, the gauge and the console run against them. Writes and the step handler's locked
// reads are in saga-rows.ts; nothing outside saga/ queries these tables.
import type { Em } from '#shared/db/orm.ts';
import { jsonValue, utcDate } from '#shared/db/sql-values.ts';
import type { OrderStatus } from '#statecharts/saga-types.ts';
import { CustomerOrder, type CustomerOrderRow } from './order.entity.ts';
import { SagaEvent, type StoredSagaEvent } from './saga-event.entity.ts';

/** A history row as the step handler writes it (see saga-rows.ts). */
export type { SagaEventRow } from './saga-rows.ts';

export function findOrder(em: Em, orderId: string): Promise<CustomerOrderRow | null> {
  return em.fork().findOne(CustomerOrder, { id: orderId });
}

export function findOrderHistory(em: Em, orderId: string): Promise<StoredSagaEvent[]> {
  return em.fork().find(SagaEvent, { orderId }, { orderBy: { sequence: 'asc' } });
}

export interface OrderPageQuery {
  customerId?: string;
  status?: OrderStatus;
  /** Changed at or after this instant, oldest change first (a feed); otherwise newest order first. */
  updatedSince?: Date;
  page: number;
  size: number;
}

export async function findOrderPage(em: Em, query: OrderPageQuery): Promise<{ orders: CustomerOrderRow[]; total: number }> {
  const where = {
    ...(query.customerId ? { customerId: query.customerId } : {}),
    ...(query.status ? { status: query.status } : {}),
    ...(query.updatedSince ? { updatedAt: { $gte: query.updatedSince } } : {}),
  };
  const orderBy = query.updatedSince ? ({ updatedAt: 'asc', id: 'asc' } as const) : ({ createdAt: 'desc' } as const);
  const [orders, total] = await em.fork().findAndCount(CustomerOrder, where, { orderBy, limit: query.size, offset: query.page * query.size });
  return { orders, total };
}

export function newestOrders(em: Em, limit: number): Promise<CustomerOrderRow[]> {
  return em.fork().find(CustomerOrder, {}, { orderBy: { createdAt: 'desc' }, limit });
}

/** Orders per status, from the status index. */
export async function countOrdersByStatus(em: Em): Promise<Map<string, number>> {
  const rows = await em.fork().execute<{ status: string; n: number | string }[]>('select status, count(*) as n from customer_order group by status');
  return new Map(rows.map((row) => [row.status, Number(row.n)]));
}

/** Orders of these (compound) statuses per machine state value, as stored in the snapshot. */
export async function countOrdersByStateValue(em: Em, statuses: readonly string[]): Promise<{ value: unknown; n: number }[]> {
  if (statuses.length === 0) return [];
  const rows = await em.fork().execute<{ value: unknown; n: number | string }[]>(
    `select json_extract(snapshot, '$.value') as value, count(*) as n from customer_order
      where status in (${statuses.map(() => '?').join(', ')}) group by value`,
    [...statuses],
  );
  return rows.map((row) => ({ value: jsonValue(row.value), n: Number(row.n) }));
}

export interface OverdueOrder {
  order: CustomerOrderRow;
  /** The oldest pending deadline, or null when the order has no pending timer. */
  oldestDeadlineAt: Date | null;
  pendingTimers: number;
}

/**
 * Orders whose oldest pending deadline lies before `cutoff` (any status: a cancelled order may still
 * owe a refund or release), and orders of the waiting `statuses` with no deadline whose last update
 * does; oldest first.
 */
export async function findOverdueOrders(em: Em, options: { statuses: readonly string[]; cutoff: Date; limit: number }): Promise<OverdueOrder[]> {
  type Row = { id: string; since: unknown; oldest_deadline: unknown; timers: number | string };
  const [late, idle] = await Promise.all([
    em.fork().execute<Row[]>(
      `select id, next_deadline_at as since, next_deadline_at as oldest_deadline, json_length(timers) as timers
         from customer_order where next_deadline_at < ? order by next_deadline_at limit ?`,
      [options.cutoff, options.limit],
    ),
    em.fork().execute<Row[]>(
      `select id, updated_at as since, null as oldest_deadline, json_length(timers) as timers
         from customer_order
        where status in (${options.statuses.map(() => '?').join(', ')}) and next_deadline_at is null and updated_at < ?
        order by updated_at limit ?`,
      [...options.statuses, options.cutoff, options.limit],
    ),
  ]);
  const rows = [...late, ...idle].sort((a, b) => utcDate(a.since).getTime() - utcDate(b.since).getTime()).slice(0, options.limit);
  if (rows.length === 0) return [];
  const orders = new Map((await em.fork().find(CustomerOrder, { id: { $in: rows.map((row) => row.id) } })).map((order) => [order.id, order]));
  return rows.flatMap((row) => {
    const order = orders.get(row.id);
    if (!order) return [];
    return [{ order, oldestDeadlineAt: row.oldest_deadline === null ? null : utcDate(row.oldest_deadline), pendingTimers: Number(row.timers) }];
  });
}

export interface StoredOrderSelection {
  orderId?: string;
  /** Orders placed at or after this instant. */
  since?: Date;
  /** Orders after this one in placement order (keyset paging). */
  after?: { createdAt: Date; id: string } | null;
  limit: number;
}

/**
 * A batch of stored orders in placement order with their histories (up to each order's event count),
 * read in one transaction so an order and its history are seen at the same point.
 */
export function readStoredOrders(em: Em, selection: StoredOrderSelection): Promise<{ order: CustomerOrderRow; history: StoredSagaEvent[] }[]> {
  return em.fork().transactional(async (tx) => {
    const { after } = selection;
    const where = {
      ...(selection.orderId ? { id: selection.orderId } : {}),
      ...(selection.since ? { createdAt: { $gte: selection.since } } : {}),
      ...(after ? { $or: [{ createdAt: { $gt: after.createdAt } }, { createdAt: after.createdAt, id: { $gt: after.id } }] } : {}),
    };
    const orders = await tx.find(CustomerOrder, where, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: selection.limit });
    if (orders.length === 0) return [];
    const events = await tx.find(SagaEvent, { orderId: { $in: orders.map((order) => order.id) } }, { orderBy: { orderId: 'asc', sequence: 'asc' } });
    return orders.map((order) => ({
      order,
      history: events.filter((event) => event.orderId === order.id && event.sequence <= order.eventCount),
    }));
  });
}

/**
 * Orders that became CONFIRMED or CANCELLED in [from, to), in the order they finished, a page at a
 * time after `after` (keyset): what the reconciler compares with the other services' records.
 */
export function findOrdersFinishedBetween(
  em: Em,
  options: { from: Date; to: Date; after?: { terminalAt: Date; id: string } | null; limit: number },
): Promise<CustomerOrderRow[]> {
  const { after } = options;
  const where = {
    terminalAt: { $gte: options.from, $lt: options.to },
    ...(after ? { $or: [{ terminalAt: { $gt: after.terminalAt } }, { terminalAt: after.terminalAt, id: { $gt: after.id } }] } : {}),
  };
  return em.fork().find(CustomerOrder, where, { orderBy: { terminalAt: 'asc', id: 'asc' }, limit: options.limit });
}
