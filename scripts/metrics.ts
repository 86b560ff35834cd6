// npm run metrics -- [--order-url URL] [--product-url URL] [--payment-url URL] [--watch SECONDS]
// One screen of the platform's state from the three services' /metrics (default: the local ports
// ORDER_PORT/PRODUCT_PORT/PAYMENT_PORT or 8181/8182/8183). --watch repeats it, with sagas/s.
import { parseCliArgs, usageError } from './lib/cli-args.ts';
import { parsePrometheusText } from './metrics/prometheus-text.ts';
import { summarize, type Scrape, type ServiceKey } from './metrics/summary.ts';

const usage = 'usage: npm run metrics -- [--order-url URL] [--product-url URL] [--payment-url URL] [--watch SECONDS]';
const values = parseCliArgs(
  {
    'order-url': { type: 'string' },
    'product-url': { type: 'string' },
    'payment-url': { type: 'string' },
    watch: { type: 'string' },
  },
  usage,
);

const env = process.env;
const urls: Record<ServiceKey, string> = {
  order: (values['order-url'] ?? `http://127.0.0.1:${env.ORDER_PORT ?? 8181}`).replace(/\/+$/, ''),
  product: (values['product-url'] ?? `http://127.0.0.1:${env.PRODUCT_PORT ?? 8182}`).replace(/\/+$/, ''),
  payment: (values['payment-url'] ?? `http://127.0.0.1:${env.PAYMENT_PORT ?? 8183}`).replace(/\/+$/, ''),
};

async function scrape(service: ServiceKey): Promise<Scrape> {
  const url = urls[service];
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) return { service, url, samples: null, error: `HTTP ${response.status}` };
    return { service, url, samples: parsePrometheusText(await response.text()) };
  } catch (error) {
    return { service, url, samples: null, error: error instanceof Error ? error.message : String(error) };
  }
}

const scrapeAll = () => Promise.all((['order', 'product', 'payment'] as const).map(scrape));
const header = () => `${new Date().toISOString()}  order ${urls.order}  product ${urls.product}  payment ${urls.payment}\n`;

const watchSeconds = values.watch === undefined ? null : Number(values.watch);
if (watchSeconds !== null && !(watchSeconds > 0)) usageError(`--watch must be a positive number of seconds, got "${values.watch}"`, usage);

let scrapes = await scrapeAll();
console.log(header() + summarize(scrapes));
if (watchSeconds === null) process.exit(scrapes.every((s) => s.samples) ? 0 : 1);

for (;;) {
  await new Promise((resolve) => setTimeout(resolve, watchSeconds * 1000));
  const next = await scrapeAll();
  process.stdout.write('\x1b[2J\x1b[H');
  console.log(header() + summarize(next, { scrapes, seconds: watchSeconds }));
  scrapes = next;
}
