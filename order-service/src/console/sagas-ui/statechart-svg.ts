import { html, raw, type SafeHtml } from './html.ts';
import type { SagaPath } from './saga-path.ts';
import { LABEL_LINE_HEIGHT, type DrawnKind, type Point, type StatechartLayout } from './statechart-layout.ts';

export const edgeKinds: readonly DrawnKind[] = ['forward', 'timeout', 'compensation', 'anomaly'];

/** How round the corners of an edge's orthogonal route are drawn. */
const CORNER_RADIUS = 8;
/** Where the first line's baseline sits below the top of its label box. */
const LABEL_BASELINE = 12;

export interface SvgOptions {
  /** Orders per state id: shown in each box (overview). */
  counts?: Record<string, number>;
  /** One order's path: visited states and taken edges highlighted, the rest dimmed (order view). */
  path?: SagaPath;
}

/**
 * The statechart as inline SVG. Boxes carry `data-state`, edges `data-edge` and `data-events`,
 * counts `data-count-for`, so the page script can update counts without redrawing.
 */
export function renderStatechartSvg(layout: StatechartLayout, options: SvgOptions = {}): SafeHtml {
  const { path, counts } = options;
  const compound = layout.boxes.filter((box) => box.compound);
  const leaves = layout.boxes.filter((box) => !box.compound);
  const stateClass = (id: string, base: string) =>
    [
      base,
      path ? (path.visited.has(id) ? 'visited' : 'unvisited') : '',
      path?.current === id ? 'current' : '',
      (counts?.[id] ?? 0) > 0 ? 'occupied' : '',
    ]
      .filter(Boolean)
      .join(' ');
  const countText = (id: string) => {
    const count = counts?.[id] ?? 0;
    return `${count} ${count === 1 ? 'order' : 'orders'}`;
  };
  const countClass = (id: string) => ((counts?.[id] ?? 0) > 0 ? 'state-count occupied' : 'state-count');

  const markers = edgeKinds.map(
    (kind) =>
      html`<marker id="arrow-${kind}" class="arrow arrow-${kind}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z"/></marker>`,
  );
  const compoundBoxes = compound.map(
    (box) => html`<g class="${stateClass(box.id, `state compound${box.terminal ? ' terminal' : ''}`)}" data-state="${box.id}">
  <title>${box.id}</title>
  <rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" rx="14"/>
  <text class="state-label" x="${box.x + 14}" y="${box.y + 22}">${box.label}</text>
  ${counts ? html`<text class="${countClass(box.id)}" data-count-for="${box.id}" x="${box.x + box.width - 14}" y="${box.y + 22}" text-anchor="end">${countText(box.id)}</text>` : ''}
</g>`,
  );
  const edgeClass = (id: string, kind: DrawnKind) =>
    ['edge', `kind-${kind}`, path ? (path.taken.has(id) ? 'taken' : 'not-taken') : ''].filter(Boolean).join(' ');
  const edgePaths = layout.edges.map(
    (edge) => html`<g class="${edgeClass(edge.id, edge.kind)}" data-edge="${edge.id}" data-events="${edge.events.join(' ')}">
  <title>${edge.kind}: ${edge.details.join('\n')}</title>
  <path d="${routePath(edge.points)}" marker-end="url(#arrow-${edge.kind})"/>
</g>`,
  );
  const leafBoxes = leaves.map(
    (box) => html`<g class="${stateClass(box.id, `state${box.terminal ? ' terminal' : ''}`)}" data-state="${box.id}">
  <title>${box.id}${box.terminal ? ' (terminal)' : ''}</title>
  <rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" rx="10"/>
  ${box.terminal ? html`<rect class="inner" x="${box.x + 4}" y="${box.y + 4}" width="${box.width - 8}" height="${box.height - 8}" rx="7"/>` : ''}
  <text class="state-label" x="${box.x + box.width / 2}" y="${box.y + (counts ? 25 : box.height / 2 + 5)}" text-anchor="middle">${box.label}</text>
  ${counts ? html`<text class="${countClass(box.id)}" data-count-for="${box.id}" x="${box.x + box.width / 2}" y="${box.y + 44}" text-anchor="middle">${countText(box.id)}</text>` : ''}
</g>`,
  );
  const edgeLabels = layout.edges.map((edge) => {
    const times = path?.taken.get(edge.id) ?? 0;
    const lines = times > 1 ? [...edge.label.lines.slice(0, -1), `${edge.label.lines.at(-1)} ×${times}`] : edge.label.lines;
    const x = edge.label.x + edge.label.width / 2;
    return html`<text class="${edgeClass(edge.id, edge.kind)} edge-label" data-edge="${edge.id}" x="${x}" y="${edge.label.y + LABEL_BASELINE}" text-anchor="middle">${lines.map(
      (line, index) => html`<tspan x="${x}" dy="${index === 0 ? 0 : LABEL_LINE_HEIGHT}">${line}</tspan>`,
    )}</text>`;
  });
  const initials = layout.initialMarkers.map(
    (marker) =>
      html`<g class="initial" data-initial-of="${marker.target}"><circle cx="${marker.cx}" cy="${marker.cy}" r="6"/><path d="${routePath(marker.points)}" marker-end="url(#arrow-forward)"/></g>`,
  );
  return html`<svg class="statechart${path ? ' with-path' : ''}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${layout.width} ${layout.height}" width="${layout.width}" height="${layout.height}" role="img" aria-label="Order saga statechart">
<defs>${markers}</defs>
<g class="compound-states">${compoundBoxes}</g>
<g class="edges">${edgePaths}</g>
<g class="initials">${initials}</g>
<g class="states">${leafBoxes}</g>
<g class="edge-labels">${edgeLabels}</g>
</svg>`;
}

