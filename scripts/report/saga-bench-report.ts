import { writeFileSync } from 'node:fs';
import type { Costs } from '../bench/machine-probes.ts';
import type { PhaseResult } from '../bench/saga-phases.ts';
import type { Floor } from '../load/floor.ts';
import type { PlatformUrls } from '../load/platform-api.ts';
import { bars, colors, latencyHistogram, latencyOverTime, linesOver, sweepLatencyOverTime, throughputAndInFlight, type Series } from './charts.ts';
import { badge, escapeHtml, fixed, invariantList, reportPage, table, type ReportPage } from './html-page.ts';
import { floorSection, summaryTable, verdict } from './load-report.ts';
import type { RestateSummary } from './restate-summary.ts';
import { latenciesOf, mergedTimeline } from './timeline.ts';

/** What `npm run bench:saga` measured: the JSON of `--json`, and what `--html` draws. */
export interface SagaBenchRecord {
  startedAt?: string;
  urls: PlatformUrls;
  /** The platform's processes by name (their PIDs), as the probes found them. */
  processes?: Record<string, readonly number[]>;
  floor: Floor | null;
  rows: SagaBenchRow[];
}

export interface SagaBenchRow {
  /** idle, a sequential, b concurrent, c-hot <rate>/s, c-mix <rate>/s. */
  phase: string;
  result?: PhaseResult;
  /** Per saga placed (per second for idle). */
  costs: Costs;
}

type Measured = SagaBenchRow & { result: PhaseResult };

/** A sweep step's name and offered rate, from its phase label (`c-hot 200/s`). */
export function sweepStepOf(phase: string): { sweep: string; offered: number } | null {
  const match = /^(c-[a-z]+) (\d+(?:\.\d+)?)\/s$/.exec(phase);
  return match ? { sweep: match[1], offered: Number(match[2]) } : null;
}

/** The Restate figures of the same kind, for a phase of ours (c-mix has none: the anchor sends only the hot shape). */
function restateFor(phase: string, restate: RestateSummary | null) {
  if (!restate) return null;
  if (phase === 'a sequential') return { ...restate.phases.sequential, throughput: null };
  if (phase === 'b concurrent') return restate.phases.concurrent100;
  const step = sweepStepOf(phase);
  if (step?.sweep !== 'c-hot') return null;
  const row = restate.phases.sweep.find((r) => r.offered === step.offered);
  return row ? { ...row, p95: null, throughput: row.achieved } : null;
}

const ratio = (ours: number | null | undefined, theirs: number | null | undefined) =>
  typeof ours === 'number' && typeof theirs === 'number' && Number.isFinite(ours) && Number.isFinite(theirs) && theirs !== 0
    ? `${(ours / theirs).toFixed(2)} ×`
    : 'n/a';

const platformCpuMs = (costs: Costs) =>
  Object.entries(costs.cpuMs)
    .filter(([name]) => name !== 'driver')
    .reduce((sum, [, ms]) => sum + ms, 0);

/** Restate's CPU per order of a phase, ms: its seconds over the orders it ran. */
function restateCpuPerOrder(row: {
  cpuS: { server: number | null; services: number | null; driver: number | null };
  confirmed: number;
  other: number;
}) {
  const orders = Math.max(1, row.confirmed + row.other);
  const per = (seconds: number | null) => (seconds === null ? null : (seconds * 1000) / orders);
  return { server: per(row.cpuS.server), services: per(row.cpuS.services), driver: per(row.cpuS.driver) };
}

