// npm run load -- [--orders 100] [--concurrency 100] [--rate 300 --duration 20] [--base-url URL]
//                 [--product-url URL] [--payment-url URL] [--haproxy] [--deadline 60] [--json out.json]
//                 [--html out.html] [--no-floor] [--no-top-up] [--token <admin JWT>]
// Places orders against running services, waits for every saga to end, checks stock and money
// invariants through the services' own APIs and prints latency, throughput and this machine's floor.
// Tokens: each order is placed with its own customer's token and the rest (stock, top-ups, the order
// feed, invariants) with an admin token, all asked of the order service with $DEMO_CUSTOMER_PASSWORD
// and $ADMIN_PASSWORD (demo defaults); --token (or $LOAD_TOKEN) is an admin token to use instead.
import { parseCliArgs } from './lib/cli-args.ts';
import { defaultFrontendPorts } from './lib/haproxy-config.ts';
import { writeFileSync } from 'node:fs';
import { runLoadTest } from './load/load-test.ts';
import { orderServiceAuth } from './load/platform-api.ts';
import { printReport, progressPrinter } from './load/report.ts';
import { writeLoadReport } from './report/load-report.ts';

const usage = `Usage: npm run load -- [--orders 100] [--concurrency N] [--rate R --duration S] [--base-url URL]
       [--product-url URL] [--payment-url URL] [--haproxy] [--deadline 60] [--json out.json] [--html out.html]
       [--no-floor] [--no-top-up] [--token ADMIN_TOKEN]`;
const values = parseCliArgs(
  {
    orders: { type: 'string', default: '100' },
    concurrency: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    'base-url': { type: 'string' },
    'product-url': { type: 'string' },
    'payment-url': { type: 'string' },
    haproxy: { type: 'boolean', default: false },
    deadline: { type: 'string', default: '60' },
    json: { type: 'string' },
    html: { type: 'string' },
    'no-floor': { type: 'boolean', default: false },
    'no-top-up': { type: 'boolean', default: false },
    token: { type: 'string' },
  },
  usage,
);

const positive = (name: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${name} must be a positive number, got "${raw}"`);
    process.exit(2);
  }
  return value;
};

const env = process.env;
// --haproxy: the balancer build-and-run.sh starts, on the LB_* ports it was given (defaults: the DESIGN's 8080/8090/8100)
const balancer = `http://${env.LB_BIND && env.LB_BIND !== '0.0.0.0' ? env.LB_BIND : '127.0.0.1'}`;
const urls = values.haproxy
  ? {
      order: `${balancer}:${env.LB_ORDER_PORT ?? defaultFrontendPorts.order}`,
      product: `${balancer}:${env.LB_PRODUCT_PORT ?? defaultFrontendPorts.product}`,
      payment: `${balancer}:${env.LB_PAYMENT_PORT ?? defaultFrontendPorts.payment}`,
    }
  : {
      order: values['base-url'] ?? `http://127.0.0.1:${env.ORDER_PORT ?? 8181}`,
      product: values['product-url'] ?? `http://127.0.0.1:${env.PRODUCT_PORT ?? 8182}`,
      payment: values['payment-url'] ?? `http://127.0.0.1:${env.PAYMENT_PORT ?? 8183}`,
    };
const rate = positive('rate', values.rate);
const durationS = positive('duration', values.duration);
if ((rate === undefined) !== (durationS === undefined)) {
  console.error('--rate and --duration go together (a sustained rate for that many seconds)');
  process.exit(2);
}
const orders = positive('orders', values.orders)!;
const token = values.token ?? env.LOAD_TOKEN;

// Nothing is started here: a platform that is not running is one line saying what to start, not a fetch stack trace.
const down = (
  await Promise.all(
    Object.entries(urls).map(async ([service, url]) => {
      try {
        await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
        return null;
      } catch {
        return `${service} (${url})`;
      }
    }),
  )
).filter(Boolean);
if (down.length > 0) {
  const hint = values.haproxy ? './scripts/build-and-run.sh --haproxy (or --replicas N)' : './scripts/build-and-run.sh';
  console.error(`no answer from ${down.join(', ')}: start the platform first (${hint}), or point --base-url/--product-url/--payment-url at it`);
  process.exit(1);
}

console.log(
  rate
    ? `Sustained load: ${rate} orders/s for ${durationS} s against ${urls.order}`
    : `Load: ${orders} orders, ${values.concurrency ?? orders} concurrent, against ${urls.order}`,
);
const { report } = await runLoadTest({
  urls,
  orders: rate ? undefined : orders,
  concurrency: positive('concurrency', values.concurrency) ?? (rate ? undefined : orders),
  rate,
  durationS,
  deadlineMs: positive('deadline', values.deadline)! * 1000,
  measureFloor: !values['no-floor'],
  topUp: !values['no-top-up'],
  auth: orderServiceAuth(urls.order, { adminToken: token }),
  onProgress: progressPrinter(),
});
printReport(report);
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));
if (values.html) writeLoadReport(values.html, report);
process.exit(report.passed ? 0 : 1);
