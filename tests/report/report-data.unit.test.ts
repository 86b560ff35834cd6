import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { PlacedOrder } from '../../scripts/load/run-load.ts';
import { parseRestateSummary, readRestateSummary } from '../../scripts/report/restate-summary.ts';
import { sagaBenchReportHtml, sweepStepOf, type SagaBenchRecord } from '../../scripts/report/saga-bench-report.ts';
import {
  flowOf,
  histogramOf,
  isBurst,
  mergedTimeline,
  niceStep,
  percentileWindows,
  timelineOf,
  type OrderTimeline,
} from '../../scripts/report/timeline.ts';
import benchFixture from './fixtures/saga-bench.json' with { type: 'json' };

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
// The fixture has the shape bench:saga writes (checked by the type-check too).
const bench: SagaBenchRecord = benchFixture;

const placed = (sentWallMs: number, createdAt: number | null, terminalAt: number | null, status: string | null): PlacedOrder => ({
  index: 0,
  shape: { name: 'one coffee', weight: 1, expect: 'CONFIRMED', customerId: 'c', lines: [] },
  sentAt: 0,
  sentWallMs,
  postMs: 1,
  id: createdAt === null ? null : `id-${sentWallMs}`,
  httpStatus: createdAt === null ? 503 : 201,
  status,
  failureMessages: [],
  sagaMs: createdAt !== null && terminalAt !== null ? terminalAt - createdAt : null,
  createdAt,
  terminalAt,
  error: createdAt === null ? 'POST 503' : null,
});

const timeline = (sent: number[], terminal: (number | null)[]): OrderTimeline => ({
  startedAtMs: 1_000,
  sentMs: sent,
  acceptedMs: sent.map((s) => s + 1),
  terminalMs: terminal,
  outcome: terminal.map((t) => (t === null ? 'PENDING' : 'CONFIRMED')),
});

describe('what the reports draw, from the orders of a run', () => {
  it('keeps each order as offsets from the first send; a refused POST has no accept, an unfinished order no end', () => {
    const t = timelineOf([placed(10_500.25, 10_502, 10_560, 'CONFIRMED'), placed(10_000, null, null, null), placed(10_200, 10_201, null, 'PENDING')]);
    expect(t).toEqual({
      startedAtMs: 10_000,
      sentMs: [500.3, 0, 200],
      acceptedMs: [502, null, 201],
      terminalMs: [560, null, null],
      outcome: ['CONFIRMED', null, 'PENDING'],
    });
  });

  it('buckets of 1, 2 or 5 × 10^k; every value in one bucket, the largest in the last', () => {
    expect([0.3, 7, 10, 11, 240, 3100].map(niceStep)).toEqual([0.5, 10, 10, 20, 500, 5000]);
    const values = [1, 5, 5, 12, 49, 50, 99.5];
    const histogram = histogramOf(values, 10);
    expect(histogram.width).toBe(10);
    expect(histogram.counts).toEqual([3, 1, 0, 0, 1, 1, 0, 0, 0, 1]);
    expect(histogram.counts.reduce((a, b) => a + b, 0)).toBe(values.length);
  });

  it('percentiles per window of send time, a gap where nothing was sent', () => {
    // 30 orders in the first second, none in the second, 30 in the third: windows of 1 s
    const sent = [...Array.from({ length: 30 }, (_, i) => i * 30), ...Array.from({ length: 30 }, (_, i) => 2_000 + i * 30)];
    const windows = percentileWindows(
      timeline(
        sent,
        sent.map((s, i) => s + 10 + i),
      ),
      4,
    );
    expect(windows.map((w) => w.count)).toEqual([30, 0, 30]);
    expect(Number.isNaN(windows[1].p50)).toBe(true);
    expect(windows[0].p99).toBe(39); // latencies 10…39 in the first window
    expect(windows[2].p50).toBe(54); // 40…69 in the third
    expect(windows[0].x).toBeCloseTo(0.435, 5); // where its orders were sent on average
  });

  it('counts an order in flight from its send until it ends, for ever when it never does', () => {
    const flow = flowOf(timeline([0, 0, 0], [150, 250, null]), 4);
    expect(flow.map((f) => [f.x, f.inFlight])).toEqual([
      [0.1, 3],
      [0.2, 2],
      [0.3, 1],
    ]);
    expect(flow.map((f) => f.endedPerSecond)).toEqual([0, 10, 10]);
    expect(flow[0].sentPerSecond).toBe(30);
  });

  it('tells a burst (all sent at once) from a run spread over time', () => {
    expect(isBurst(timeline([0, 1, 2], [400, 800, 900]))).toBe(true);
    expect(isBurst(timeline([0, 500, 1000], [40, 540, 1040]))).toBe(false);
  });

  it('puts the steps of a sweep on one time axis', () => {
    const merged = mergedTimeline([
      { ...timeline([0, 100], [50, null]), startedAtMs: 5_000 },
      { ...timeline([0], [70]), startedAtMs: 9_000 },
    ]);
    expect(merged.startedAtMs).toBe(5_000);
    expect(merged.sentMs).toEqual([0, 100, 4_000]);
    expect(merged.terminalMs).toEqual([50, null, 4_070]);
  });
});

