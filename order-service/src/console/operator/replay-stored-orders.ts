import type { Em } from '#shared/db/orm.ts';
import { advanceOrderSaga, persistOrderSaga, startOrderSaga, type OrderSagaSnapshot } from '#statecharts/order-saga.ts';
import type { OrderSagaInput } from '#statecharts/saga-types.ts';
import type { CustomerOrderRow } from '../../saga/order.entity.ts';
import { readStoredOrders } from '../../saga/saga-reads.ts';
import { stateName } from '../../saga/saga-step.ts';
import { replayOrder, type ReplayedOrder, type ReplayMachine, type ReplayResult } from './saga-replay.ts';

/** The machine the service runs now. */
export const currentOrderSaga: ReplayMachine<OrderSagaSnapshot> = {
  start: startOrderSaga,
  advance: advanceOrderSaga,
  stateOf: (snapshot) => stateName(snapshot.value),
  persist: (snapshot) => {
    const persisted = persistOrderSaga(snapshot);
    return { value: persisted.value, context: persisted.context };
  },
};

/** The input the order's saga was started with: the order row, and the settings its context copied. */
export function replayInputOf(order: CustomerOrderRow): OrderSagaInput {
  return {
    orderId: order.id,
    customerId: order.customerId,
    items: order.items.map((item) => ({ productId: item.productId, quantity: item.quantity, price: item.price })),
    price: order.price,
    settings: order.snapshot.context.settings,
  };
}

export interface ReplaySelection {
  orderId?: string;
  /** Orders placed at or after this instant. */
  since?: Date;
  batchSize?: number;
}

/**
 * Replays stored orders (one, or all placed since a date) through `machine`, a batch at a time,
 * each batch read in one transaction so an order and its history are seen at the same point.
 */
export async function replayStoredOrders<S>(
  em: Em,
  machine: ReplayMachine<S>,
  selection: ReplaySelection,
  onResult: (result: ReplayResult) => void,
): Promise<{ orders: number; events: number; diverged: number }> {
  const batchSize = selection.batchSize ?? 200;
  const totals = { orders: 0, events: 0, diverged: 0 };
  let after: { createdAt: Date; id: string } | null = null;
  for (;;) {
    const stored = await readStoredOrders(em, { orderId: selection.orderId, since: selection.since, after, limit: batchSize });
    const batch: (ReplayedOrder & { createdAt: Date })[] = stored.map(({ order, history }) => ({
      orderId: order.id,
      input: replayInputOf(order),
      storedSnapshot: { value: order.snapshot.value, context: order.snapshot.context },
      history: history.map((event) => ({
        sequence: event.sequence,
        eventType: event.eventType,
        event: event.event,
        stateBefore: event.stateBefore ?? null,
        stateAfter: event.stateAfter,
        effects: event.effects,
        changed: event.changed,
        machineVersion: event.machineVersion,
      })),
      createdAt: order.createdAt,
    }));
    for (const order of batch) {
      const result = replayOrder(machine, order);
      totals.orders++;
      totals.events += result.steps;
      if (result.divergence) totals.diverged++;
      onResult(result);
    }
    if (batch.length < batchSize || selection.orderId) return totals;
    const last = batch.at(-1)!;
    after = { createdAt: last.createdAt, id: last.orderId };
  }
}