export function sagaBenchReportHtml(record: SagaBenchRecord, restate: RestateSummary | null = null): string {
  const page = reportPage();
  const measured = record.rows.filter((row): row is Measured => row.result !== undefined);
  const passed = measured.every((row) => row.result.passed);
  const processes = record.processes
    ? Object.entries(record.processes)
        .map(([name, pids]) => `${name} ${pids.join('/') || '?'}`)
        .join(', ')
    : '';
  const intro = `<p class="lead">Against ${escapeHtml(record.urls.order)}${record.startedAt ? ` · ${escapeHtml(record.startedAt)}` : ''}${processes ? ` · processes: ${escapeHtml(processes)}` : ''}</p>
<p class="verdict">${verdict(passed)}</p>
${
  restate
    ? `<p>Beside the Restate anchor (${escapeHtml(restate.engine)}, Node ${escapeHtml(restate.node)}; its invariants ${restate.pass ? 'PASS' : 'FAIL'}). Only numbers from one sitting on one machine compare. Restate's latency runs from the POST to its reply at the terminal status; ours from the POST's (scheduled) send time to the order's own terminalAt.</p>`
    : ''
}`;

  const sections = [
    overview(measured),
    floorPart(record.floor, measured, restate),
    idlePart(
      page,
      record.rows.find((r) => r.phase === 'idle'),
    ),
  ];
  for (const phase of ['a sequential', 'b concurrent']) {
    const row = measured.find((r) => r.phase === phase);
    if (row) sections.push(singlePhase(page, row, record.floor, restate));
  }
  for (const sweep of ['c-hot', 'c-mix']) {
    const steps = measured.filter((r) => sweepStepOf(r.phase)?.sweep === sweep);
    if (steps.length > 0) sections.push(sweepPart(page, sweep, steps, restate));
  }
  sections.push(costsPart(page, record.rows, restate));
  return page.render('Saga benchmark', intro, sections.join('\n'));
}

export function writeSagaBenchReport(path: string, record: SagaBenchRecord, restate: RestateSummary | null = null): void {
  writeFileSync(path, sagaBenchReportHtml(record, restate));
}

function overview(rows: readonly Measured[]): string {
  return `<h2>Phases</h2>
${table(
  rows,
  [
    { title: 'phase', cell: (r) => r.phase },
    { title: 'sagas', cell: (r) => r.result.sagas, numeric: true },
    { title: 'achieved /s', cell: (r) => fixed(r.result.achievedPerSecond), numeric: true },
    { title: 'p50 ms', cell: (r) => fixed(r.result.latency.p50), numeric: true },
    { title: 'p95 ms', cell: (r) => fixed(r.result.latency.p95), numeric: true },
    { title: 'p99 ms', cell: (r) => fixed(r.result.latency.p99), numeric: true },
    { title: 'max ms', cell: (r) => fixed(r.result.latency.max), numeric: true },
    { title: 'server p50 ms', cell: (r) => fixed(r.result.serverLatency.p50), numeric: true },
    { title: 'server p99 ms', cell: (r) => fixed(r.result.serverLatency.p99), numeric: true },
    { title: 'drain s', cell: (r) => fixed(r.result.drainMs / 1000), numeric: true },
    { title: 'not terminal', cell: (r) => r.result.notTerminal, numeric: true },
    { title: 'POST errors', cell: (r) => r.result.postErrors, numeric: true },
    { title: 'invariants', cell: (r) => badge(r.result.passed) },
  ],
  'Latency from the POST’s (scheduled) send time to the order’s terminalAt; server: accepted → terminalAt',
)}
${rows
  .map(
    (r) =>
      `<details${r.result.passed ? '' : ' open'}><summary>Invariants of ${escapeHtml(r.phase)}: ${r.result.invariants.filter((i) => i.pass).length} PASS, ${r.result.invariants.filter((i) => !i.pass).length} FAIL</summary>${invariantList(r.result.invariants)}</details>`,
  )
  .join('\n')}`;
}

function floorPart(floor: Floor | null, rows: readonly Measured[], restate: RestateSummary | null): string {
  const sequential = rows.find((r) => r.phase === 'a sequential');
  let theirs = '';
  if (restate) {
    const restateRows: [string, { p50: number | null; p95: number | null; p99: number | null; max: number | null; n: number }][] = [
      ['Restate: ingress → no-op handler → reply', restate.floor],
    ];
    if (restate.fsyncFloor) restateRows.push(['Restate: 4 KiB write + fdatasync on its data disk', restate.fsyncFloor]);
    theirs = `${table(
      restateRows,
      [
        { title: '', cell: ([label]) => label },
        { title: 'n', cell: ([, s]) => s.n, numeric: true },
        { title: 'p50', cell: ([, s]) => fixed(s.p50), numeric: true },
        { title: 'p95', cell: ([, s]) => fixed(s.p95), numeric: true },
        { title: 'p99', cell: ([, s]) => fixed(s.p99), numeric: true },
        { title: 'max', cell: ([, s]) => fixed(s.max), numeric: true },
      ],
      'Restate’s floor (ms)',
    )}
