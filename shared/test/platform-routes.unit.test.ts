import { describe, expect, it } from 'vitest';
import { createApp } from '../src/http/create-app.ts';
import { addPlatformRoutes, type HealthCheck } from '../src/http/platform-routes.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createMetricsRegistry } from '../src/observability/metrics.ts';

function appWith(check: () => Promise<unknown>, others: HealthCheck[] = []) {
  const logged: unknown[] = [];
  const logger = createLogger('test', 'silent');
  logger.warn = ((fields: unknown) => void logged.push(fields)) as typeof logger.warn;
  const app = createApp({ logger, metrics: createMetricsRegistry('test') });
  addPlatformRoutes(app, {
    title: 'Test',
    description: 'test',
    version: '1',
    metrics: createMetricsRegistry('test-routes'),
    healthChecks: [{ name: 'database', check, neededForReady: true }, ...others],
    logger,
  });
  return { app, logged };
}

describe('platform routes (open to anyone)', () => {
  it('/health names the check that is down but keeps its error text for the log', async () => {
    const { app, logged } = appWith(async () => {
      throw new Error("Access denied for user 'root'@'10.0.0.7' (using password: YES)");
    });
    const response = await app.request('/health');
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ status: 'DOWN', checks: { database: { status: 'DOWN' } } });
    expect(text).not.toMatch(/denied|root|10\.0\.0\.7/);
    expect(JSON.stringify(logged)).toMatch(/Access denied/);
  });

  it('a broker or Redis outage leaves the replica ready (/health/ready, what the balancer asks) while /health reports it', async () => {
    const down = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:9092');
    };
    const { app } = appWith(async () => {}, [
      { name: 'redis', check: down },
      { name: 'kafka', check: down },
    ]);
    const health = await app.request('/health');
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({
      status: 'DOWN',
      checks: { database: { status: 'UP' }, redis: { status: 'DOWN' }, kafka: { status: 'DOWN' } },
    });
    const ready = await app.request('/health/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'UP', checks: { database: { status: 'UP' } } });
    expect((await app.request('/health/live')).status).toBe(200);
  });

  it('a database outage makes the replica unready, yet it is alive (restarting it would not help)', async () => {
    const { app } = appWith(async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:3306');
    });
    const ready = await app.request('/health/ready');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'DOWN', checks: { database: { status: 'DOWN' } } });
    const live = await app.request('/health/live');
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'UP' });
  });

  it('/docs/assets serves only its own files: Object.prototype names are a 404, not a 500', async () => {
    const { app } = appWith(async () => {});
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', '..%2Fpackage.json']) {
      expect((await app.request(`/docs/assets/${name}`)).status, name).toBe(404);
    }
    expect((await app.request('/docs/assets/swagger-init.js')).status).toBe(200);
  });

  it('Swagger UI has no inline script and comes with a CSP that forbids one, no framing, nosniff', async () => {
    const { app } = appWith(async () => {});
    const response = await app.request('/swagger-ui.html');
    const page = await response.text();
    expect(page).not.toMatch(/<script>/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
  });
});
