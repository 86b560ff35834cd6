import { describe, expect, it } from 'vitest';
import { advanceOrderSaga, startOrderSaga, type OrderSagaSnapshot } from '#statecharts/order-saga.ts';
import type { OrderSagaEvent } from '#statecharts/saga-types.ts';
import { formatDuration, parseDuration } from '../src/console/operator/duration.ts';
import { noOpReasons, orderSagaChart, selfAndAncestors } from '../src/console/operator/machine-facts.ts';
import { stateName } from '../src/saga/saga-step.ts';
import { html, jsonForScript, raw } from '../src/console/sagas-ui/html.ts';
import { sagaPathOf, type PathStep } from '../src/console/sagas-ui/saga-path.ts';
import { layoutStatechart, statechartLayoutOf, type StatechartLayout } from '../src/console/sagas-ui/statechart-layout.ts';
import { renderStatechartSvg } from '../src/console/sagas-ui/statechart-svg.ts';
import { readabilityProblems, segmentEntersRect, type Point, type Rect } from './statechart-geometry.ts';

const layout = await statechartLayoutOf(orderSagaChart);
const boxOf = new Map(layout.boxes.map((box) => [box.id, box]));

/** The layout's own numbers as the readability rules read them (the browser test reads the page). */
function geometryOf(chart: StatechartLayout) {
  return {
    states: chart.boxes.map((box) => ({
      id: box.id,
      parent: box.parent,
      compound: box.compound,
      rect: box,
      header: box.compound ? { ...box, height: 30 } : undefined,
    })),
    labels: chart.edges.map((edge) => ({ edge: edge.id, rect: edge.label })),
    edges: [
      ...chart.edges.map((edge) => ({ id: edge.id, from: edge.from, to: edge.to, points: edge.points })),
      ...chart.initialMarkers.map((marker) => ({ id: `initial of ${marker.target}`, from: null, to: marker.target, points: marker.points })),
    ],
  };
}

const onBorder = (point: Point, rect: Rect) =>
  point.x >= rect.x - 1 &&
  point.x <= rect.x + rect.width + 1 &&
  point.y >= rect.y - 1 &&
  point.y <= rect.y + rect.height + 1 &&
  [point.x - rect.x, rect.x + rect.width - point.x, point.y - rect.y, rect.y + rect.height - point.y].some((gap) => Math.abs(gap) <= 1);

function historyOf(events: OrderSagaEvent[]): PathStep[] {
  const started = startOrderSaga({ orderId: 'o', customerId: 'c', items: [{ productId: 'p', quantity: 1, price: 10 }], price: 10 });
  let snapshot: OrderSagaSnapshot = started.snapshot;
  const steps: PathStep[] = [{ eventType: 'OrderPlaced', stateBefore: null, stateAfter: stateName(snapshot.value), changed: true }];
  for (const event of events) {
    const outcome = advanceOrderSaga(snapshot, event);
    steps.push({
      eventType: event.type,
      stateBefore: stateName(snapshot.value),
      stateAfter: stateName(outcome.snapshot.value),
      changed: outcome.changed,
    });
    snapshot = outcome.snapshot;
  }
  return steps;
}