<p>Restate (a) p50 = <b>${fixed(restate.phases.sequential.xFloorP50)} ×</b> its no-op round trip${
      sequential && floor ? `; ours (a) p50 = <b>${fixed(sequential.result.latency.p50 / floor.kafkaRoundTrip.p50)} ×</b> our Kafka round trip` : ''
    }.</p>`;
  }
  return `<h2>The floor</h2>
${floorSection(floor, sequential?.result.latency)}
${theirs}`;
}

function idlePart(page: ReportPage, idle: SagaBenchRow | undefined): string {
  if (!idle) return '';
  const names = Object.keys(idle.costs.cpuShare);
  const platform = names.filter((n) => n !== 'driver').reduce((sum, n) => sum + idle.costs.cpuShare[n], 0);
  return `<h2>Idle</h2>
<p>${fixed(idle.costs.seconds)} s with no orders: the whole platform used <b>${fixed(platform * 100)} %</b> of one core; per second ${fixed(idle.costs.statements)} SQL statements, ${fixed(idle.costs.commits)} commits, ${fixed(idle.costs.redisCommands)} Redis commands, ${fixed(idle.costs.producedRecords)} records produced.</p>
<div class="figures">${page.chart(
    'CPU while idle, per process',
    bars(
      names,
      [{ label: 'CPU (% of one core)', values: names.map((n) => Math.round(idle.costs.cpuShare[n] * 1000) / 10), color: colors.ours }],
      'process',
      '% of one core',
    ),
    'half',
  )}</div>`;
}

function singlePhase(page: ReportPage, row: Measured, floor: Floor | null, restate: RestateSummary | null): string {
  const r = row.result;
  const title = row.phase === 'a sequential' ? '(a) One at a time' : '(b) All at once';
  const floorMark = floor
    ? { ms: floor.kafkaRoundTrip.p50, label: `floor: Kafka produce → consume p50 ${fixed(floor.kafkaRoundTrip.p50)} ms` }
    : undefined;
  const figures = [
    page.chart(`${row.phase}: latency over time by send time, p50/p95/p99 per window`, latencyOverTime(r.timeline, floorMark)),
    page.chart(`${row.phase}: latency histogram`, latencyHistogram(latenciesOf(r.timeline), r.latency), 'half'),
    page.chart(`${row.phase}: throughput and orders in flight`, throughputAndInFlight(r.timeline), 'half'),
  ];
  const theirs = restateFor(row.phase, restate);
  let comparison = '';
  if (theirs) {
    const labels = ['p50', 'p95', 'p99', 'max'] as const;
    figures.push(
      page.chart(
        `${row.phase}: latency beside Restate`,
        bars(
          [...labels],
          [
            { label: 'ours', values: labels.map((p) => r.latency[p]), color: colors.ours },
            { label: 'Restate', values: labels.map((p) => theirs[p]), color: colors.restate },
          ],
          'percentile',
          'latency (ms)',
        ),
        'half',
      ),
    );
    if (theirs.throughput !== null) {
      figures.push(
        page.chart(
          `${row.phase}: throughput beside Restate`,
          bars(
            ['orders per second'],
            [
              { label: 'ours', values: [r.achievedPerSecond], color: colors.ours },
              { label: 'Restate', values: [theirs.throughput], color: colors.restate },
            ],
            'throughput',
            'orders per second',
          ),
          'half',
        ),
      );
    }
    const compared: [string, number, number | null][] = [
      ...labels.map((p): [string, number, number | null] => [`latency ${p} (ms, lower is better)`, r.latency[p], theirs[p]]),
      ...(theirs.throughput !== null
        ? [['orders per second (higher is better)', r.achievedPerSecond, theirs.throughput] as [string, number, number | null]]
        : []),
    ];
    comparison = comparisonTable(compared, `${row.phase} beside Restate`);
  }
  return `<h2>${escapeHtml(title)}</h2>
