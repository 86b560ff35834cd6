import { defineEntity, p } from '@mikro-orm/core';
import type { OrderStatus } from '#statecharts/saga-types.ts';
import type { PersistedOrderSaga } from '#statecharts/order-saga.ts';
import type { PendingTimers } from './pending-timers.ts';

export interface OrderLine {
  productId: string;
  quantity: number;
  price: number;
}

export interface DeliveryAddress {
  street: string;
  postalCode: string;
  city: string;
}

/**
 * An order and its saga are one row: the order IS a persisted machine, with the deadlines it waits
 * on. `status` and `failureMessages` are read models of the snapshot, kept in the row for queries.
 */
export const CustomerOrder = defineEntity({
  name: 'CustomerOrder',
  tableName: 'customer_order',
  properties: {
    id: p.string().length(36).primary(),
    customerId: p.string().length(36),
    price: p.bigint('number'),
    items: p.json<OrderLine[]>(),
    address: p.json<DeliveryAddress>(),
    status: p.string().length(20).$type<OrderStatus>(),
    failureMessages: p.json<string[]>(),
    snapshot: p.json<PersistedOrderSaga>(),
    machineVersion: p.string().length(20),
    eventCount: p.integer(),
    /** Deadlines the saga waits on; the BullMQ jobs and the sweep fire them. */
    timers: p.json<PendingTimers>(),
    /** The earliest of `timers`, indexed for the sweep. */
    nextDeadlineAt: p.datetime(3).nullable(),
    idempotencyKey: p.string().length(200).nullable(),
    requestHash: p.string().length(64).nullable(),
    createdAt: p.datetime(3),
    updatedAt: p.datetime(3),
    terminalAt: p.datetime(3).nullable(),
    /** W3C traceparent of the placement (null when tracing was off): timer firings join the order's trace. */
    traceParent: p.string().length(55).nullable(),
  },
});
export type CustomerOrderRow = InstanceType<typeof CustomerOrder.class>;
