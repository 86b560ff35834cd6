import { describe, expect, it } from 'vitest';
import { advanceOrderSaga, startOrderSaga, type OrderSagaSnapshot } from '#statecharts/order-saga.ts';
import type { OrderSagaEvent } from '#statecharts/saga-types.ts';
import { formatDuration, parseDuration } from '../src/operator/duration.ts';
import { noOpReasons, orderSagaChart, selfAndAncestors } from '../src/operator/machine-facts.ts';
import { stateName } from '../src/saga/saga-step.ts';
import { html, jsonForScript, raw } from '../src/sagas-ui/html.ts';
import { sagaPathOf, type PathStep } from '../src/sagas-ui/saga-path.ts';
import { labelRect, layoutStatechart, type StateBox } from '../src/sagas-ui/statechart-layout.ts';
import { renderStatechartSvg } from '../src/sagas-ui/statechart-svg.ts';

const layout = layoutStatechart(orderSagaChart);
const boxOf = new Map(layout.boxes.map((box) => [box.id, box]));
const inside = (inner: StateBox, outer: StateBox) =>
  inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;
const overlap = (a: { left: number; right: number; top: number; bottom: number }, b: typeof a) =>
  a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
const rectOf = (box: StateBox) => ({ left: box.x, right: box.x + box.width, top: box.y, bottom: box.y + box.height });

function historyOf(events: OrderSagaEvent[]): PathStep[] {
  const started = startOrderSaga({ orderId: 'o', customerId: 'c', items: [{ productId: 'p', quantity: 1, price: 10 }], price: 10 });
  let snapshot: OrderSagaSnapshot = started.snapshot;
  const steps: PathStep[] = [{ eventType: 'OrderPlaced', stateBefore: null, stateAfter: stateName(snapshot.value), changed: true }];
  for (const event of events) {
    const outcome = advanceOrderSaga(snapshot, event);
    steps.push({ eventType: event.type, stateBefore: stateName(snapshot.value), stateAfter: stateName(outcome.snapshot.value), changed: outcome.changed });
    snapshot = outcome.snapshot;
  }
  return steps;
}

describe('statechart layout from the machine definition', () => {
  it('draws every state once, children inside their parent, and no two boxes of one level overlapping', () => {
    expect(layout.boxes.map((box) => box.id).sort()).toEqual(orderSagaChart.states.map((state) => state.id).sort());
    for (const box of layout.boxes) {
      if (box.parent) expect(inside(box, boxOf.get(box.parent)!)).toBe(true);
      for (const other of layout.boxes) {
        if (other !== box && other.parent === box.parent) expect(overlap(rectOf(box), rectOf(other))).toBe(false);
      }
      expect(box.x + box.width).toBeLessThanOrEqual(layout.width);
      expect(box.y + box.height).toBeLessThanOrEqual(layout.height);
    }
  });

  it('puts the happy path in the first row, left to right', () => {
    const row = ['PENDING', 'RESERVED', 'PAID', 'CONFIRMED'].map((id) => boxOf.get(id)!);
    expect(new Set(row.map((box) => box.y)).size).toBe(1);
    expect(row.map((box) => box.x)).toEqual(row.map((box) => box.x).sort((a, b) => a - b));
    expect(boxOf.get('CANCELLING')!.y).toBeGreaterThan(row[0]!.y + row[0]!.height);
  });

  it('draws every transition that is not an explicit no-op, grouped by source, target and kind', () => {
    const drawn = orderSagaChart.transitions.filter((transition) => transition.kind !== 'ignored');
    for (const transition of drawn) {
      const to = transition.to === transition.from ? null : transition.to;
      const edges = layout.edges.filter((edge) => edge.from === transition.from && edge.to === to && edge.kind === transition.kind);
      expect(edges, `${transition.from} --${transition.event}--> ${transition.to}`).toHaveLength(1);
      expect(edges[0]!.events).toContain(transition.event);
    }
    expect(layout.edges.every((edge) => edge.kind !== ('ignored' as string))).toBe(true);
    expect(new Set(layout.edges.map((edge) => edge.id)).size).toBe(layout.edges.length);
  });

  it('places no edge label over another label or over a state', () => {
    const labels = layout.edges.map((edge) => ({ id: edge.id, rect: labelRect(edge.label) }));
    for (const [index, label] of labels.entries()) {
      for (const other of labels.slice(index + 1)) expect(overlap(label.rect, other.rect), `${label.id} / ${other.id}`).toBe(false);
      for (const box of layout.boxes.filter((candidate) => !candidate.compound)) expect(overlap(label.rect, rectOf(box)), `${label.id} / ${box.id}`).toBe(false);
    }
  });

  it('renders SVG with the hooks the page script and the tests use, and counts per state', () => {
    const svg = renderStatechartSvg(layout, { counts: { PENDING: 2, 'CANCELLING.releasingStock': 1 } }).html;
    for (const state of orderSagaChart.states) expect(svg).toContain(`data-state="${state.id}"`);
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
    const path = sagaPathOf(layout, historyOf([{ type: 'StockReserved' }, { type: 'PaymentFailed', reason: 'no credit' }, { type: 'StockReleased' }]));
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
