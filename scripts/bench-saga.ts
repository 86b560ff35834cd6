// npm run bench:saga -- [--phases idle,floor,a,b,c-hot,c-mix] [--rates 50,100,200,400,800,1600] [--seconds 10]
//                       [--sequential 50] [--concurrent 100] [--haproxy | --base-url URL …] [--json out.json] [--token ADMIN_TOKEN]
//                       [--html report.html] [--compare restate-summary.json | restate-bench.log]
// The saga benchmark, in the phases of the Restate anchor (../shared/bench/restate-saga) so the two
// read side by side, against running services:
//   idle   10 s with no orders: CPU of every process of the platform, Redis commands/s
//   floor  a bare MariaDB commit and a bare Kafka produce → consume, measured now
//   a      orders one at a time (1 coffee, seed customer), send → CONFIRMED
//   b      that many orders at once
//   c-hot  open-loop sweep on the hot shape (every order the same product and customer)
//   c-mix  open-loop sweep on the load test's mixed mix
// Each phase prints, per saga: SQL statements, commits and fsyncs (MariaDB's counters), Redis
// commands, records produced on the saga topics and CPU ms per process; invariants after each phase.
// A sweep stops after the first step the platform cannot keep up with.
import { writeFileSync } from 'node:fs';
import { parseCliArgs } from './lib/cli-args.ts';
import { costsBetween, openProbes, type Costs, type Probes } from './bench/machine-probes.ts';
import { allAtOnce, hotMix, oneAtATime, openLoopStep, type PhaseResult } from './bench/saga-phases.ts';
import { measureFloor } from './load/floor.ts';
import { defaultMix } from './load/order-mix.ts';
import { platformApi } from './load/platform-api.ts';
import { ms } from './load/stats.ts';
import { restateSummaryOrExit } from './report/restate-summary.ts';
import { writeSagaBenchReport, type SagaBenchRecord } from './report/saga-bench-report.ts';

const usage = `Usage: npm run bench:saga -- [--phases idle,floor,a,b,c-hot,c-mix] [--rates 50,100,200,400,800,1600] [--seconds 10]
       [--sequential 50] [--concurrent 100] [--haproxy | --base-url URL --product-url URL --payment-url URL] [--json out.json] [--token ADMIN_TOKEN]
       [--html report.html] [--compare restate-summary.json | restate-bench.log]`;
const values = parseCliArgs(
  {
    phases: { type: 'string', default: 'idle,floor,a,b,c-hot,c-mix' },
    rates: { type: 'string', default: '50,100,200,400,800,1600' },
    seconds: { type: 'string', default: '10' },
    sequential: { type: 'string', default: '50' },
    concurrent: { type: 'string', default: '100' },
    'idle-seconds': { type: 'string', default: '10' },
    haproxy: { type: 'boolean', default: false },
    'base-url': { type: 'string' },
    'product-url': { type: 'string' },
    'payment-url': { type: 'string' },
    json: { type: 'string' },
    html: { type: 'string' },
    compare: { type: 'string' },
    token: { type: 'string' },
  },
  usage,
);
const known = ['idle', 'floor', 'a', 'b', 'c-hot', 'c-mix'];
const phases = values.phases
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean);
const rates = values.rates.split(',').map(Number);
const numbers = {
  seconds: Number(values.seconds),
  sequential: Number(values.sequential),
  concurrent: Number(values.concurrent),
  idle: Number(values['idle-seconds']),
};
const badPhase = phases.find((p) => !known.includes(p));
if (badPhase || rates.some((r) => !(r > 0)) || Object.values(numbers).some((n) => !(n > 0))) {
  console.error(
    badPhase
      ? `unknown phase ${badPhase} (phases: ${known.join(', ')})`
      : '--rates takes positive numbers separated by commas; counts and seconds are positive numbers',
  );
  console.error(usage);
  process.exit(2);
}
// --compare is read now: a wrong file is one line before the run, not after it.
const restate = values.compare ? restateSummaryOrExit(values.compare) : null;
const startedAt = new Date().toISOString();
const env = process.env;
const port = (name: string, fallback: number) => Number(env[name] ?? fallback);
const urls = values.haproxy
  ? {
      order: `http://127.0.0.1:${port('LB_ORDER_PORT', 8080)}`,
      product: `http://127.0.0.1:${port('LB_PRODUCT_PORT', 8090)}`,
      payment: `http://127.0.0.1:${port('LB_PAYMENT_PORT', 8100)}`,
    }
  : {
      order: values['base-url'] ?? `http://127.0.0.1:${port('ORDER_PORT', 8181)}`,
      product: values['product-url'] ?? `http://127.0.0.1:${port('PRODUCT_PORT', 8182)}`,
      payment: values['payment-url'] ?? `http://127.0.0.1:${port('PAYMENT_PORT', 8183)}`,
    };
const token = values.token ?? env.LOAD_TOKEN;
const authHeader = token ? () => ({ authorization: `Bearer ${token}` }) : undefined;
const api = platformApi(urls, authHeader);

try {
  await api.order('00000000-0000-4000-8000-000000000000').catch((error: Error) => {
    if (!/→ 404/.test(error.message)) throw error;
  });
} catch (error) {
  console.error(
    `The services do not answer at ${urls.order} (${(error as Error).message.split('\n')[0]}). Start them first: ./scripts/build-and-run.sh --detach`,
  );
  process.exit(1);
}

