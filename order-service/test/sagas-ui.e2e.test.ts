import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, type Platform } from '../../tests/support/platform.ts';
import { customers, orderBody, platformClient, products, type PlatformClient } from '../../tests/support/platform-client.ts';
import { DEFAULT_ADMIN_PASSWORD } from '../src/identity/auth-settings.ts';
import { orderSagaChart } from '../src/console/operator/machine-facts.ts';
import { geometryOfRenderedChart, readabilityProblems } from './statechart-geometry.ts';
import { ORDER_SAGA_VERSION } from '#statecharts/order-saga.machine.ts';

// Debian's Chromium (scripts/lib/ensure-chromium.sh installs it); no browser is ever downloaded.
const chromiumPath = '/usr/bin/chromium';
const screenshots = fileURLToPath(new URL('../../test-results/', import.meta.url));
// DOCS_SCREENSHOTS=1 also writes the pictures README and docs show (docs/images/sagas.png, saga-order.png).
const docsImages = process.env.DOCS_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/images/', import.meta.url)) : null;

let platform: Platform;
let client: PlatformClient;
let browser: Browser;
let page: Page;
let base: string;
let failedOrder: string;
const requested: string[] = [];

describe('saga pages in a browser: three services as processes, Debian Chromium', () => {
  beforeAll(async () => {
    if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: run scripts/lib/ensure-chromium.sh`);
    mkdirSync(screenshots, { recursive: true });
    if (docsImages) mkdirSync(docsImages, { recursive: true });
    platform = await startPlatform();
    client = platformClient(platform);
    base = platform.url['order-service'];
    await client.waitForCatalog();
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('request', (request) => requested.push(request.url()));
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('drives an order through a payment failure: PENDING → RESERVED → CANCELLING → CANCELLED', async () => {
    const confirmed = await client.placeOrder(orderBody(customers.rich, [{ product: products.coffee, quantity: 1 }]));
    const { balance } = await client.credit(customers.modest);
    const quantity = Math.floor(balance / products.pasta.price) + 1;
    failedOrder = await client.placeOrder(orderBody(customers.modest, [{ product: products.pasta, quantity }]));
    expect((await client.waitTerminal(failedOrder)).orderStatus).toBe('CANCELLED');
    expect((await client.waitTerminal(confirmed)).orderStatus).toBe('CONFIRMED');
  });

  it("asks for the operator's name and the admin password before showing a saga page; a wrong one is refused", async () => {
    const refused = await page.goto(`${base}/sagas`);
    expect(refused?.status()).toBe(401);
    expect(refused?.headers()['www-authenticate']).toMatch(/^Bearer /);
    expect(await page.textContent('h2')).toBe('Sign in');
    expect(await page.content()).not.toContain(failedOrder);
    await page.fill('#sign-in-form input[name=operator]', 'ops-1');
    await page.fill('#sign-in-form input[name=password]', 'not the password');
    await page.click('#sign-in-form button[type=submit]');
    await page.waitForFunction(() => document.getElementById('sign-in-message')?.textContent?.includes('401'));
    await page.fill('#sign-in-form input[name=password]', process.env.ADMIN_PASSWORD ?? DEFAULT_ADMIN_PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('#sign-in-form button[type=submit]')]);
    await page.waitForSelector('svg.statechart');
    expect(await page.textContent('#sign-out')).toBe('sign out');
    expect(await page.textContent('#signed-in')).toBe('signed in as ops-1');
    // The server set the read-only session (tests/security/saga-pages-hostile.int.test.ts checks what it opens).
    const cookie = (await page.context().cookies()).find((entry) => entry.name === 'sagas_session');
    expect(cookie).toMatchObject({ path: '/sagas', sameSite: 'Strict', httpOnly: true });
  });

  it('/sagas draws the statechart from the machine with live counts per state, and lists recent orders', async () => {
    const response = await page.goto(`${base}/sagas`);
    expect(response?.status()).toBe(200);
    await page.waitForSelector('svg.statechart g.state[data-state="CANCELLING.refundingPayment"]');
    expect(await page.locator('svg.statechart g.state').count()).toBe(8);
    expect(await page.locator('svg.statechart g.edge.kind-timeout').count()).toBeGreaterThan(0);
    expect(await page.locator('svg.statechart g.edge.kind-compensation').count()).toBeGreaterThan(0);
    await expectReadableChart(page);
    // Counts arrive from the overview API the page polls.
    await page.waitForFunction(() => document.querySelector('[data-count-for="CANCELLED"]')?.textContent === '1 order');
    expect(await page.textContent('[data-count-for="CONFIRMED"]')).toBe('1 order');
    expect(await page.textContent('[data-count-for="PENDING"]')).toBe('0 orders');
    expect(await page.getAttribute('g.state[data-state="CANCELLED"]', 'class')).toContain('occupied');
    await page.waitForSelector(`#recent-orders a[href="/sagas/${failedOrder}"]`);
    expect(await page.locator('#recent-orders tbody tr').count()).toBe(2);
    expect(await page.textContent('#stuck-orders tbody')).toContain('none');
    expect(await page.textContent('#live')).toMatch(/live · updated/);

    // Live: an order placed now shows up without reloading the page.
    const third = await client.placeOrder(orderBody(customers.rich, [{ product: products.coffee, quantity: 2 }]));
    await page.waitForSelector(`#recent-orders a[href="/sagas/${third}"]`, { timeout: 10_000 });
    await client.waitTerminal(third);
    await page.waitForFunction(() => document.querySelector('[data-count-for="CONFIRMED"]')?.textContent === '2 orders', undefined, {
      timeout: 10_000,
    });
    await page.screenshot({ path: `${screenshots}sagas-overview.png`, fullPage: true });
    if (docsImages) await page.screenshot({ path: `${docsImages}sagas.png`, fullPage: true });
  });

  it("/sagas/{id} highlights the order's path and shows its timeline", async () => {
    await page.click(`#recent-orders a[href="/sagas/${failedOrder}"]`);
    await page.waitForSelector('table#timeline');
    expect(page.url()).toBe(`${base}/sagas/${failedOrder}`);
    const visited = await page.$$eval('svg.statechart g.state.visited', (nodes) => nodes.map((node) => node.getAttribute('data-state')));
    expect(visited.sort((a, b) => String(a).localeCompare(String(b)))).toEqual([
      'CANCELLED',
      'CANCELLING',
      'CANCELLING.releasingStock',
      'PENDING',
      'RESERVED',
    ]);
    expect(await page.getAttribute('svg.statechart g.state.current', 'data-state')).toBe('CANCELLED');
    const taken = await page.$$eval('svg.statechart g.edge.taken', (nodes) => nodes.map((node) => node.getAttribute('data-edge')));
    expect(taken).toEqual(['PENDING->RESERVED:forward', 'RESERVED->CANCELLING:compensation', 'CANCELLING.releasingStock->CANCELLED:compensation']);
    // The taken edges' labels carry " ×n" when taken more than once; none may then overlap.
    await expectReadableChart(page);
    const rows = await page.$$eval('#timeline tbody tr', (nodes) =>
      nodes.map((node) => ({
        type: node.getAttribute('data-event-type'),
        cells: [...node.querySelectorAll('td')].map((cell) => cell.textContent?.trim() ?? ''),
      })),
    );
    expect(rows.map((row) => row.type)).toEqual(['OrderPlaced', 'StockReserved', 'PaymentFailed', 'StockReleased']);
    const [, reserved, failed, released] = rows;
    expect(reserved!.cells[3]).toMatch(/^kafka/);
    expect(reserved!.cells[4]).toBe('PENDING → RESERVED');
    expect(reserved!.cells[5]).toContain('ChargePayment');
    expect(failed!.cells[2]).toMatch(/credit/i);
    expect(failed!.cells[4]).toBe('RESERVED → CANCELLING.releasingStock');
    expect(failed!.cells[5]).toContain('clear timer payment');
    expect(failed!.cells[5]).toContain('ReleaseStock');
    expect(failed!.cells[5]).toContain('set timer release #1');
    expect(released!.cells[4]).toBe('CANCELLING.releasingStock → CANCELLED');
    expect(rows.every((row) => row.cells[6] === 'changed' && row.cells[7] === `v${ORDER_SAGA_VERSION}`)).toBe(true);
    expect(await page.textContent('#pending-timers tbody')).toContain('the saga is finished');
    expect(await page.locator('#compensate-form').count()).toBe(0);
    await page.screenshot({ path: `${screenshots}sagas-order-payment-failed.png`, fullPage: true });
    if (docsImages) await page.screenshot({ path: `${docsImages}saga-order.png`, fullPage: true });
  });

  it('answers 404 for an unknown order and 400 for a malformed id, as pages', async () => {
    const unknown = await page.goto(`${base}/sagas/00000000-0000-4000-8000-000000000000`);
    expect(unknown?.status()).toBe(404);
    expect(await page.textContent('h2')).toBe('No such order');
    const malformed = await page.goto(`${base}/sagas/12345`);
    expect(malformed?.status()).toBe(400);
    expect(await page.textContent('h2')).toBe('Not an order id');
  });

  it('loads nothing from anywhere but the order service (works offline)', () => {
    expect(requested.length).toBeGreaterThan(5);
    expect(requested.filter((url) => !url.startsWith(`${base}/`))).toEqual([]);
  });
});

/**
 * The chart as the browser drew it: no two states overlap, no edge label lies over a state or
 * another label, no edge runs through a state that is not its own end (or around one), and every
 * transition of the machine has its edge and label on the page.
 */
async function expectReadableChart(on: Page): Promise<void> {
  const geometry = await on.$eval('svg.statechart', geometryOfRenderedChart);
  expect(readabilityProblems(geometry)).toEqual([]);
  const drawn = orderSagaChart.transitions.filter((transition) => transition.kind !== 'ignored');
  const edgeIds = new Set(geometry.edges.map((edge) => edge.id));
  const labels = await on.$$eval('svg.statechart text.edge-label', (texts) =>
    texts.map((text) => ({ edge: text.getAttribute('data-edge'), text: text.textContent })),
  );
  for (const transition of drawn) {
    const id = `${transition.from}->${transition.to ?? transition.from}:${transition.kind}`;
    expect(edgeIds.has(id), id).toBe(true);
    expect(labels.find((label) => label.edge === id)?.text, id).toContain(transition.event);
  }
  expect(geometry.states.map((state) => state.id).sort()).toEqual(orderSagaChart.states.map((state) => state.id).sort());
}
