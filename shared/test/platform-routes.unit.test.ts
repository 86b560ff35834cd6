import { describe, expect, it } from 'vitest';
import { createApp } from '../src/http/create-app.ts';
import { addPlatformRoutes } from '../src/http/platform-routes.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createMetricsRegistry } from '../src/observability/metrics.ts';

function appWith(check: () => Promise<unknown>) {
  const logged: unknown[] = [];
  const logger = createLogger('test', 'silent');
  logger.warn = ((fields: unknown) => void logged.push(fields)) as typeof logger.warn;
  const app = createApp({ logger, metrics: createMetricsRegistry('test') });
  addPlatformRoutes(app, {
    title: 'Test',
    description: 'test',
    version: '1',
    metrics: createMetricsRegistry('test-routes'),
    healthChecks: [{ name: 'database', check }],
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
