// What makes the statechart readable, checked on plain rectangles and routes so that the unit test
// (the layout's numbers) and the browser test (getBoundingClientRect on the rendered page) apply the
// same rules. Each rule broken is one line of the answer, which a test expects to be empty.

import type { Point, Rect } from '../src/console/sagas-ui/statechart-layout.ts';

export type { Point, Rect };

export interface ChartGeometry {
  states: { id: string; parent: string | null; compound: boolean; rect: Rect; /** A compound state's name and count. */ header?: Rect }[];
  labels: { edge: string; rect: Rect }[];
  /** `points`: the route, as ELK's bend points or as points sampled along the drawn path. */
  edges: { id: string; from: string | null; to: string | null; points: Point[] }[];
}

/** Rounding of the browser and of ELK's coordinates. */
const TOLERANCE = 1;

export function readabilityProblems(chart: ChartGeometry): string[] {
  const problems: string[] = [];
  const parentOf = new Map(chart.states.map((state) => [state.id, state.parent]));
  const selfAndAncestors = (id: string | null) => {
    const chain: string[] = [];
    for (let current = id; current; current = parentOf.get(current) ?? null) chain.push(current);
    return chain;
  };
  const leaves = chart.states.filter((state) => !state.compound);
  const compounds = chart.states.filter((state) => state.compound);

  for (const [index, state] of chart.states.entries()) {
    for (const other of chart.states.slice(index + 1)) {
      const nested = selfAndAncestors(state.id).includes(other.id) || selfAndAncestors(other.id).includes(state.id);
      if (nested && !contains(state.parent === other.id ? other.rect : state.rect, state.parent === other.id ? state.rect : other.rect)) {
        problems.push(`state ${state.id} and ${other.id}: a child sticks out of its parent`);
      }
      if (!nested && overlap(state.rect, other.rect)) problems.push(`state ${state.id} overlaps state ${other.id}`);
    }
  }

  for (const [index, label] of chart.labels.entries()) {
    for (const other of chart.labels.slice(index + 1)) {
      if (overlap(label.rect, other.rect)) problems.push(`label of ${label.edge} overlaps label of ${other.edge}`);
    }
    for (const state of leaves) if (overlap(label.rect, state.rect)) problems.push(`label of ${label.edge} overlaps state ${state.id}`);
    for (const state of compounds) {
      if (overlap(label.rect, state.rect) && !contains(state.rect, label.rect))
        problems.push(`label of ${label.edge} crosses the border of ${state.id}`);
      if (state.header && overlap(label.rect, state.header)) problems.push(`label of ${label.edge} overlaps the name of ${state.id}`);
    }
  }

  for (const edge of chart.edges) {
    const ownEnds = new Set([...selfAndAncestors(edge.from), ...selfAndAncestors(edge.to)]);
    for (const state of chart.states.filter((candidate) => !ownEnds.has(candidate.id))) {
      const crossing = edge.points.slice(1).findIndex((point, index) => segmentEntersRect(edge.points[index]!, point, state.rect));
      if (crossing >= 0) problems.push(`edge ${edge.id} passes through state ${state.id} (segment ${crossing})`);
    }
  }
  return problems;
}

export function overlap(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width - TOLERANCE && b.x < a.x + a.width - TOLERANCE && a.y < b.y + b.height - TOLERANCE && b.y < a.y + a.height - TOLERANCE;
}

function contains(outer: Rect, inner: Rect): boolean {
  return (
    inner.x >= outer.x - TOLERANCE &&
    inner.y >= outer.y - TOLERANCE &&
    inner.x + inner.width <= outer.x + outer.width + TOLERANCE &&
    inner.y + inner.height <= outer.y + outer.height + TOLERANCE
  );
}

/** Whether the segment a→b runs through the inside of the rectangle (touching its border is fine): Liang–Barsky clipping. */
export function segmentEntersRect(a: Point, b: Point, rect: Rect): boolean {
  const left = rect.x + TOLERANCE;
  const right = rect.x + rect.width - TOLERANCE;
  const top = rect.y + TOLERANCE;
  const bottom = rect.y + rect.height - TOLERANCE;
  let enter = 0;
  let leave = 1;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  for (const [p, q] of [
    [-dx, a.x - left],
    [dx, right - a.x],
    [-dy, a.y - top],
    [dy, bottom - a.y],
  ] as const) {
    if (p === 0) {
      if (q < 0) return false;
    } else {
      const t = q / p;
      if (p < 0) enter = Math.max(enter, t);
      else leave = Math.min(leave, t);
    }
  }
  return enter < leave;
}

/**
 * The rendered chart's geometry, as the browser lays it out (getBoundingClientRect of boxes and labels,
 * points every 4 px along each drawn path). Runs in the page (page.$eval): it uses nothing from outside.
 * A state's parent is read from its dotted id (statechart-export.ts: "CANCELLING.releasingStock").
 */
export function geometryOfRenderedChart(svg: Element): ChartGeometry {
  const rectOf = (element: Element) => {
    const { x, y, width, height } = element.getBoundingClientRect();
    return { x, y, width, height };
  };
  const parentOf = (id: string | null) => (id && id.includes('.') ? id.slice(0, id.lastIndexOf('.')) : null);
  const states = [...svg.querySelectorAll('g.state')].map((group) => {
    const id = group.getAttribute('data-state')!;
    const compound = group.classList.contains('compound');
    const texts = [...group.querySelectorAll(':scope > text')].map(rectOf);
    const left = Math.min(...texts.map((text) => text.x));
    const top = Math.min(...texts.map((text) => text.y));
    const header = {
      x: left,
      y: top,
      width: Math.max(...texts.map((text) => text.x + text.width)) - left,
      height: Math.max(...texts.map((text) => text.y + text.height)) - top,
    };
    return { id, parent: parentOf(id), compound, rect: rectOf(group.querySelector(':scope > rect')!), header: compound ? header : undefined };
  });
  const labels = [...svg.querySelectorAll('text.edge-label')].map((text) => ({ edge: text.getAttribute('data-edge')!, rect: rectOf(text) }));
  const pointsAlong = (path: SVGPathElement) => {
    const toPage = path.getScreenCTM()!;
    const length = path.getTotalLength();
    const points = [];
    for (let at = 0; at < length + 4; at += 4) {
      const point = path.getPointAtLength(Math.min(at, length)).matrixTransform(toPage);
      points.push({ x: point.x, y: point.y });
    }
    return points;
  };
  const edges = [...svg.querySelectorAll('g.edge')].map((group) => {
    const id = group.getAttribute('data-edge')!;
    const [from, rest] = id.split('->') as [string, string];
    return { id, from, to: rest.slice(0, rest.lastIndexOf(':')), points: pointsAlong(group.querySelector('path')!) };
  });
  const initials = [...svg.querySelectorAll('g.initial')].map((group) => {
    const target = group.getAttribute('data-initial-of')!;
    return { id: `initial of ${target}`, from: parentOf(target), to: target, points: pointsAlong(group.querySelector('path')!) };
  });
  return { states, labels, edges: [...edges, ...initials] };
}
