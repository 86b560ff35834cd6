// The statechart's positions, computed by elkjs (the Eclipse Layout Kernel's layered algorithm, the
// one Stately's visualizer uses) from the machine's JSON export (toJson), so the page draws the
// machine that runs. ELK places the states left to right along their transitions, keeps children
// inside their compound state, routes every edge around the boxes and places its label so that it
// overlaps neither a box nor another label. This file only says what to lay out (sizes, the edges,
// the options) and reads ELK's answer back in page coordinates; statechart-svg.ts draws it.
import elkBundled from 'elkjs/lib/elk.bundled.js';
import type { ELK as ElkLayouter, ELKConstructorArguments, ElkExtendedEdge, ElkNode, ElkShape } from 'elkjs/lib/elk-api.js';

// elk.bundled.js is CommonJS whose module.exports is the constructor; its typings describe an ES default export.
const ELK = elkBundled as unknown as new (args?: ELKConstructorArguments) => ElkLayouter;
import type { TransitionKind } from '#statecharts/saga-types.ts';
import type { StatechartJson, StatechartState, StatechartTransition } from '#statecharts/statechart-export.ts';

export type DrawnKind = Exclude<TransitionKind, 'ignored'>;

export interface Point {
  x: number;
  y: number;
}

/** A rectangle in page coordinates: x, y is its top left corner. */
export interface Rect extends Point {
  width: number;
  height: number;
}

export interface StateBox extends Rect {
  id: string;
  label: string;
  parent: string | null;
  compound: boolean;
  terminal: boolean;
}

/** The box ELK reserved for an edge's label; the text is centred in it, one line per event. */
export interface EdgeLabel extends Rect {
  lines: string[];
}

export interface DrawnEdge {
  /** `from->to:kind`, with to = from for transitions that stay in the state. */
  id: string;
  from: string;
  /** null: the transition stays in `from` (a self-loop). */
  to: string | null;
  kind: DrawnKind;
  events: string[];
  /** One line per transition: event, guard, description (tooltips). */
  details: string[];
  /** Start, bend points, end: an orthogonal route. */
  points: Point[];
  label: EdgeLabel;
}

export interface InitialMarker {
  /** The state entered first: the machine's initial state or a compound state's initial child. */
  target: string;
  cx: number;
  cy: number;
  points: Point[];
}

export interface StatechartLayout {
  width: number;
  height: number;
  boxes: StateBox[];
  edges: DrawnEdge[];
  initialMarkers: InitialMarker[];
}

/** Text metrics of the page's CSS (sagas.css), a little generous: the server cannot measure text. */
export const LABEL_LINE_HEIGHT = 14;
const LABEL_CHAR_WIDTH = 7.2;
const LABEL_PAD = 4;
const TIMES_SUFFIX = ' ×9'.length;
const STATE_CHAR_WIDTH = 9.5;
const LEAF_HEIGHT = 58;
const MIN_LEAF_WIDTH = 150;
const COMPOUND_HEADER = 40;
const COUNT_ROOM = 90;
const INITIAL_DOT = 12;

const layoutOptions = {
  'elk.algorithm': 'layered',
  // Top to bottom: the happy path down the left, compensation to the right; a page is wider than
  // the chart then (left to right, each layer of labels between two of states made it 2,500 px wide).
  'elk.direction': 'DOWN',
  // One layout over every level, so edges into and out of CANCELLING are routed with the rest.
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  // Brandes–Köpf aligns a chain of states in one column (network simplex staggered the happy path).
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.spacing.nodeNode': '44',
  'elk.layered.spacing.nodeNodeBetweenLayers': '40',
  'elk.spacing.nodeSelfLoop': '24',
  'elk.spacing.edgeNode': '20',
  'elk.spacing.edgeEdge': '14',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '14',
  'elk.layered.spacing.edgeNodeBetweenLayers': '20',
  'elk.spacing.edgeLabel': '4',
  'elk.spacing.labelLabel': '6',
  'elk.padding': '[top=24,left=24,bottom=24,right=24]',
};

export function edgeId(from: string, to: string | null, kind: DrawnKind): string {
  return `${from}->${to ?? from}:${kind}`;
}

const cache = new Map<string, Promise<StatechartLayout>>();

/** The layout of a machine, computed once per machine id and version (ELK takes a few hundred ms). */
export function statechartLayoutOf(chart: StatechartJson): Promise<StatechartLayout> {
  const key = `${chart.id}@${chart.version ?? ''}`;
  let layout = cache.get(key);
  if (!layout) {
    layout = layoutStatechart(chart);
    cache.set(key, layout);
    layout.catch(() => cache.delete(key));
  }
  return layout;
}