describe('statechart layout by elkjs, from the machine definition', () => {
  it('draws every state once, inside the page', () => {
    expect(layout.boxes.map((box) => box.id).sort()).toEqual(orderSagaChart.states.map((state) => state.id).sort());
    expect(boxOf.get('CANCELLING')!.compound).toBe(true);
    for (const box of layout.boxes) {
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.y).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(layout.width);
      expect(box.y + box.height).toBeLessThanOrEqual(layout.height);
    }
  });

  it('overlaps nothing: no two states, no label over a state or another label, no edge through a state not its own', () => {
    expect(readabilityProblems(geometryOf(layout))).toEqual([]);
  });

  it('the rules catch what they are about (a label moved onto a state, an edge drawn across one)', () => {
    const pending = boxOf.get('PENDING')!;
    const paid = boxOf.get('PAID')!;
    const rerouted = 'PENDING->RESERVED:forward';
    const first = layout.edges.find((edge) => edge.id !== rerouted);
    expect(layout.edges.some((edge) => edge.id === rerouted)).toBe(true);
    const acrossPaid = [-20, paid.width + 20].map((dx) => ({ x: paid.x + dx, y: paid.y + paid.height / 2 }));
    const broken: StatechartLayout = {
      ...layout,
      edges: layout.edges.map((edge) =>
        edge === first
          ? { ...edge, label: { ...edge.label, x: pending.x + 5, y: pending.y + 5 } }
          : edge.id === rerouted
            ? { ...edge, points: acrossPaid }
            : edge,
      ),
    };
    const problems = readabilityProblems(geometryOf(broken));
    expect(problems).toContain(`label of ${first!.id} overlaps state PENDING`);
    expect(problems.some((problem) => problem.startsWith('edge PENDING->RESERVED:forward passes through state PAID'))).toBe(true);
    expect(segmentEntersRect({ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 0, y: 0, width: 10, height: 10 })).toBe(false);
  });

  it('starts every edge on its source and ends it on its target', () => {
    for (const edge of layout.edges) {
      expect(edge.points.length, edge.id).toBeGreaterThanOrEqual(2);
      expect(onBorder(edge.points[0]!, boxOf.get(edge.from)!), `${edge.id} starts at ${JSON.stringify(edge.points[0])}`).toBe(true);
      expect(onBorder(edge.points.at(-1)!, boxOf.get(edge.to ?? edge.from)!), `${edge.id} ends at ${JSON.stringify(edge.points.at(-1))}`).toBe(true);
    }
    for (const marker of layout.initialMarkers) expect(onBorder(marker.points.at(-1)!, boxOf.get(marker.target)!), marker.target).toBe(true);
    expect(layout.initialMarkers.map((marker) => marker.target).sort()).toEqual(['CANCELLING.releasingStock', 'PENDING']);
  });

  it('reads the happy path top to bottom, in one column', () => {
    const column = ['PENDING', 'RESERVED', 'PAID', 'CONFIRMED'].map((id) => boxOf.get(id)!);
    column.slice(1).forEach((box, index) => {
      const above = column[index]!;
      expect(box.y, `${box.id} below ${above.id}`).toBeGreaterThan(above.y + above.height);
      expect(box.x < above.x + above.width && above.x < box.x + box.width, `${box.id} under ${above.id}`).toBe(true);
    });
  });

  it('draws every transition that is not an explicit no-op, grouped by source, target and kind', () => {
    const drawn = orderSagaChart.transitions.filter((transition) => transition.kind !== 'ignored');
    for (const transition of drawn) {
      const to = transition.to === transition.from ? null : transition.to;
      const edges = layout.edges.filter((edge) => edge.from === transition.from && edge.to === to && edge.kind === transition.kind);
      expect(edges, `${transition.from} --${transition.event}--> ${transition.to}`).toHaveLength(1);
      expect(edges[0]!.events).toContain(transition.event);
      expect(edges[0]!.label.lines).toContain(transition.event);
    }
    expect(layout.edges.every((edge) => edge.kind !== ('ignored' as string))).toBe(true);
    expect(new Set(layout.edges.map((edge) => edge.id)).size).toBe(layout.edges.length);
  });

  it('is computed once per machine version, and the same every time', async () => {
    expect(await statechartLayoutOf(orderSagaChart)).toBe(layout);
    expect(await layoutStatechart(orderSagaChart)).toEqual(layout);
  });

  it('renders SVG with the hooks the page script and the tests use, and counts per state', () => {
    const svg = renderStatechartSvg(layout, { counts: { PENDING: 2, 'CANCELLING.releasingStock': 1 } }).html;
    for (const state of orderSagaChart.states) expect(svg).toContain(`data-state="${state.id}"`);
    for (const edge of layout.edges) expect(svg).toContain(`data-edge="${edge.id.replace('>', '&gt;')}"`);
    expect(svg).toContain('data-count-for="PENDING" x=');
    expect(svg).toMatch(/data-count-for="PENDING"[^>]*>2 orders</);
    expect(svg).toMatch(/data-count-for="CANCELLING.releasingStock"[^>]*>1 order</);
    expect(svg).toContain('class="edge kind-timeout"');
    expect(svg).toContain('class="edge kind-compensation"');
    expect(svg).toContain('marker-end="url(#arrow-timeout)"');
  });
});

