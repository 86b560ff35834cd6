// A small, deterministic layout of a statechart from its JSON export (toJson), so the page draws
// the machine that runs rather than a picture of it.
//  - Top level, row 1: the longest chain of forward transitions from the initial state (the happy
//    path). Row 2: every other top-level state, ordered and placed under the mean position of the
//    row-1 states it is connected to (the barycenter heuristic of layered graph drawing).
//  - A compound state stacks its children in a column, their self-loops on the side away from
//    their transitions to the outside.
//  - Transitions are grouped per (from, to, kind); parallel groups between two boxes curve apart;
//    edges meeting a compound box are spread along its border in the order of their other ends.
import type { TransitionKind } from '#statecharts/saga-types.ts';
import type { StatechartJson, StatechartState, StatechartTransition } from '#statecharts/statechart-export.ts';

export type DrawnKind = Exclude<TransitionKind, 'ignored'>;

export interface StateBox {
  id: string;
  label: string;
  parent: string | null;
  x: number;
  y: number;
  width: number;
  height: number;
  compound: boolean;
  terminal: boolean;
  /** Self-loops (retries, reactions in place) are drawn on this side of the box. */
  loopSide: 'top' | 'bottom' | 'left' | 'right';
}

export interface EdgeLabel {
  x: number;
  y: number;
  anchor: 'start' | 'middle' | 'end';
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
  path: string;
  label: EdgeLabel;
}

export interface InitialMarker {
  /** The state entered first: the machine's initial state or a compound state's initial child. */
  target: string;
  cx: number;
  cy: number;
  path: string;
}

export interface StatechartLayout {
  width: number;
  height: number;
  boxes: StateBox[];
  edges: DrawnEdge[];
  initialMarkers: InitialMarker[];
}

const CHAR_WIDTH = 7.2;
const LINE_HEIGHT = 14;
const LEAF_HEIGHT = 58;
const MIN_LEAF_WIDTH = 150;
const GAP_X = 150;
const ROW_GAP = 220;
const MARGIN = 24;
const INITIAL_ROOM = 46;
const COMPOUND_HEADER = 34;
const COMPOUND_PAD = 24;
const CHILD_INITIAL_ROOM = 30;
const CHILD_GAP = 110;
const CHILD_LOOP_ROOM = 170;
const LOOP_ROOM = 74;
const PARALLEL_SPREAD = 40;

type Point = { x: number; y: number };

export function edgeId(from: string, to: string | null, kind: DrawnKind): string {
  return `${from}->${to ?? from}:${kind}`;
}

export function layoutStatechart(chart: StatechartJson): StatechartLayout {
  const first = layoutWithLeftPad(chart, 0);
  // Labels that stick out to the left of the first box: lay out again with room for them.
  return first.overhang > 0 ? layoutWithLeftPad(chart, first.overhang).layout : first.layout;
}