export async function layoutStatechart(chart: StatechartJson): Promise<StatechartLayout> {
  const groups = groupEdges(chart.transitions.filter((transition): transition is DrawnTransition => transition.kind !== 'ignored'));
  const initials = [{ target: chart.initial, parent: null }, ...chart.states.map((state) => ({ target: state.initial, parent: state.id }))].filter(
    (initial): initial is { target: string; parent: string | null } => initial.target !== null,
  );
  const initialId = (parent: string | null) => `initial:${parent ?? ''}`;

  const nodeOf = (state: StatechartState): ElkNode => {
    const children = chart.states.filter((child) => child.parent === state.id);
    const label = labelOf(state.id);
    if (children.length === 0) {
      return { id: state.id, width: Math.max(MIN_LEAF_WIDTH, Math.ceil(label.length * STATE_CHAR_WIDTH) + 40), height: LEAF_HEIGHT };
    }
    return {
      id: state.id,
      layoutOptions: {
        'elk.padding': `[top=${COMPOUND_HEADER},left=20,bottom=20,right=20]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${Math.ceil(label.length * STATE_CHAR_WIDTH) + 28 + COUNT_ROOM}, ${COMPOUND_HEADER + LEAF_HEIGHT})`,
      },
      children: [...initialNodes(state.id), ...children.map(nodeOf)],
    };
  };
  const initialNodes = (parent: string | null): ElkNode[] =>
    initials.some((initial) => initial.parent === parent) ? [{ id: initialId(parent), width: INITIAL_DOT, height: INITIAL_DOT }] : [];

  const graph: ElkNode = {
    id: 'root',
    layoutOptions,
    children: [...initialNodes(null), ...chart.states.filter((state) => state.parent === null).map(nodeOf)],
    edges: [
      ...initials.map((initial): ElkExtendedEdge => ({
        id: `${initialId(initial.parent)}->${initial.target}`,
        sources: [initialId(initial.parent)],
        targets: [initial.target],
      })),
      ...groups.map((group): ElkExtendedEdge => ({
        id: group.id,
        sources: [group.from],
        targets: [group.to ?? group.from],
        labels: [{ text: group.events.join('\n'), ...labelSize(group.events) }],
      })),
    ],
  };
  const laidOut = await new ELK().layout(graph);

  // ELK answers with positions relative to the parent node (nodes) or to the edge's container (edges).
  const origin = new Map<string, Point>([['root', { x: 0, y: 0 }]]);
  const boxes: StateBox[] = [];
  const states = new Map(chart.states.map((state) => [state.id, state]));
  const visit = (node: ElkNode, parentOrigin: Point) => {
    const at = { x: parentOrigin.x + node.x!, y: parentOrigin.y + node.y! };
    origin.set(node.id, at);
    const state = states.get(node.id);
    if (state) {
      boxes.push({
        id: state.id,
        label: labelOf(state.id),
        parent: state.parent,
        ...roundRect({ ...at, width: node.width!, height: node.height! }),
        compound: (node.children ?? []).some((child) => states.has(child.id)),
        terminal: state.terminal,
      });
    }
    for (const child of node.children ?? []) visit(child, at);
  };
  for (const child of laidOut.children ?? []) visit(child, { x: 0, y: 0 });

  const elkEdges = new Map((laidOut.edges ?? []).map((edge) => [edge.id, edge]));
  const routeOf = (id: string) => {
    const edge = elkEdges.get(id)!;
    const offset = origin.get(edge.container ?? 'root')!;
    const shift = (point: ElkShape) => ({ x: point.x! + offset.x, y: point.y! + offset.y });
    const points = (edge.sections ?? []).flatMap((section) => [section.startPoint, ...(section.bendPoints ?? []), section.endPoint]);
    const label = edge.labels?.[0];
    return {
      points: points.map((point) => roundPoint(shift(point))),
      label: label && roundRect({ ...shift(label), width: label.width!, height: label.height! }),
    };
  };
  const edges = groups.map((group): DrawnEdge => {
    const { points, label } = routeOf(group.id);
    return { ...group, points, label: { ...label!, lines: group.events } };
  });
  const initialMarkers = initials.map((initial): InitialMarker => {
    const dot = origin.get(initialId(initial.parent))!;
    return {
      target: initial.target,
      cx: round(dot.x + INITIAL_DOT / 2),
      cy: round(dot.y + INITIAL_DOT / 2),
      points: routeOf(`${initialId(initial.parent)}->${initial.target}`).points,
    };
  });
  return { width: Math.ceil(laidOut.width!), height: Math.ceil(laidOut.height!), boxes, edges, initialMarkers };
}

type DrawnTransition = StatechartTransition & { kind: DrawnKind };

/** Transitions grouped per (from, to, kind): one edge each, labelled with their events. */
function groupEdges(transitions: DrawnTransition[]): Omit<DrawnEdge, 'points' | 'label'>[] {
  const groups = new Map<string, Omit<DrawnEdge, 'points' | 'label'>>();
  for (const transition of transitions) {
    const to = transition.to === transition.from ? null : transition.to;
    const id = edgeId(transition.from, to, transition.kind);
    const group = groups.get(id) ?? { id, from: transition.from, to, kind: transition.kind, events: [], details: [] };
    if (!group.events.includes(transition.event)) group.events.push(transition.event);
    group.details.push(
      [transition.event, transition.guard ? `[${transition.guard}]` : '', transition.description ? `— ${transition.description}` : '']
        .filter(Boolean)
        .join(' '),
    );
    groups.set(id, group);
  }
  return [...groups.values()];
}

/** Room for the text, and for the " ×3" an order's page adds to the last line of an edge taken more than once. */
function labelSize(lines: string[]): { width: number; height: number } {
  const longest = Math.max(...lines.map((line, index) => line.length + (index === lines.length - 1 ? TIMES_SUFFIX : 0)));
  return {
    width: Math.ceil(longest * LABEL_CHAR_WIDTH) + 2 * LABEL_PAD,
    height: lines.length * LABEL_LINE_HEIGHT + LABEL_PAD,
  };
}

function labelOf(id: string): string {
  return id.split('.').at(-1)!;
}

const round = (value: number) => Math.round(value * 10) / 10;
const roundPoint = (point: Point): Point => ({ x: round(point.x), y: round(point.y) });
const roundRect = (rect: Rect): Rect => ({ ...roundPoint(rect), width: round(rect.width), height: round(rect.height) });
