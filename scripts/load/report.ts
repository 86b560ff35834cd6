import type { Floor } from './floor.ts';
import type { InvariantResult } from './invariants.ts';
import { timelineOf, type OrderTimeline } from '../report/timeline.ts';
import type { PlacedOrder, Progress } from './run-load.ts';
import { ms, summarize, type Summary } from './stats.ts';

export interface LoadReport {
  startedAt: string;
  plan: Record<string, unknown>;
  orders: { placed: number; accepted: number; confirmed: number; cancelled: number; notTerminal: number; postErrors: number };
  sagaLatency: Summary;
  /** From the POST's (scheduled) send time on the client's wall clock to the server's terminalAt. */
  sendToTerminalLatency: Summary;
  sagaLatencyByOutcome: Record<string, Summary>;
  postLatency: Summary;
  throughputSagasPerSecond: number;
  wallSeconds: number;
  floor: Floor | null;
  invariants: InvariantResult[];
  passed: boolean;
  /** Every order's send, accept and end times: what the HTML report draws over time. */
  timeline: OrderTimeline;
}

export function buildReport(
  plan: Record<string, unknown>,
  orders: PlacedOrder[],
  wallMs: number,
  floor: Floor | null,
  invariants: InvariantResult[],
): LoadReport {
  const terminal = orders.filter((o) => o.sagaMs !== null);
  const byOutcome: Record<string, Summary> = {};
  for (const status of ['CONFIRMED', 'CANCELLED']) {
    byOutcome[status] = summarize(terminal.filter((o) => o.status === status).map((o) => o.sagaMs!));
  }
  const firstCreated = Math.min(...terminal.map((o) => o.createdAt!));
  const lastTerminal = Math.max(...terminal.map((o) => o.terminalAt!));
  return {
    startedAt: new Date().toISOString(),
    plan,
    orders: {
      placed: orders.length,
      accepted: orders.filter((o) => o.id).length,
      confirmed: orders.filter((o) => o.status === 'CONFIRMED').length,
      cancelled: orders.filter((o) => o.status === 'CANCELLED').length,
      notTerminal: orders.filter((o) => o.id && o.terminalAt === null).length,
      postErrors: orders.filter((o) => o.error).length,
    },
    sagaLatency: summarize(terminal.map((o) => o.sagaMs!)),
    sendToTerminalLatency: summarize(terminal.map((o) => o.terminalAt! - o.sentWallMs)),
    sagaLatencyByOutcome: byOutcome,
    postLatency: summarize(orders.filter((o) => o.httpStatus === 201).map((o) => o.postMs)),
    throughputSagasPerSecond: terminal.length > 1 ? (terminal.length * 1000) / Math.max(1, lastTerminal - firstCreated) : 0,
    wallSeconds: wallMs / 1000,
    floor,
    invariants,
    passed: invariants.every((i) => i.pass),
    timeline: timelineOf(orders),
  };
}

export function printReport(report: LoadReport): void {
  const line = (label: string, s: Summary) =>
    console.log(
      `  ${label.padEnd(26)} p50 ${ms(s.p50).padStart(9)}  p95 ${ms(s.p95).padStart(9)}  p99 ${ms(s.p99).padStart(9)}  max ${ms(s.max).padStart(9)}  (n=${s.count})`,
    );
  const o = report.orders;
  console.log(
    `\nOrders: ${o.placed} placed, ${o.accepted} accepted, ${o.confirmed} CONFIRMED, ${o.cancelled} CANCELLED, ${o.notTerminal} not terminal, ${o.postErrors} POST errors`,
  );
  console.log('Latency');
  line('POST → terminal (saga)', report.sagaLatency);
  line('send → terminal (client)', report.sendToTerminalLatency);
  line('  of which CONFIRMED', report.sagaLatencyByOutcome.CONFIRMED);
  line('  of which CANCELLED', report.sagaLatencyByOutcome.CANCELLED);
  line('POST response', report.postLatency);
  console.log(
    `Throughput: ${report.throughputSagasPerSecond.toFixed(1)} sagas/s (first accepted → last terminal), wall ${report.wallSeconds.toFixed(1)} s`,
  );
  if (report.floor) {
    const f = report.floor;
    line('floor: DB commit', f.dbCommit);
    line('floor: Kafka round trip', f.kafkaRoundTrip);
    const confirmedP50 = report.sagaLatencyByOutcome.CONFIRMED.p50;
    if (Number.isFinite(confirmedP50)) {
      console.log(
        `  CONFIRMED saga p50 = ${(confirmedP50 / f.kafkaRoundTrip.p50).toFixed(1)} × Kafka round trip = ${(confirmedP50 / f.dbCommit.p50).toFixed(1)} × DB commit (a saga is ≥ 6 hops and 7 commits)`,
      );
    }
  }
  console.log('Invariants');
  for (const result of report.invariants) console.log(`  ${result.pass ? 'PASS' : 'FAIL'}  ${result.name} — ${result.detail}`);
  console.log(report.passed ? '\nALL INVARIANTS PASS' : '\nINVARIANTS FAILED');
}

export function progressPrinter(): (p: Progress) => void {
  const tty = process.stdout.isTTY;
  let lastPrint = 0;
  return (p) => {
    const text = `sent ${p.sent}  accepted ${p.accepted}  terminal ${p.terminal}  confirmed ${p.confirmed}  cancelled ${p.cancelled}  errors ${p.errors}  ${(p.elapsedMs / 1000).toFixed(1)} s`;
    if (tty) {
      const width = 30;
      const filled = p.sent === 0 ? 0 : Math.round((p.terminal / p.sent) * width);
      process.stdout.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}   `);
      if (p.done) process.stdout.write('\n');
    } else if (p.done || p.elapsedMs - lastPrint >= 2_000) {
      lastPrint = p.elapsedMs;
      console.log(text);
    }
  };
}