function layoutWithLeftPad(chart: StatechartJson, leftPad: number): { layout: StatechartLayout; overhang: number } {
  const states = new Map(chart.states.map((state) => [state.id, state]));
  const childrenOf = (parent: string | null) => chart.states.filter((state) => state.parent === parent);
  const ancestry = (id: string | null): string[] => {
    const chain: string[] = [];
    for (let current = id; current; current = states.get(current)?.parent ?? null) chain.unshift(current);
    return chain;
  };
  const drawn = chart.transitions.filter((transition): transition is StatechartTransition & { kind: DrawnKind } => transition.kind !== 'ignored');
  const groups = groupEdges(drawn);

  // Sizes, bottom-up.
  const size = new Map<string, { width: number; height: number }>();
  const columnOf = new Map<string, string[]>();
  const measure = (state: StatechartState): { width: number; height: number } => {
    const children = childrenOf(state.id);
    let measured: { width: number; height: number };
    if (children.length === 0) {
      measured = { width: Math.max(MIN_LEAF_WIDTH, Math.ceil(labelOf(state.id).length * CHAR_WIDTH * 1.15) + 40), height: LEAF_HEIGHT };
    } else {
      const column = orderSiblings(children, state.initial, drawn, states).flat();
      columnOf.set(state.id, column);
      const sizes = column.map((id) => measure(states.get(id)!));
      measured = {
        width: Math.max(COMPOUND_PAD + Math.max(...sizes.map((child) => child.width)) + CHILD_LOOP_ROOM, labelOf(state.id).length * CHAR_WIDTH + 160),
        height:
          COMPOUND_HEADER + CHILD_INITIAL_ROOM + sizes.reduce((sum, child) => sum + child.height, 0) + CHILD_GAP * (column.length - 1) + COMPOUND_PAD,
      };
    }
    size.set(state.id, measured);
    return measured;
  };
  const topLevel = childrenOf(null);
  topLevel.forEach(measure);

  // Top-level rows: the happy path, then the rest under their neighbours.
  const [happy, rest] = orderSiblings(topLevel, chart.initial, drawn, states);
  const topOf = (id: string | null) => ancestry(id)[0] ?? null;
  const neighbours = (id: string) =>
    drawn.flatMap((transition) => {
      const from = topOf(transition.from);
      const to = topOf(transition.to);
      if (from === id && to && to !== id) return [to];
      if (to === id && from && from !== id) return [from];
      return [];
    });
  const position = new Map<string, Point>();
  let x = MARGIN + INITIAL_ROOM + leftPad;
  const rowY = MARGIN + LOOP_ROOM;
  for (const id of happy) {
    position.set(id, { x, y: rowY });
    x += size.get(id)!.width + GAP_X;
  }
  const firstRowHeight = Math.max(...happy.map((id) => size.get(id)!.height));
  const secondRowY = rowY + firstRowHeight + ROW_GAP;
  const centreX = (id: string) => position.get(id)!.x + size.get(id)!.width / 2;
  const wanted = rest.map((id, index) => {
    const above = neighbours(id).filter((other) => happy.includes(other));
    const mean = above.length > 0 ? above.reduce((sum, other) => sum + centreX(other), 0) / above.length : Infinity;
    return { id, mean, index };
  });
  wanted.sort((a, b) => a.mean - b.mean || a.index - b.index);
  const secondRowHeight = Math.max(0, ...rest.map((id) => size.get(id)!.height));
  let right = MARGIN + INITIAL_ROOM + leftPad - GAP_X;
  for (const { id, mean } of wanted) {
    const { width, height } = size.get(id)!;
    const left = Math.max(Number.isFinite(mean) ? mean - width / 2 : -Infinity, right + GAP_X, MARGIN + INITIAL_ROOM + leftPad);
    position.set(id, { x: left, y: secondRowY + (secondRowHeight - height) / 2 });
    right = left + width;
  }

  const boxes: StateBox[] = [];
  const boxOf = new Map<string, StateBox>();
  const addBox = (id: string, at: Point, loopSide: StateBox['loopSide']) => {
    const state = states.get(id)!;
    const box: StateBox = { id, label: labelOf(id), parent: state.parent, x: at.x, y: at.y, ...size.get(id)!, compound: columnOf.has(id), terminal: state.terminal, loopSide };
    boxes.push(box);
    boxOf.set(id, box);
    return box;
  };
  for (const id of [...happy, ...rest]) {
    const box = addBox(id, position.get(id)!, happy.includes(id) && rest.length > 0 ? 'top' : 'bottom');
    placeChildren(box);
  }
  function placeChildren(box: StateBox) {
    const column = columnOf.get(box.id);
    if (!column) return;
    // Self-loops go on the side fewer transitions to the outside leave from.
    const inside = (id: string | null) => id !== null && ancestry(id).includes(box.id);
    let pull = 0;
    for (const transition of drawn) {
      const other = inside(transition.from) && !inside(transition.to) ? transition.to : !inside(transition.from) && inside(transition.to) ? transition.from : null;
      const otherTop = topOf(other);
      if (otherTop && position.has(otherTop)) pull += Math.sign(centreX(otherTop) - (box.x + box.width / 2));
    }
    const loopSide = pull > 0 ? 'left' : 'right';
    let childY = box.y + COMPOUND_HEADER + CHILD_INITIAL_ROOM;
    for (const child of column) {
      const childX = loopSide === 'left' ? box.x + CHILD_LOOP_ROOM : box.x + COMPOUND_PAD;
      placeChildren(addBox(child, { x: childX, y: childY }, loopSide));
      childY += size.get(child)!.height + CHILD_GAP;
    }
  }

  // Edges between two boxes; a compound box's ends are spread along the side they meet.
  const between = groups.filter((group) => group.to !== null);
  const compoundEnds = spreadCompoundEnds(between, boxOf);
  const pairs = new Map<string, EdgeGroup[]>();
  for (const group of between) {
    const key = [group.from, group.to].sort().join('|');
    pairs.set(key, [...(pairs.get(key) ?? []), group]);
  }
  const drawnEdges = new Map<string, DrawnEdge & { candidates?: EdgeLabel[] }>();
  for (const [key, pair] of pairs) {
    const [first, second] = key.split('|') as [string, string];
    pair.forEach((group, index) => {
      const offset = compoundEnds.has(group.id) ? 0 : (index - (pair.length - 1) / 2) * PARALLEL_SPREAD;
      drawnEdges.set(group.id, curvedEdge(group, boxOf, centreOf(boxOf.get(first)!), centreOf(boxOf.get(second)!), offset, compoundEnds.get(group.id)));
    });
  }
  const loopsOn = new Map<string, EdgeGroup[]>();
  for (const group of groups.filter((candidate) => candidate.to === null)) loopsOn.set(group.from, [...(loopsOn.get(group.from) ?? []), group]);
  for (const [stateId, loops] of loopsOn) {
    loops.forEach((group, index) => drawnEdges.set(group.id, selfLoop(group, boxOf.get(stateId)!, index, loops.length)));
  }
  const edges = placeLabels(
    groups.map((group) => drawnEdges.get(group.id)!),
    boxes.filter((box) => !box.compound),
  );

  // Initial markers: a dot and an arrow into the state entered first.
  const initialMarkers: InitialMarker[] = [];
  for (const target of [chart.initial, ...chart.states.map((state) => state.initial)]) {
    if (!target) continue;
    const box = boxOf.get(target)!;
    if (box.parent === null) {
      const cy = box.y + box.height / 2;
      const cx = box.x - INITIAL_ROOM + 12;
      initialMarkers.push({ target, cx, cy, path: `M ${cx + 6} ${cy} L ${box.x - 2} ${cy}` });
    } else {
      const cx = box.x + box.width / 2;
      const cy = box.y - CHILD_INITIAL_ROOM + 8;
      initialMarkers.push({ target, cx, cy, path: `M ${cx} ${cy + 6} L ${cx} ${box.y - 2}` });
    }
  }

  const labelExtent = edges.map((edge) => labelRect(edge.label));
  const overhang = Math.max(0, MARGIN - Math.min(...labelExtent.map((extent) => extent.left)));
  const width = Math.max(...boxes.map((box) => box.x + box.width), ...labelExtent.map((extent) => extent.right)) + MARGIN;
  const height = Math.max(...boxes.map((box) => box.y + box.height + LOOP_ROOM), ...labelExtent.map((extent) => extent.bottom)) + MARGIN;
  return { layout: { width: Math.ceil(width), height: Math.ceil(height), boxes, edges, initialMarkers }, overhang: Math.ceil(overhang) };
}