/** An orthogonal route as an SVG path, its corners rounded (never more than half a segment). */
export function routePath(points: readonly Point[]): string {
  const [first, ...rest] = points;
  if (!first) return '';
  const parts = [`M ${first.x} ${first.y}`];
  rest.forEach((corner, index) => {
    const before = points[index]!;
    const after = rest[index + 1];
    if (!after) return parts.push(`L ${corner.x} ${corner.y}`);
    const radius = Math.min(CORNER_RADIUS, distance(before, corner) / 2, distance(corner, after) / 2);
    const enter = towards(corner, before, radius);
    const leave = towards(corner, after, radius);
    parts.push(`L ${enter.x} ${enter.y}`, `Q ${corner.x} ${corner.y} ${leave.x} ${leave.y}`);
  });
  return parts.join(' ');
}

const distance = (a: Point, b: Point) => Math.hypot(b.x - a.x, b.y - a.y);

function towards(from: Point, to: Point, length: number): Point {
  const total = distance(from, to) || 1;
  const round = (value: number) => Math.round(value * 10) / 10;
  return { x: round(from.x + ((to.x - from.x) * length) / total), y: round(from.y + ((to.y - from.y) * length) / total) };
}

/** The legend that explains the edge styles. */
export function statechartLegend(withPath: boolean): SafeHtml {
  const sample = (kind: DrawnKind, text: string) =>
    html`<span class="legend-item"><svg width="46" height="12" class="legend-line edge kind-${kind}"><path d="M 2 6 L 40 6" marker-end="url(#arrow-${kind})"/></svg>${text}</span>`;
  return html`<div class="legend">
  ${sample('forward', 'forward')}
  ${sample('timeout', 'timeout (retry or give up)')}
  ${sample('compensation', 'compensation')}
  ${sample('anomaly', 'anomaly (should not happen)')}
  ${withPath ? raw('<span class="legend-item"><span class="swatch visited"></span>visited</span><span class="legend-item"><span class="swatch current"></span>current state</span>') : raw('<span class="legend-item"><span class="swatch occupied"></span>has orders now</span>')}
  <span class="legend-note">Explicit no-ops (duplicates, late replies) are not drawn; hover an edge for guards and details.</span>
</div>`;
}
