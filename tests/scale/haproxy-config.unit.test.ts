import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultFrontendPorts, haproxyBinary, renderHaproxyConfig } from '../../scripts/lib/haproxy-config.ts';

const layout = {
  servers: {
    order: ['127.0.0.1:8181', '127.0.0.1:8191'],
    product: ['127.0.0.1:8182', '127.0.0.1:8192'],
    payment: ['127.0.0.1:8183', '127.0.0.1:8193'],
  },
  ports: defaultFrontendPorts,
};
const haproxy = haproxyBinary();

function haproxyCheck(config: string): { status: number | null; output: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'haproxy-')), 'haproxy.cfg');
  writeFileSync(file, config);
  const result = spawnSync(haproxy!, ['-c', '-f', file], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('local HAProxy configuration (infra/haproxy/haproxy.local.cfg.template)', () => {
  it('balances every replica of each service behind its own entry point, health-checked on /health/ready', () => {
    const config = renderHaproxyConfig(layout);
    expect(config).not.toMatch(/\{\{[A-Z_]+\}\}/);
    for (const [frontend, port] of [
      ['order', 8080],
      ['product', 8090],
      ['payment', 8100],
      ['stats', 9000],
    ] as const) {
      expect(config).toMatch(new RegExp(`frontend ${frontend}\\n  bind 127\\.0\\.0\\.1:${port}\\n`));
    }
    expect(config).toContain('  server order-1 127.0.0.1:8181\n  server order-2 127.0.0.1:8191');
    expect(config).toContain('  server product-1 127.0.0.1:8182\n  server product-2 127.0.0.1:8192');
    expect(config).toContain('  server payment-1 127.0.0.1:8183\n  server payment-2 127.0.0.1:8193');
    expect(config.match(/http-check send meth GET uri \/health\/ready /g)).toHaveLength(3);
    expect(config).toContain('stats uri /stats');
  });

  it('retries a request a replica may have received only when that is safe', () => {
    const config = renderHaproxyConfig(layout);
    const backend = (name: string) => config.split(`\nbackend ${name}\n`)[1].split('\n\n')[0];
    // orders and credit top-ups honour Idempotency-Key; product POSTs do not
    expect(backend('order')).toContain('disable-l7-retry unless { method GET HEAD OPTIONS } || { req.hdr(idempotency-key) -m found }');
    expect(backend('payment')).toContain('disable-l7-retry unless { method GET HEAD OPTIONS } || { req.hdr(idempotency-key) -m found }');
    expect(backend('product')).toContain('disable-l7-retry unless { method GET HEAD OPTIONS }\n');
  });

  it('refuses a service without replicas and a slot it does not know', () => {
    expect(() => renderHaproxyConfig({ ...layout, servers: { ...layout.servers, payment: [] } })).toThrow(/no payment replicas/);
    expect(() => renderHaproxyConfig(layout, 'bind {{NOPE}}')).toThrow(/unknown slot \{\{NOPE\}\}/);
  });

  it.skipIf(!haproxy)('is a configuration HAProxy accepts (haproxy -c), with one replica and with four', () => {
    for (const count of [1, 4]) {
      const servers = (port: number) => Array.from({ length: count }, (_, i) => `127.0.0.1:${port + 10 * i}`);
      const check = haproxyCheck(
        renderHaproxyConfig({ ...layout, servers: { order: servers(8181), product: servers(8182), payment: servers(8183) } }),
      );
      expect(check.output).toContain('Configuration file is valid');
      expect(check.status).toBe(0);
    }
  });

  it.skipIf(!haproxy)('the Docker variant (infra/haproxy/haproxy.cfg, used by compose.yaml) is accepted too', () => {
    const file = fileURLToPath(new URL('../../infra/haproxy/haproxy.cfg', import.meta.url));
    const result = spawnSync(haproxy!, ['-c', '-f', file], { encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`).toContain('Configuration file is valid');
    expect(result.status).toBe(0);
  });
});
