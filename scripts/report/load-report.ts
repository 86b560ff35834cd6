import { writeFileSync } from 'node:fs';
import type { Floor } from '../load/floor.ts';
import type { LoadReport } from '../load/report.ts';
import type { Summary } from '../load/stats.ts';
import { latencyHistogram, latencyOverTime, throughputAndInFlight } from './charts.ts';
import { escapeHtml, fixed, invariantList, reportPage, table, type Column } from './html-page.ts';
import { latenciesOf } from './timeline.ts';

/** The load test's report as one self-contained HTML page (what `npm run load -- --html <file>` writes). */
export function loadReportHtml(report: LoadReport): string {
  const page = reportPage();
  const o = report.orders;
  const plan = report.plan as { orders?: number; concurrency?: number; rate?: number; durationS?: number; urls?: Record<string, string> };
  const how = plan.rate
    ? `open loop: ${plan.rate} orders/s for ${plan.durationS} s`
    : `closed loop: ${plan.orders} orders, ${plan.concurrency ?? plan.orders} in flight at most`;
  const intro = `<p class="lead">${escapeHtml(how)} against ${escapeHtml(plan.urls?.order ?? '?')} · ${escapeHtml(report.startedAt)} · wall ${fixed(report.wallSeconds)} s</p>
<p class="verdict">${verdict(report.passed)}</p>`;

  const counts = table(
    [o],
    [
      { title: 'placed', cell: (r) => r.placed, numeric: true },
      { title: 'accepted', cell: (r) => r.accepted, numeric: true },
      { title: 'CONFIRMED', cell: (r) => r.confirmed, numeric: true },
      { title: 'CANCELLED', cell: (r) => r.cancelled, numeric: true },
      { title: 'not terminal', cell: (r) => r.notTerminal, numeric: true },
      { title: 'POST errors', cell: (r) => r.postErrors, numeric: true },
      { title: 'throughput (sagas/s)', cell: () => fixed(report.throughputSagasPerSecond), numeric: true },
    ],
    'Orders',
  );
  const latency = summaryTable(
    [
      ['POST → terminal (server clock)', report.sagaLatency],
      ['send → terminal (client send time)', report.sendToTerminalLatency],
      ['… of which CONFIRMED', report.sagaLatencyByOutcome.CONFIRMED],
      ['… of which CANCELLED', report.sagaLatencyByOutcome.CANCELLED],
      ['POST response', report.postLatency],
    ],
    'Latency (ms)',
  );
  const floorMark = report.floor
    ? { ms: report.floor.kafkaRoundTrip.p50, label: `floor: Kafka produce → consume p50 ${fixed(report.floor.kafkaRoundTrip.p50)} ms` }
    : undefined;
  const charts = `<div class="figures">
${page.chart('Latency over time: every order by its send time, p50/p95/p99 per window of send time', latencyOverTime(report.timeline, floorMark))}
${page.chart('Latency histogram, send → end of saga', latencyHistogram(latenciesOf(report.timeline), report.sendToTerminalLatency), 'half')}
${page.chart('Throughput and orders in flight over time', throughputAndInFlight(report.timeline), 'half')}
</div>`;
  const body = `<h2>Summary</h2>
${counts}
${latency}
<h2>Over time</h2>
${charts}
<h2>The floor</h2>
${floorSection(report.floor, report.sagaLatencyByOutcome.CONFIRMED)}
<h2>Invariants</h2>
${invariantList(report.invariants)}`;
  return page.render('Load test', intro, body);
}

export function writeLoadReport(path: string, report: LoadReport): void {
  writeFileSync(path, loadReportHtml(report));
}

export const verdict = (passed: boolean) =>
  passed ? '<span class="badge pass">PASS</span> all invariants hold' : '<span class="badge fail">FAIL</span> invariants failed (see below)';

const summaryColumns: Column<[string, Summary]>[] = [
  { title: '', cell: ([label]) => label },
  { title: 'n', cell: ([, s]) => s.count, numeric: true },
  { title: 'p50', cell: ([, s]) => fixed(s.p50), numeric: true },
  { title: 'p95', cell: ([, s]) => fixed(s.p95), numeric: true },
  { title: 'p99', cell: ([, s]) => fixed(s.p99), numeric: true },
  { title: 'max', cell: ([, s]) => fixed(s.max), numeric: true },
  { title: 'mean', cell: ([, s]) => fixed(s.mean), numeric: true },
];

export const summaryTable = (rows: [string, Summary][], caption: string) => table(rows, summaryColumns, caption);

/** This machine's floor measured in the same run, and what a saga costs in units of it. */
export function floorSection(floor: Floor | null, saga: Summary | undefined): string {
  if (!floor) return '<p class="note">Not measured in this run (--no-floor).</p>';
  const ratios =
    saga && Number.isFinite(saga.p50)
      ? `<p>CONFIRMED saga p50 ${fixed(saga.p50)} ms = <b>${fixed(saga.p50 / floor.kafkaRoundTrip.p50)} ×</b> the Kafka round trip = <b>${fixed(saga.p50 / floor.dbCommit.p50)} ×</b> the DB commit (a saga is at least 6 hops and 7 commits).</p>`
      : '';
  return `${summaryTable(
    [
      ['MariaDB: begin, one insert, commit', floor.dbCommit],
      ['Kafka: produce (acks=all) → consume', floor.kafkaRoundTrip],
    ],
    'Floor (ms)',
  )}
${ratios}`;
}
