import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadReport } from '../../scripts/load/report.ts';
import { startPlatform, type Platform } from '../support/platform.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let platform: Platform;

/** Runs `npm run load` as a user would (the script, its flags, its exit code) against a platform of the test's own. */
function runLoadScript(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`${root}scripts/load-test.ts`, ...args], {
      cwd: root,
      env: {
        ...process.env,
        ORDER_PORT: new URL(platform.url['order-service']).port,
        PRODUCT_PORT: new URL(platform.url['product-service']).port,
        PAYMENT_PORT: new URL(platform.url['payment-service']).port,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('the load test script against the three services', () => {
  beforeAll(async () => {
    platform = await startPlatform();
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('places a small mix of orders, follows every saga to its end and reports every invariant as PASS', async () => {
    const json = `${root}.run/test-results/load-e2e.json`;
    mkdirSync(dirname(json), { recursive: true });
    const { code, output } = await runLoadScript(['--orders', '24', '--concurrency', '8', '--no-floor', '--json', json]);
    expect(output).toContain('ALL INVARIANTS PASS');
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as LoadReport;
    expect(report.orders).toMatchObject({ placed: 24, accepted: 24, notTerminal: 0, postErrors: 0 });
    // The mix reaches both ends: confirmed orders and cancelled ones (out of stock, over credit).
    expect(report.orders.confirmed).toBeGreaterThan(0);
    expect(report.orders.cancelled).toBeGreaterThan(0);
    expect(report.invariants.length).toBeGreaterThanOrEqual(10);
    expect(report.invariants.filter((i) => !i.pass)).toEqual([]);
  });

  it('refuses flags that make no sense', async () => {
    const negative = await runLoadScript(['--orders=-3']);
    expect(negative.code).toBe(2);
    expect(negative.output).toMatch(/--orders must be a positive number/);
    const unknown = await runLoadScript(['--orderz', '3']);
    expect(unknown.code).toBe(2);
    expect(unknown.output).toMatch(/Unknown option '--orderz'[\s\S]*Usage: npm run load/);
    expect(unknown.output).not.toMatch(/\n\s+at /); // no stack trace
  });
});