describe("one order's path through the diagram", () => {
  it('highlights PENDING → RESERVED → CANCELLING → CANCELLED for a failed payment', () => {
    const path = sagaPathOf(
      layout,
      historyOf([{ type: 'StockReserved' }, { type: 'PaymentFailed', reason: 'no credit' }, { type: 'StockReleased' }]),
    );
    expect([...path.visited].sort()).toEqual(['CANCELLED', 'CANCELLING', 'CANCELLING.releasingStock', 'PENDING', 'RESERVED']);
    expect([...path.taken.keys()]).toEqual([
      'PENDING->RESERVED:forward',
      'RESERVED->CANCELLING:compensation',
      'CANCELLING.releasingStock->CANCELLED:compensation',
    ]);
    expect(path.current).toBe('CANCELLED');
    expect(path.unmatched).toEqual([]);
  });

  it('counts retries on self-loops, skips no-ops, and matches every changing step of any history to an edge', () => {
    const path = sagaPathOf(
      layout,
      historyOf([
        { type: 'ReservationTimedOut', attempt: 1 },
        { type: 'ReservationTimedOut', attempt: 1 },
        { type: 'StockReserved' },
        { type: 'StockReserved' },
        { type: 'PaymentTimedOut', attempt: 1 },
        { type: 'PaymentTimedOut', attempt: 2 },
        { type: 'PaymentTimedOut', attempt: 3 },
        { type: 'StockReleased' },
        { type: 'PaymentCompleted', paymentId: 'late' },
        { type: 'PaymentRefunded' },
      ]),
    );
    expect(path.taken.get('PENDING->PENDING:timeout')).toBe(1);
    expect(path.taken.get('RESERVED->RESERVED:timeout')).toBe(2);
    expect(path.taken.get('RESERVED->CANCELLING:timeout')).toBe(1);
    expect(path.taken.get('CANCELLING.releasingStock->CANCELLING.refundingPayment:compensation')).toBe(1);
    expect(path.taken.get('CANCELLING.refundingPayment->CANCELLED:compensation')).toBe(1);
    expect(path.unmatched).toEqual([]);
  });
});

describe('machine facts, durations and HTML', () => {
  it('reads statuses and no-op reasons from the machine', () => {
    expect(selfAndAncestors('CANCELLING.releasingStock')).toEqual(['CANCELLING', 'CANCELLING.releasingStock']);
    expect(noOpReasons('CANCELLING.releasingStock', 'CancellationRequested')).toEqual(['already compensating']);
    expect(noOpReasons('CONFIRMED', 'CancellationRequested')).toEqual([]);
    expect(noOpReasons('RESERVED', 'StockReserved')).toEqual(['duplicate of a reply already handled']);
  });

  it('parses and formats durations', () => {
    expect(['250ms', '30s', '5m', '2h', '1d'].map(parseDuration)).toEqual([250, 30_000, 300_000, 7_200_000, 86_400_000]);
    expect(['', '5', '5 m', '-5s', '1w', '1.5s'].map(parseDuration)).toEqual([null, null, null, null, null, null]);
    expect([450, 1_234, 65_000, 3_725_000].map(formatDuration)).toEqual(['450 ms', '1.2 s', '1 m 5 s', '1 h 2 m']);
  });

  it('escapes interpolations and script JSON', () => {
    expect(html`<td>${'<img onerror=x>'}</td>${raw('<b>ok</b>')}`.html).toBe('<td>&lt;img onerror=x&gt;</td><b>ok</b>');
    expect(jsonForScript({ reason: '</script><script>' }).html).not.toContain('</script>');
  });
});