describe('the Restate figures --compare takes', () => {
  it('reads the SUMMARY line at the end of a run’s log, or the JSON alone', () => {
    const fromLog = readRestateSummary(fixture('restate-bench.log'));
    expect(fromLog.phases.sequential.p50).toBe(33.5);
    expect(fromLog.phases.sweep.map((s) => s.offered)).toEqual([50, 100, 200, 400]);
    const line = readFileSync(fixture('restate-bench.log'), 'utf8').trim().split('\n').at(-1)!;
    expect(parseRestateSummary(line.slice('SUMMARY '.length))).toEqual(fromLog);
  });

  it('says what is wrong with a file that is not one', () => {
    expect(() => parseRestateSummary('seeded 5 products\n(a) sequential 50: {}')).toThrow(/no "SUMMARY \{json\}" line/);
    expect(() => parseRestateSummary('SUMMARY {"engine": ')).toThrow(/not JSON/);
    expect(() => parseRestateSummary('{"engine": "x", "node": "v24", "floor": {}}')).toThrow(/not a Restate bench summary: floor\.n/);
  });

  it('bench:saga refuses an unusable --compare before it starts: one line, exit 2', () => {
    for (const [file, message] of [
      ['/nonexistent/restate.log', /^--compare \/nonexistent\/restate\.log: cannot read it \(ENOENT\)\n$/],
      ['README.md', /^--compare README\.md: no "SUMMARY \{json\}" line in it/],
    ] as const) {
      const result = spawnSync(process.execPath, ['scripts/bench-saga.ts', '--compare', file], { cwd: root, encoding: 'utf8', timeout: 30_000 });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('the bench:saga report', () => {
  it('names each sweep step by its sweep and offered rate', () => {
    expect(sweepStepOf('c-hot 200/s')).toEqual({ sweep: 'c-hot', offered: 200 });
    expect(sweepStepOf('c-mix 12.5/s')).toEqual({ sweep: 'c-mix', offered: 12.5 });
    expect(sweepStepOf('b concurrent')).toBeNull();
  });

  it('is one file that loads nothing from elsewhere', () => {
    const html = sagaBenchReportHtml(bench);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img|url\(/);
    // the only addresses: the platform measured, and the library's own in its licence comments
    expect(new Set(html.match(/https?:\/\/[^"'\s)<]+/g))).toEqual(
      new Set(['http://127.0.0.1:8181', 'https://www.chartjs.org', 'https://github.com/kurkle/color#readme']),
    );
    expect(html).toContain('Chart.js v4.');
    expect(html).not.toContain('sourceMappingURL');
    expect(html).not.toContain('Restate');
  });

  it('sets each phase beside Restate’s figures, with ratios', () => {
    const html = sagaBenchReportHtml(bench, readRestateSummary(fixture('restate-bench.log')));
    const b = bench.rows.find((r) => r.phase === 'b concurrent')!.result!;
    // (b) p50 ours ÷ Restate's 1514 ms
    expect(html).toContain(`<td class="num">${(b.latency.p50 / 1514).toFixed(2)} ×</td>`);
    // c-hot at 50/s and 100/s are in both; 25/s only in ours, 200/s and 400/s only in Restate's
    expect(html).toContain('50/s offered: achieved /s');
    expect(html).toContain('100/s offered: p99 ms');
    expect(html).not.toContain('25/s offered: achieved');
    expect(html).toContain('Restate: server');
  });

  it('escapes what the run recorded', () => {
    const hostile = structuredClone(bench);
    hostile.rows[1].result!.invariants[0] = { name: '<img src=x onerror=alert(1)>', pass: false, detail: '</script><script>alert(2)</script>' };
    const html = sagaBenchReportHtml(hostile);
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('</script><script>alert(2)');
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;');
  });
});
