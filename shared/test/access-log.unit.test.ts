import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/http/create-app.ts';
import { createMetricsRegistry } from '../src/observability/metrics.ts';

function appLoggingTo(lines: Record<string, unknown>[]) {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const app = createApp({ logger: pino({ level: 'debug' }, sink), metrics: createMetricsRegistry('test') });
  app.get('/api/v1/things/:id', (c) => c.json({ id: c.req.param('id') }, 200));
  app.get('/health', (c) => c.json({ status: 'UP' }));
  return app;
}

describe('access log', () => {
  it('writes one info line per request: method, path, status, ms and the request id of the response', async () => {
    const lines: Record<string, unknown>[] = [];
    const app = appLoggingTo(lines);
    const found = await app.request('/api/v1/things/7');
    const missing = await app.request('/nowhere', { method: 'POST' });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 30, method: 'GET', path: '/api/v1/things/7', status: 200, requestId: found.headers.get('x-request-id') });
    expect(lines[0].msg).toMatch(/^GET \/api\/v1\/things\/7 200 [\d.]+ ms$/);
    expect(lines[0].ms).toEqual(expect.any(Number));
    expect(lines[1]).toMatchObject({ level: 30, method: 'POST', path: '/nowhere', status: 404, requestId: missing.headers.get('x-request-id') });
  });

  it('keeps the probes (/health, /metrics) at debug', async () => {
    const lines: Record<string, unknown>[] = [];
    await appLoggingTo(lines).request('/health');
    expect(lines).toMatchObject([{ level: 20, path: '/health', status: 200 }]);
  });
});
