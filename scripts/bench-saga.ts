// npm run bench:saga -- [--rates 25,50,100,200,400] [--seconds 20] [--haproxy | --base-url URL …] [--json out.json]
// A sustained-rate sweep against running services: for each offered rate, orders are placed at
// that rate for N seconds (open loop, whatever the latency), every saga is followed to its end and
// the invariants are checked; prints latency and achieved throughput per rate and the saturation
// point (the first rate the platform cannot keep up with).
import { writeFileSync } from 'node:fs';
import { parseCliArgs } from './lib/cli-args.ts';
import { measureFloor } from './load/floor.ts';
import { runLoadTest } from './load/load-test.ts';
import { ms } from './load/stats.ts';

const usage = 'Usage: npm run bench:saga -- [--rates 25,50,100,200,400] [--seconds 20] [--haproxy | --base-url URL --product-url URL --payment-url URL] [--json out.json] [--token ADMIN_TOKEN]';
const values = parseCliArgs({
    rates: { type: 'string', default: '25,50,100,200,400' },
    seconds: { type: 'string', default: '20' },
    haproxy: { type: 'boolean', default: false },
    'base-url': { type: 'string' },
    'product-url': { type: 'string' },
    'payment-url': { type: 'string' },
    json: { type: 'string' },
    token: { type: 'string' },
  }, usage);
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);
if (rates.some((r) => !Number.isFinite(r) || r <= 0) || !(seconds > 0)) {
  console.error('--rates takes positive numbers separated by commas; --seconds a positive number');
  process.exit(2);
}
const env = process.env;
const urls = values.haproxy
  ? { order: 'http://127.0.0.1:8080', product: 'http://127.0.0.1:8090', payment: 'http://127.0.0.1:8100' }
  : {
      order: values['base-url'] ?? `http://127.0.0.1:${env.ORDER_PORT ?? 8181}`,
      product: values['product-url'] ?? `http://127.0.0.1:${env.PRODUCT_PORT ?? 8182}`,
      payment: values['payment-url'] ?? `http://127.0.0.1:${env.PAYMENT_PORT ?? 8183}`,
    };
const token = values.token ?? env.LOAD_TOKEN;

console.log(`Saga rate sweep against ${urls.order}: ${rates.join(', ')} orders/s, ${seconds} s each`);
const floor = await measureFloor();
console.log(`floor: DB commit p50 ${ms(floor.dbCommit.p50)}, Kafka round trip p50 ${ms(floor.kafkaRoundTrip.p50)}\n`);
console.log('offered/s  achieved/s   p50 saga    p95 saga    p99 saga    max saga    POST p99   terminal  invariants');

const rows = [];
let saturation: number | null = null;
for (const rate of rates) {
  const { report } = await runLoadTest({
    urls,
    rate,
    durationS: seconds,
    deadlineMs: 60_000,
    measureFloor: false,
    authHeader: token ? () => ({ authorization: `Bearer ${token}` }) : undefined,
  });
  const s = report.sagaLatency;
  const allTerminal = report.orders.notTerminal === 0 && report.orders.postErrors === 0;
  const keptUp = report.throughputSagasPerSecond >= rate * 0.9 && s.p99 <= 500 && allTerminal;
  if (!keptUp && saturation === null) saturation = rate;
  rows.push({ rate, report });
  console.log(
    `${String(rate).padStart(9)}  ${report.throughputSagasPerSecond.toFixed(1).padStart(10)}  ${ms(s.p50).padStart(10)}  ${ms(s.p95).padStart(10)}  ${ms(s.p99).padStart(10)}  ${ms(s.max).padStart(10)}  ${ms(report.postLatency.p99).padStart(9)}  ${`${report.orders.accepted - report.orders.notTerminal}/${report.orders.placed}`.padStart(8)}  ${report.passed ? 'PASS' : 'FAIL'}`,
  );
  if (!report.passed) for (const failed of report.invariants.filter((i) => !i.pass)) console.log(`           FAIL ${failed.name}: ${failed.detail}`);
}
console.log(
  saturation === null
    ? `\nKept up with every offered rate (p99 ≤ 500 ms, ≥ 90% of the offered rate, all terminal).`
    : `\nSaturation: at ${saturation} orders/s the platform no longer keeps up (p99 > 500 ms, < 90% of the offered rate, or orders left unfinished).`,
);
if (values.json) writeFileSync(values.json, JSON.stringify({ floor, saturation, rows: rows.map((r) => ({ rate: r.rate, ...r.report })) }, null, 2));
process.exit(rows.every((r) => r.report.passed) ? 0 : 1);
