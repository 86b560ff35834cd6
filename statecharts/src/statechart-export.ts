// Diagrams and a JSON table generated from the machine definition itself, so
// documentation cannot drift from the code that runs.
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';
import type { TransitionKind } from './saga-types.ts';

export interface StatechartState {
  /** Dotted path below the machine, e.g. "CANCELLING.releasingStock". */
  id: string;
  parent: string | null;
  initial: string | null;
  terminal: boolean;
}

export interface StatechartTransition {
  from: string;
  /** null: the state does not change (retries, late-reply reactions, explicit no-ops). */
  to: string | null;
  event: string;
  kind: TransitionKind;
  guard: string | null;
  description: string | null;
}

export interface StatechartJson {
  id: string;
  version: string | null;
  initial: string | null;
  states: StatechartState[];
  transitions: StatechartTransition[];
}

export function toJson(machine: AnyStateMachine): StatechartJson {
  const nodes = descendantsOf(machine.root);
  return {
    id: machine.id,
    version: machine.version ?? null,
    initial: initialOf(machine.root),
    states: nodes.map((node) => ({
      id: pathOf(node),
      parent: node.parent && node.parent !== machine.root ? pathOf(node.parent) : null,
      initial: initialOf(node),
      terminal: isTerminalNode(node),
    })),
    transitions: nodes.flatMap((node) =>
      transitionsOf(node).map((transition) => ({
        from: pathOf(node),
        to: transition.target ? pathOf(transition.target[0]!) : null,
        event: transition.eventType,
        kind: kindOf(transition),
        guard: guardNameOf(transition),
        description: transition.description ?? null,
      })),
    ),
  };
}

/**
 * Mermaid stateDiagram-v2. Explicit no-ops are left out (they would double the
 * edges and say "nothing happens"); toJson lists them. Mermaid cannot style
 * edges in state diagrams, so timeout/compensation/anomaly edges carry a label suffix.
 */
export function toMermaid(machine: AnyStateMachine): string {
  const chart = toJson(machine);
  const lines = ['stateDiagram-v2', '  classDef terminal font-weight:bold,stroke-width:3px'];
  if (chart.initial) lines.push(`  [*] --> ${mermaidId(chart.initial)}`);

  const drawn = chart.transitions.filter((transition) => transition.kind !== 'ignored');
  const edgesDrawnInside = new Set<StatechartTransition>();
  for (const state of chart.states.filter((candidate) => candidate.parent === null)) {
    lines.push(...mermaidState(state, chart, drawn, edgesDrawnInside, '  '));
  }
  for (const transition of drawn.filter((candidate) => !edgesDrawnInside.has(candidate))) {
    lines.push(`  ${mermaidEdge(transition)}`);
  }
  for (const state of chart.states.filter((candidate) => candidate.terminal)) {
    lines.push(`  ${mermaidId(state.id)} --> [*]`, `  class ${mermaidId(state.id)} terminal`);
  }
  return `${lines.join('\n')}\n`;
}

function mermaidState(
  state: StatechartState,
  chart: StatechartJson,
  drawn: StatechartTransition[],
  edgesDrawnInside: Set<StatechartTransition>,
  indent: string,
): string[] {
  const children = chart.states.filter((candidate) => candidate.parent === state.id);
  const id = mermaidId(state.id);
  const label = state.id.split('.').at(-1)!;
  if (children.length === 0) return [label === id ? `${indent}${id}` : `${indent}state "${label}" as ${id}`];

  const inside = (path: string | null) => path !== null && children.some((child) => child.id === path);
  const lines = [`${indent}state ${id} {`];
  if (state.initial) lines.push(`${indent}  [*] --> ${mermaidId(state.initial)}`);
  for (const child of children) lines.push(...mermaidState(child, chart, drawn, edgesDrawnInside, `${indent}  `));
  for (const transition of drawn) {
    if (inside(transition.from) && (transition.to === null || inside(transition.to))) {
      lines.push(`${indent}  ${mermaidEdge(transition)}`);
      edgesDrawnInside.add(transition);
    }
  }
  lines.push(`${indent}}`);
  return lines;
}

function mermaidEdge(transition: StatechartTransition): string {
  const guard = transition.guard ? ` [${transition.guard}]` : '';
  const kind = transition.kind === 'forward' ? '' : ` (${transition.kind})`;
  const to = transition.to ?? transition.from;
  return `${mermaidId(transition.from)} --> ${mermaidId(to)} : ${transition.event}${guard}${kind}`;
}

function mermaidId(path: string): string {
  return path.replaceAll('.', '_');
}

function descendantsOf(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states).flatMap((child) => [child, ...descendantsOf(child)]);
}

function transitionsOf(node: AnyStateNode): AnyTransitionDefinition[] {
  return [...node.transitions.values()].flat();
}

function pathOf(node: AnyStateNode): string {
  return node.path.join('.');
}

function initialOf(node: AnyStateNode): string | null {
  const target = node.type === 'compound' ? node.initial.target[0] : undefined;
  return target ? pathOf(target) : null;
}

function isTerminalNode(node: AnyStateNode): boolean {
  return node.type === 'final' || node.tags.includes('terminal');
}

function kindOf(transition: AnyTransitionDefinition): TransitionKind {
  const kind: unknown = transition.meta?.kind;
  return typeof kind === 'string' ? (kind as TransitionKind) : 'forward';
}

function guardNameOf(transition: AnyTransitionDefinition): string | null {
  const { guard } = transition;
  if (!guard) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return guard.name || 'inline';
  return guard.type;
}
