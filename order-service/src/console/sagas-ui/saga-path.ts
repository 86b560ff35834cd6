import { selfAndAncestors } from '../operator/machine-facts.ts';
import type { StatechartLayout } from './statechart-layout.ts';

/** The part of a saga_event row the diagram needs. */
export interface PathStep {
  eventType: string;
  stateBefore: string | null;
  stateAfter: string;
  changed: boolean;
}

export interface SagaPath {
  /** Every state the order was in, with the compound states around them. */
  visited: Set<string>;
  /** Drawn edge id → how many times the order took it. */
  taken: Map<string, number>;
  /** The deepest state the order is in now. */
  current: string | null;
  /** Steps that changed the saga but match no drawn edge (should not happen; shown rather than hidden). */
  unmatched: PathStep[];
}

/**
 * Which states and drawn transitions an order's history went through. A step matches the edge for
 * its event whose source contains the state before and whose target contains the state after (a
 * self-loop: the state did not change); the most specific source wins.
 */
export function sagaPathOf(layout: Pick<StatechartLayout, 'edges'>, steps: readonly PathStep[]): SagaPath {
  const visited = new Set<string>();
  const taken = new Map<string, number>();
  const unmatched: PathStep[] = [];
  let current: string | null = null;
  for (const step of steps) {
    for (const state of [step.stateBefore, step.stateAfter]) {
      if (state) selfAndAncestors(state).forEach((id) => visited.add(id));
    }
    current = step.stateAfter;
    if (!step.changed || step.stateBefore === null) continue;
    const before = selfAndAncestors(step.stateBefore);
    const after = selfAndAncestors(step.stateAfter);
    const candidates = layout.edges.filter(
      (edge) =>
        edge.events.includes(step.eventType) &&
        before.includes(edge.from) &&
        (edge.to === null ? step.stateAfter === step.stateBefore : after.includes(edge.to)),
    );
    const best = candidates.sort((a, b) => b.from.split('.').length - a.from.split('.').length)[0];
    if (best) taken.set(best.id, (taken.get(best.id) ?? 0) + 1);
    else unmatched.push(step);
  }
  return { visited, taken, current, unmatched };
}
