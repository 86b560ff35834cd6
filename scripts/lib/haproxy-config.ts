// Writes the local HAProxy configuration from infra/haproxy/haproxy.local.cfg.template.
//   node scripts/lib/haproxy-config.ts --out .run/haproxy.cfg \
//     --order 127.0.0.1:8181,127.0.0.1:8191 --product 127.0.0.1:8182,… --payment 127.0.0.1:8183,… \
//     [--order-port 8080] [--product-port 8090] [--payment-port 8100] [--stats-port 9000] [--bind 127.0.0.1]
// build-and-run.sh calls it; the replicas e2e test imports renderHaproxyConfig.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const templatePath = fileURLToPath(new URL('../../infra/haproxy/haproxy.local.cfg.template', import.meta.url));

export interface HaproxyLayout {
  /** host:port of every replica, per service. */
  servers: { order: string[]; product: string[]; payment: string[] };
  /** Where HAProxy listens. */
  ports: { order: number; product: number; payment: number; stats: number };
  bind?: string;
}

/** The DESIGN's entry points: order 8080, product 8090, payment 8100, stats 9000. */
export const defaultFrontendPorts = { order: 8080, product: 8090, payment: 8100, stats: 9000 } as const;

export function renderHaproxyConfig(layout: HaproxyLayout, template = readFileSync(templatePath, 'utf8')): string {
  const serverLines = (service: keyof HaproxyLayout['servers']) => {
    const addresses = layout.servers[service];
    if (addresses.length === 0) throw new Error(`no ${service} replicas to balance`);
    return addresses.map((address, index) => `  server ${service}-${index + 1} ${address}`).join('\n');
  };
  const values: Record<string, string> = {
    BIND: layout.bind ?? '127.0.0.1',
    ORDER_PORT: String(layout.ports.order),
    PRODUCT_PORT: String(layout.ports.product),
    PAYMENT_PORT: String(layout.ports.payment),
    STATS_PORT: String(layout.ports.stats),
    ORDER_SERVERS: serverLines('order'),
    PRODUCT_SERVERS: serverLines('product'),
    PAYMENT_SERVERS: serverLines('payment'),
  };
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (slot, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`haproxy template: unknown slot ${slot}`);
    return value;
  });
}

/** The HAProxy executable, if installed (Debian puts it in /usr/sbin, which a non-root PATH may lack). */
export function haproxyBinary(): string | null {
  for (const candidate of ['haproxy', '/usr/sbin/haproxy']) {
    if (spawnSync(candidate, ['-v'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return null;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      order: { type: 'string' },
      product: { type: 'string' },
      payment: { type: 'string' },
      'order-port': { type: 'string', default: String(defaultFrontendPorts.order) },
      'product-port': { type: 'string', default: String(defaultFrontendPorts.product) },
      'payment-port': { type: 'string', default: String(defaultFrontendPorts.payment) },
      'stats-port': { type: 'string', default: String(defaultFrontendPorts.stats) },
      bind: { type: 'string', default: '127.0.0.1' },
    },
  });
  const list = (name: 'order' | 'product' | 'payment') => (values[name] ?? '').split(',').filter(Boolean);
  const config = renderHaproxyConfig({
    servers: { order: list('order'), product: list('product'), payment: list('payment') },
    ports: {
      order: Number(values['order-port']),
      product: Number(values['product-port']),
      payment: Number(values['payment-port']),
      stats: Number(values['stats-port']),
    },
    bind: values.bind,
  });
  if (values.out) writeFileSync(values.out, config);
  else process.stdout.write(config);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