${summaryTable(
  [
    ['send → terminal', r.latency],
    ['accepted → terminal (server)', r.serverLatency],
  ],
  `${row.phase}: ${r.sagas} sagas, ${fixed(r.achievedPerSecond)} per second (ms)`,
)}
${comparison}
<div class="figures">
${figures.join('\n')}
</div>`;
}

function comparisonTable(rows: [string, number, number | null][], caption: string): string {
  return table(
    rows,
    [
      { title: '', cell: ([label]) => label },
      { title: 'ours', cell: ([, ours]) => fixed(ours), numeric: true },
      { title: 'Restate', cell: ([, , theirs]) => fixed(theirs), numeric: true },
      { title: 'ours ÷ Restate', cell: ([, ours, theirs]) => ratio(ours, theirs), numeric: true },
    ],
    caption,
  );
}

function sweepPart(page: ReportPage, sweep: string, steps: readonly Measured[], restate: RestateSummary | null): string {
  const offered = steps.map((s) => sweepStepOf(s.phase)!.offered);
  const theirs = sweep === 'c-hot' && restate ? restate.phases.sweep : [];
  const title =
    sweep === 'c-hot'
      ? '(c-hot) Open-loop sweep, the hot shape (1 coffee, one customer: the anchor’s order)'
      : '(c-mix) Open-loop sweep, the load test’s mix';
  const ideal = [...new Set([0, ...offered, ...theirs.map((t) => t.offered)])].sort((a, b) => a - b);
  const rateSeries = [
    { label: 'ours: achieved', points: steps.map((s, i) => ({ x: offered[i], y: s.result.achievedPerSecond })), color: colors.ours },
    { label: 'achieved = offered', points: ideal.map((x) => ({ x, y: x })), color: colors.ideal, dashed: true },
  ];
  const latencySeries = [
    { label: 'ours p50', points: steps.map((s, i) => ({ x: offered[i], y: s.result.latency.p50 })), color: colors.p50 },
    { label: 'ours p99', points: steps.map((s, i) => ({ x: offered[i], y: s.result.latency.p99 })), color: colors.p99 },
  ];
  if (theirs.length > 0) {
    rateSeries.push({ label: 'Restate: achieved', points: theirs.map((t) => ({ x: t.offered, y: t.achieved ?? 0 })), color: colors.restate });
    latencySeries.push(
      { label: 'Restate p50', points: theirs.map((t) => ({ x: t.offered, y: t.p50 ?? 0 })), color: '#f7b6d2' },
      { label: 'Restate p99', points: theirs.map((t) => ({ x: t.offered, y: t.p99 ?? 0 })), color: colors.restate },
    );
  }
  const stepTable = table(
    steps,
    [
      { title: 'offered /s', cell: (s) => sweepStepOf(s.phase)!.offered, numeric: true },
      { title: 'achieved /s', cell: (s) => fixed(s.result.achievedPerSecond), numeric: true },
      { title: 'sagas', cell: (s) => s.result.sagas, numeric: true },
      { title: 'p50 ms', cell: (s) => fixed(s.result.latency.p50), numeric: true },
      { title: 'p99 ms', cell: (s) => fixed(s.result.latency.p99), numeric: true },
      { title: 'max ms', cell: (s) => fixed(s.result.latency.max), numeric: true },
      { title: 'drain s', cell: (s) => fixed(s.result.drainMs / 1000), numeric: true },
      { title: 'not terminal', cell: (s) => s.result.notTerminal, numeric: true },
      { title: 'POST errors', cell: (s) => s.result.postErrors, numeric: true },
      { title: 'invariants', cell: (s) => badge(s.result.passed) },
    ],
    `${sweep}: per step`,
  );
  let comparison = '';
  const common = steps
    .map((s, i) => ({ ours: s.result, theirs: theirs.find((t) => t.offered === offered[i]), offered: offered[i] }))
    .filter((c) => c.theirs);
  if (common.length > 0) {
    comparison = comparisonTable(
      common.flatMap(({ ours, theirs: t, offered: rate }): [string, number, number | null][] => [
        [`${rate}/s offered: achieved /s (higher is better)`, ours.achievedPerSecond, t!.achieved],
        [`${rate}/s offered: p50 ms (lower is better)`, ours.latency.p50, t!.p50],
        [`${rate}/s offered: p99 ms (lower is better)`, ours.latency.p99, t!.p99],
      ]),
      `${sweep} beside Restate (its sweep: the same order, open loop, latency from the scheduled send time)`,
    );
  }
  const labelled = steps.map((s) => ({ label: s.phase, timeline: s.result.timeline }));
  return `<h2>${escapeHtml(title)}</h2>