// Replicas of a service listen 10 ports apart (build-and-run.sh --replicas).
const replicaPorts = (base: number) => [0, 1, 2, 3].map((i) => base + 10 * i);
const probes: Probes = await openProbes({
  order: replicaPorts(port('ORDER_PORT', 8181)),
  product: replicaPorts(port('PRODUCT_PORT', 8182)),
  payment: replicaPorts(port('PAYMENT_PORT', 8183)),
});
const processNames = [...probes.processes.keys()];
console.log(
  `Saga benchmark against ${urls.order}; processes: ${[...probes.processes].map(([name, pids]) => `${name} ${pids.join('/') || '?'}`).join(', ')}`,
);

interface Row {
  phase: string;
  result?: PhaseResult;
  costs: Costs;
}
const rows: Row[] = [];
let floorSummary: Awaited<ReturnType<typeof measureFloor>> | null = null;

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
function printCosts(costs: Costs, unit: string): void {
  console.log(
    `      per ${unit}: ${fmt(costs.statements)} statements, ${fmt(costs.commits)} commits, ${fmt(costs.fsyncs)} fsyncs, ${fmt(costs.redisCommands)} Redis commands, ${fmt(costs.producedRecords)} records produced`,
  );
  console.log(`      CPU ms per ${unit}: ${processNames.map((name) => `${name} ${fmt(costs.cpuMs[name])}`).join(', ')}`);
}
function printResult(label: string, result: PhaseResult, costs: Costs): void {
  const l = result.latency;
  console.log(
    `  ${label.padEnd(14)} ${String(result.sagas).padStart(6)} sagas  ${fmt(result.achievedPerSecond).padStart(7)}/s  p50 ${ms(l.p50).padStart(10)}  p99 ${ms(l.p99).padStart(10)}  max ${ms(l.max).padStart(10)}  (server p50 ${ms(result.serverLatency.p50)}, p99 ${ms(result.serverLatency.p99)})` +
      `${result.drainMs ? `  drain ${fmt(result.drainMs / 1000)} s` : ''}  ${result.notTerminal ? `${result.notTerminal} NOT TERMINAL  ` : ''}${result.postErrors ? `${result.postErrors} POST errors  ` : ''}${result.passed ? 'PASS' : 'FAIL'}`,
  );
  printCosts(costs, 'saga');
  for (const failed of result.invariants.filter((i) => !i.pass)) console.log(`      FAIL ${failed.name}: ${failed.detail}`);
}

async function measured(phase: string, run: () => Promise<PhaseResult>): Promise<PhaseResult> {
  const before = await probes.read();
  const result = await run();
  const costs = costsBetween(before, await probes.read(), Math.max(1, result.placed ?? result.sagas));
  rows.push({ phase, result, costs });
  printResult(phase, result, costs);
  return result;
}

async function sweep(name: string, mix: typeof hotMix): Promise<void> {
  console.log(
    `\n(${name}) open loop, ${numbers.seconds} s per step: ${rates.join(', ')} orders/s (after 3 s at ${rates[0]}/s to warm up, not counted)`,
  );
  await openLoopStep(urls, rates[0], 3, authHeader, mix);
  for (const rate of rates) {
    const result = await measured(`${name} ${rate}/s`, () => openLoopStep(urls, rate, numbers.seconds, authHeader, mix));
    const keptUp = result.achievedPerSecond >= rate * 0.9 && result.latency.p99 <= 500 && result.notTerminal === 0 && result.postErrors === 0;
    if (!keptUp) {
      console.log(
        `  saturated at ${rate}/s offered (achieved ${fmt(result.achievedPerSecond)}/s, p99 ${ms(result.latency.p99)}); the sweep stops here`,
      );
      break;
    }
  }
}

for (const phase of phases) {
  if (phase === 'idle') {
    console.log(`\n(idle) ${numbers.idle} s with no orders`);
    const before = await probes.read();
    await new Promise((resolve) => setTimeout(resolve, numbers.idle * 1000));
    const costs = costsBetween(before, await probes.read(), numbers.idle);
    rows.push({ phase, costs });
    const platform = processNames.filter((n) => n !== 'driver').reduce((sum, n) => sum + costs.cpuShare[n], 0);
    console.log(
      `  whole platform ${fmt(platform * 100)} % of one core; ${processNames.map((n) => `${n} ${fmt(costs.cpuShare[n] * 100)} %`).join(', ')}`,
    );
    printCosts(costs, 'second');
  } else if (phase === 'floor') {
    floorSummary = await measureFloor();
    console.log(
      `\n(floor) DB commit p50 ${ms(floorSummary.dbCommit.p50)} p99 ${ms(floorSummary.dbCommit.p99)}; Kafka produce → consume p50 ${ms(floorSummary.kafkaRoundTrip.p50)} p99 ${ms(floorSummary.kafkaRoundTrip.p99)}`,
    );
  } else if (phase === 'a') {
    console.log(`\n(a) ${numbers.sequential} orders one at a time (1 coffee, seed customer)`);
    await measured('a sequential', () => oneAtATime(api, numbers.sequential));
  } else if (phase === 'b') {
    console.log(`\n(b) ${numbers.concurrent} orders at once (1 coffee, seed customer)`);
    await measured('b concurrent', () => allAtOnce(urls, numbers.concurrent, authHeader));
  } else if (phase === 'c-hot') {
    await sweep('c-hot', hotMix);
  } else if (phase === 'c-mix') {
    await sweep('c-mix', defaultMix);
  }
}
await probes.close();
const record: SagaBenchRecord = { startedAt, urls, processes: Object.fromEntries(probes.processes), floor: floorSummary, rows };
if (values.json) writeFileSync(values.json, JSON.stringify(record, null, 2));
if (values.html) writeSagaBenchReport(values.html, record, restate);
process.exit(rows.every((row) => !row.result || row.result.passed) ? 0 : 1);
