import { describe, expect, it } from 'vitest';
import { toDirectedGraph } from 'xstate/graph';
import type { DirectedGraphNode } from 'xstate/graph';
import { ORDER_SAGA_VERSION, orderSagaMachine } from './order-saga.machine.ts';
import { toJson, toMermaid } from './statechart-export.ts';
import { ORDER_SAGA_EVENT_TYPES, ORDER_STATUSES } from './saga-types.ts';

describe('toMermaid', () => {
  const mermaid = toMermaid(orderSagaMachine);

  it('is a state diagram that names every state and every event', () => {
    expect(mermaid.startsWith('stateDiagram-v2\n')).toBe(true);
    for (const state of [...ORDER_STATUSES, 'releasingStock', 'refundingPayment']) expect(mermaid).toContain(state);
    for (const event of ORDER_SAGA_EVENT_TYPES) expect(mermaid).toContain(`: ${event}`);
  });

  it('draws CANCELLING as a composite state and marks timeout and compensation edges', () => {
    expect(mermaid).toContain('  state CANCELLING {\n    [*] --> CANCELLING_releasingStock');
    expect(mermaid).toContain('PENDING --> PENDING : ReservationTimedOut [hasAttemptsLeft] (timeout)');
    expect(mermaid).toContain('RESERVED --> CANCELLING : PaymentFailed (compensation)');
    expect(mermaid).toContain('CANCELLING_releasingStock --> CONFIRMED : StockReleaseRefused [stockMayBeConfirmed] (compensation)');
    expect(mermaid).toContain('CANCELLED --> [*]');
    expect(mermaid).not.toContain('(ignored)');
  });
});

describe('toJson', () => {
  const chart = toJson(orderSagaMachine);

  it('survives a JSON round trip unchanged', () => {
    expect(JSON.parse(JSON.stringify(chart))).toEqual(chart);
  });

  it('describes the machine, its version and its states', () => {
    expect(chart.id).toBe('orderSaga');
    expect(chart.version).toBe(ORDER_SAGA_VERSION);
    expect(chart.initial).toBe('PENDING');
    expect(chart.states.map((state) => state.id)).toEqual([
      'PENDING',
      'RESERVED',
      'PAID',
      'CONFIRMED',
      'CANCELLING',
      'CANCELLING.releasingStock',
      'CANCELLING.refundingPayment',
      'CANCELLED',
    ]);
    expect(chart.states.filter((state) => state.terminal).map((state) => state.id)).toEqual(['CONFIRMED', 'CANCELLED']);
  });

  it('lists transitions with their kind, including explicit no-ops', () => {
    expect(chart.transitions).toContainEqual({
      from: 'PENDING',
      to: 'CANCELLING',
      event: 'ReservationTimedOut',
      kind: 'timeout',
      guard: null,
      description: null,
    });
    expect(chart.transitions).toContainEqual({
      from: 'RESERVED',
      to: null,
      event: 'StockReserved',
      kind: 'ignored',
      guard: null,
      description: 'duplicate of a reply already handled',
    });
    const kinds = new Set(chart.transitions.map((transition) => transition.kind));
    expect([...kinds].sort()).toEqual(['anomaly', 'compensation', 'forward', 'ignored', 'timeout']);
  });
});

describe('XState keeps transition meta for other tools', () => {
  it('toDirectedGraph edges expose meta.kind on their transition', () => {
    const edges = (node: DirectedGraphNode): DirectedGraphNode['edges'] => [...node.edges, ...node.children.flatMap(edges)];
    const failed = edges(toDirectedGraph(orderSagaMachine)).find((edge) => edge.source.key === 'RESERVED' && edge.label.text === 'PaymentFailed');
    expect(failed?.target.key).toBe('CANCELLING');
    expect(failed?.transition.meta).toEqual({ kind: 'compensation' });
  });
});