${stepTable}
${comparison}
<div class="figures">
${page.chart(`${sweep}: achieved rate against offered rate`, linesOver('offered (orders per second)', 'achieved (orders per second)', rateSeries), 'half')}
${page.chart(`${sweep}: p50 and p99 per offered rate (log scale)`, linesOver('offered (orders per second)', 'send → end of saga (ms, log scale)', latencySeries, true), 'half')}
${page.chart(`${sweep}: every order by its send time, step after step (log scale)`, sweepLatencyOverTime(labelled))}
${page.chart(`${sweep}: throughput and orders in flight over the sweep`, throughputAndInFlight(mergedTimeline(labelled.map((l) => l.timeline))))}
</div>`;
}

function costsPart(page: ReportPage, rows: readonly SagaBenchRow[], restate: RestateSummary | null): string {
  const perSaga = rows.filter((r) => r.result !== undefined);
  const names = [...new Set(perSaga.flatMap((r) => Object.keys(r.costs.cpuMs)))];
  const costTable = table(
    perSaga,
    [
      { title: 'phase', cell: (r) => r.phase },
      { title: 'statements', cell: (r) => fixed(r.costs.statements), numeric: true },
      { title: 'commits', cell: (r) => fixed(r.costs.commits), numeric: true },
      { title: 'fsyncs', cell: (r) => fixed(r.costs.fsyncs), numeric: true },
      { title: 'Redis commands', cell: (r) => fixed(r.costs.redisCommands), numeric: true },
      { title: 'records produced', cell: (r) => fixed(r.costs.producedRecords), numeric: true },
      ...names.map((name) => ({ title: `CPU ms ${name}`, cell: (r: SagaBenchRow) => fixed(r.costs.cpuMs[name]), numeric: true })),
      { title: 'CPU ms platform', cell: (r) => fixed(platformCpuMs(r.costs)), numeric: true },
    ],
    'Per saga placed (warm-up orders included): MariaDB’s counters, Redis’s, records on the saga topics, CPU per process',
  );
  const labels = perSaga.map((r) => r.phase);
  const series: Series[] = names.map((name, i) => ({
    label: `ours: ${name}`,
    values: perSaga.map((r) => r.costs.cpuMs[name] ?? null),
    color: colors.series[i % colors.series.length],
    stack: 'ours',
  }));
  let comparison = '';
  if (restate) {
    const theirs = perSaga.map((r) => restateFor(r.phase, restate));
    const cpu = theirs.map((t) => (t ? restateCpuPerOrder(t) : null));
    const restateShades = { server: '#c51b7d', services: '#de77ae', driver: '#f1b6da' } as const;
    for (const part of ['server', 'services', 'driver'] as const) {
      series.push({ label: `Restate: ${part}`, values: cpu.map((c) => c?.[part] ?? null), color: restateShades[part], stack: 'restate' });
    }
    const both = perSaga.flatMap((r, i): [string, number, number | null][] =>
      cpu[i]
        ? [
            [
              `${r.phase}: CPU ms per order without the driver (lower is better)`,
              platformCpuMs(r.costs),
              (cpu[i].server ?? 0) + (cpu[i].services ?? 0),
            ],
          ]
        : [],
    );
    comparison = comparisonTable(
      both,
      'CPU per order beside Restate (ours: the three services, MariaDB, Kafka, Redis; Restate: restate-server and its Node endpoint)',
    );
  }
  return `<h2>Cost per saga</h2>
${costTable}
${comparison}
<div class="figures">${page.chart(restate ? 'CPU ms per saga by process, ours beside Restate' : 'CPU ms per saga by process', bars(labels, series, 'phase', 'CPU ms per saga'))}</div>`;
}