interface EdgeGroup {
  id: string;
  from: string;
  to: string | null;
  kind: DrawnKind;
  events: string[];
  details: string[];
}

function groupEdges(transitions: (StatechartTransition & { kind: DrawnKind })[]): EdgeGroup[] {
  const groups = new Map<string, EdgeGroup>();
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

/**
 * Siblings in two lists: the longest chain of forward transitions from the initial sibling, then
 * the others by their longest distance from it over every transition (unreachable ones last).
 */
function orderSiblings(
  siblings: StatechartState[],
  initial: string | null,
  transitions: StatechartTransition[],
  states: Map<string, StatechartState>,
): [string[], string[]] {
  const ids = siblings.map((state) => state.id);
  const lift = (id: string | null): string | null => {
    for (let current = id; current; current = states.get(current)?.parent ?? null) {
      if (ids.includes(current)) return current;
    }
    return null;
  };
  const lifted = transitions
    .map((transition) => ({ from: lift(transition.from), to: lift(transition.to), forward: transition.kind === 'forward' }))
    .filter((edge): edge is { from: string; to: string; forward: boolean } => edge.from !== null && edge.to !== null && edge.from !== edge.to);
  const start = initial && ids.includes(initial) ? initial : ids[0]!;

  let happy: string[] = [start];
  const distance = new Map<string, number>([[start, 0]]);
  const walk = (path: string[], onlyForward: boolean) => {
    const last = path.at(-1)!;
    if (onlyForward && path.length > happy.length) happy = path;
    if (!onlyForward) distance.set(last, Math.max(distance.get(last) ?? 0, path.length - 1));
    for (const edge of lifted) {
      if (edge.from === last && (!onlyForward || edge.forward) && !path.includes(edge.to)) walk([...path, edge.to], onlyForward);
    }
  };
  walk([start], true);
  walk([start], false);
  const rest = ids
    .filter((id) => !happy.includes(id))
    .sort((a, b) => (distance.get(a) ?? Infinity) - (distance.get(b) ?? Infinity) || ids.indexOf(a) - ids.indexOf(b));
  return [happy, rest];
}

/** For edges meeting a compound box: their end on its border, spread in the order of the other ends. */
function spreadCompoundEnds(groups: EdgeGroup[], boxOf: Map<string, StateBox>): Map<string, { from?: Point; to?: Point }> {
  const ends = new Map<string, { from?: Point; to?: Point }>();
  for (const box of [...boxOf.values()].filter((candidate) => candidate.compound)) {
    const meeting = groups
      .filter((group) => group.from === box.id || group.to === box.id)
      .map((group) => ({ group, other: centreOf(boxOf.get(group.from === box.id ? group.to! : group.from)!), end: group.from === box.id ? 'from' : 'to' }) as const);
    const bySide = new Map<'top' | 'bottom', typeof meeting>();
    for (const entry of meeting) {
      const side = entry.other.y < box.y + box.height / 2 ? 'top' : 'bottom';
      bySide.set(side, [...(bySide.get(side) ?? []), entry]);
    }
    for (const [side, list] of bySide) {
      list.sort((a, b) => a.other.x - b.other.x || kindOrder(a.group.kind) - kindOrder(b.group.kind));
      const inset = 36;
      const step = (box.width - 2 * inset) / Math.max(1, list.length - 1);
      list.forEach((entry, index) => {
        const point = { x: list.length === 1 ? box.x + box.width / 2 : box.x + inset + step * index, y: side === 'top' ? box.y : box.y + box.height };
        ends.set(entry.group.id, { ...ends.get(entry.group.id), [entry.end]: point });
      });
    }
  }
  return ends;
}

interface Rect {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function labelRect(label: EdgeLabel): Rect {
  const width = labelWidth(label.lines);
  const left = label.anchor === 'start' ? label.x : label.anchor === 'end' ? label.x - width : label.x - width / 2;
  return { left, right: left + width, top: label.y - 11, bottom: label.y + (label.lines.length - 1) * LINE_HEIGHT + 4 };
}

const overlaps = (a: Rect, b: Rect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

/**
 * Self-loop labels stay where they are; every other label takes the first of its candidate spots
 * that overlaps no label placed before it and no state box (else its first spot).
 */
function placeLabels(edges: (DrawnEdge & { candidates?: EdgeLabel[] })[], leafBoxes: StateBox[]): DrawnEdge[] {
  const taken: Rect[] = leafBoxes.map((box) => ({ left: box.x, right: box.x + box.width, top: box.y, bottom: box.y + box.height }));
  for (const edge of edges.filter((candidate) => !candidate.candidates)) taken.push(labelRect(edge.label));
  return edges.map(({ candidates, ...edge }) => {
    if (!candidates) return edge;
    const label = candidates.find((candidate) => !taken.some((rect) => overlaps(rect, labelRect(candidate)))) ?? candidates[0]!;
    taken.push(labelRect(label));
    return { ...edge, label };
  });
}

const kindOrder = (kind: DrawnKind) => ['forward', 'timeout', 'compensation', 'anomaly'].indexOf(kind);

function curvedEdge(
  group: EdgeGroup,
  boxOf: Map<string, StateBox>,
  p: Point,
  q: Point,
  offset: number,
  fixedEnds: { from?: Point; to?: Point } | undefined,
): DrawnEdge & { candidates: EdgeLabel[] } {
  const fromBox = boxOf.get(group.from)!;
  const toBox = boxOf.get(group.to!)!;
  const a = fixedEnds?.from ?? centreOf(fromBox);
  const b = fixedEnds?.to ?? centreOf(toBox);
  // The normal of the pair's canonical direction, so both directions of a pair spread the same way.
  const length = Math.hypot(q.x - p.x, q.y - p.y) || 1;
  const normal = { x: -(q.y - p.y) / length, y: (q.x - p.x) / length };
  const control = { x: (a.x + b.x) / 2 + normal.x * offset * 2, y: (a.y + b.y) / 2 + normal.y * offset * 2 };
  const start = fixedEnds?.from ?? clipToBox(fromBox, a, control);
  const end = fixedEnds?.to ?? clipToBox(toBox, b, control);
  const lines = group.events;
  const horizontal = Math.abs(end.x - start.x) > Math.abs(end.y - start.y) * 1.5;
  // Beside the curve, on the side it bends towards, so parallel groups keep their labels apart.
  const bend = offset === 0 ? (end.x >= start.x ? 1 : -1) : Math.sign(normal.x * offset) || 1;
  const labelAt = (t: number, side: number): EdgeLabel => {
    const at = {
      x: (1 - t) ** 2 * start.x + 2 * (1 - t) * t * control.x + t ** 2 * end.x,
      y: (1 - t) ** 2 * start.y + 2 * (1 - t) * t * control.y + t ** 2 * end.y,
    };
    if (horizontal) {
      return { x: at.x, y: side < 0 ? at.y - 8 - (lines.length - 1) * LINE_HEIGHT : at.y + 16, anchor: 'middle', lines };
    }
    return { x: at.x + side * 8, y: at.y - ((lines.length - 1) * LINE_HEIGHT) / 2 + 4, anchor: side > 0 ? 'start' : 'end', lines };
  };
  const side = horizontal ? (offset <= 0 ? -1 : 1) : bend;
  const candidates = [0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78].flatMap((t) => [labelAt(t, side)]);
  candidates.push(...[0.5, 0.35, 0.65].map((t) => labelAt(t, -side)));
  return { ...group, path: `M ${r(start.x)} ${r(start.y)} Q ${r(control.x)} ${r(control.y)} ${r(end.x)} ${r(end.y)}`, label: candidates[0]!, candidates };
}

function selfLoop(group: EdgeGroup, box: StateBox, index: number, count: number): DrawnEdge {
  const lines = group.events;
  if (box.loopSide === 'left' || box.loopSide === 'right') {
    const cy = box.y + (box.height * (index + 1)) / (count + 1);
    const sign = box.loopSide === 'left' ? -1 : 1;
    const x = box.loopSide === 'left' ? box.x : box.x + box.width;
    const path = `M ${r(x)} ${r(cy - 14)} C ${r(x + sign * 46)} ${r(cy - 28)} ${r(x + sign * 46)} ${r(cy + 28)} ${r(x + sign * 2)} ${r(cy + 14)}`;
    const labelY = cy - ((lines.length - 1) * LINE_HEIGHT) / 2 + 4;
    return { ...group, path, label: { x: x + sign * 44, y: labelY, anchor: sign < 0 ? 'end' : 'start', lines } };
  }
  const cx = box.x + (box.width * (index + 1)) / (count + 1);
  const top = box.loopSide === 'top';
  const y = top ? box.y : box.y + box.height;
  const sign = top ? -1 : 1;
  const path = `M ${r(cx - 16)} ${r(y)} C ${r(cx - 30)} ${r(y + sign * 44)} ${r(cx + 30)} ${r(y + sign * 44)} ${r(cx + 16)} ${r(y + sign * 2)}`;
  const anchor: EdgeLabel['anchor'] = count === 1 ? 'middle' : index === 0 ? 'end' : index === count - 1 ? 'start' : 'middle';
  const x = anchor === 'end' ? cx + 22 : anchor === 'start' ? cx - 22 : cx;
  const labelY = top ? y - 44 - (lines.length - 1) * LINE_HEIGHT : y + 52;
  return { ...group, path, label: { x, y: labelY, anchor, lines } };
}

function centreOf(box: StateBox): Point {
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Where the segment from the box's centre towards `toward` leaves the box. */
function clipToBox(box: StateBox, centre: Point, toward: Point): Point {
  const dx = toward.x - centre.x;
  const dy = toward.y - centre.y;
  const candidates: number[] = [];
  if (dx !== 0) candidates.push(((dx > 0 ? box.x + box.width : box.x) - centre.x) / dx);
  if (dy !== 0) candidates.push(((dy > 0 ? box.y + box.height : box.y) - centre.y) / dy);
  const t = Math.min(...candidates.filter((value) => value > 0), 1);
  return { x: centre.x + dx * t, y: centre.y + dy * t };
}

function labelOf(id: string): string {
  return id.split('.').at(-1)!;
}

export function labelWidth(lines: string[]): number {
  return Math.max(0, ...lines.map((line) => line.length * CHAR_WIDTH));
}

const r = (value: number) => Math.round(value * 10) / 10;
