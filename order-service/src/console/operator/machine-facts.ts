// What the operator code reads from the machine definition itself (via its JSON export), so it
// follows the machine when it changes.
import { orderSagaMachine } from '#statecharts/order-saga.machine.ts';
import type { OrderStatus } from '#statecharts/saga-types.ts';
import { toJson, type StatechartJson } from '#statecharts/statechart-export.ts';

export const orderSagaChart: StatechartJson = toJson(orderSagaMachine);

const topLevel = orderSagaChart.states.filter((state) => state.parent === null);
/** Statuses (top-level states) an order stays in for good, and the others. */
export const terminalStatuses = topLevel.filter((state) => state.terminal).map((state) => state.id as OrderStatus);
export const activeStatuses = topLevel.filter((state) => !state.terminal).map((state) => state.id as OrderStatus);
/** Statuses whose orders are in one of several substates (CANCELLING). */
export const compoundStatuses = topLevel.filter((state) => state.initial !== null).map((state) => state.id as OrderStatus);

/** "CANCELLING.releasingStock" → itself and "CANCELLING" (a state is also in its ancestors). */
export function selfAndAncestors(state: string): string[] {
  return state.split(',').flatMap((region) => region.split('.').map((_, index, parts) => parts.slice(0, index + 1).join('.')));
}

/**
 * Why the machine does nothing with this event in this state: the descriptions of its explicit
 * no-ops (e.g. "already compensating"), or an empty list if it has no transition for it at all.
 */
export function noOpReasons(state: string, eventType: string, chart: StatechartJson = orderSagaChart): string[] {
  const states = selfAndAncestors(state);
  const reasons = chart.transitions
    .filter((transition) => transition.kind === 'ignored' && transition.event === eventType && states.includes(transition.from))
    .map((transition) => transition.description ?? 'ignored');
  return [...new Set(reasons)];
}
