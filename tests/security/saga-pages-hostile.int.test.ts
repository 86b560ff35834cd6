import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '#shared/runtime/service-host.ts';
import { DEFAULT_ADMIN_PASSWORD } from '../../order-service/src/identity/auth-settings.ts';
import { SAGA_PAGES_COOKIE } from '../../order-service/src/identity/saga-pages-session.ts';
import { orderService } from '../../order-service/src/order-service.ts';
import { tokenClient } from '../../scripts/lib/token-client.ts';
import { isolatedKafka, type IsolatedKafka } from '../support/isolated-kafka.ts';
import { customers, orderBody, products } from '../support/platform-client.ts';
import { openSagaProbe, type SagaProbe } from '../support/saga-probe.ts';
import { eventually, freshDatabase } from '../support/test-infra.ts';

/**
 * Strings an attacker controls reach the saga pages: a customer writes the delivery address, a
 * reply carries a failure reason, an operator types a cancellation reason. In a real browser
 * (Debian's Chromium, never a downloaded one) none of them runs as script: they are escaped, and
 * the CSP would not run an inline script anyway. The page session is an HttpOnly cookie of its own
 * scope that the API refuses; an operator action takes an admin token asked for on the page.
 * An order service of its own (real MariaDB, Redis, Kafka); the test plays product and payment.
 */

const chromiumPath = '/usr/bin/chromium';
const dbName = 'order_saga_pages_hostile_test';
const hostile = {
  script: '<script>window.__pwned = "address"</script>',
  attribute: '"><img src=x onerror="window.__pwned=\'img\'">',
  closing: '</script><script>window.__pwned="closing"</script>',
  quote: "' onmouseover='window.__pwned=\"quote\"' x='",
  svg: '<svg onload="window.__pwned=\'svg\'">',
};

let topics: IsolatedKafka;
let service: RunningService;
let probe: SagaProbe;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
const pageErrors: string[] = [];
const orders = { rejected: '', cancelled: '' };

async function placeOrder(address: { street: string; postalCode: string; city: string }): Promise<string> {
  const admin = await tokenClient({ orderUrl: service.url }).adminHeaders();
  const response = await fetch(`${service.url}/api/v1/orders`, {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ ...orderBody(customers.rich, [{ product: products.coffee, quantity: 1 }]), address }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { orderTrackingId: string }).orderTrackingId;
}

const sagaOf = async (orderId: string) =>
  (await (
    await fetch(`${service.url}/api/v1/orders/${orderId}/saga`, { headers: await tokenClient({ orderUrl: service.url }).adminHeaders() })
  ).json()) as {
    status: string;
    failureMessages: string[];
    history: { eventType: string; actor: string | null }[];
  };

/** Nothing ran: no marker set, no dialog, no element or handler the strings tried to create. */
async function expectNothingRan(): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
  expect(dialogs).toEqual([]);
  expect(pageErrors).toEqual([]);
  const injected = await page.evaluate(() => ({
    scripts: [...document.querySelectorAll('script')].map((node) => node.getAttribute('src') ?? node.id),
    images: document.querySelectorAll('img').length,
    handlers: [...document.querySelectorAll('*')].flatMap((node) =>
      [...node.attributes].filter((attribute) => attribute.name.startsWith('on')).map((attribute) => attribute.name),
    ),
  }));
  expect(injected.scripts.filter((script) => script !== 'page-data' && script !== '/sagas/assets/sagas.js')).toEqual([]);
  expect(injected.images).toBe(0);
  expect(injected.handlers).toEqual([]);
}

function expectStrictCsp(headers: Record<string, string>): void {
  const csp = headers['content-security-policy'] ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-eval'/);
  expect(headers['x-content-type-options']).toBe('nosniff');
}

describe('hostile strings on the saga pages, in headless Chromium (order service with real MariaDB, Redis, Kafka)', () => {
  beforeAll(async () => {
    if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: run scripts/lib/ensure-chromium.sh`);
    await freshDatabase(dbName);
    topics = await isolatedKafka('saga-pages-hostile');
    service = await startService(orderService, {
      port: 0,
      dbName,
      env: {
        LOG_LEVEL: 'warn',
        KAFKA_TOPIC_PREFIX: topics.prefix,
        QUEUE_PREFIX: topics.prefix.replace(/-$/, ''),
        KAFKA_GROUP_ID: `${topics.prefix}order-service`,
        SAGA_RESERVATION_TIMEOUT_MS: '600000',
      },
    });
    for (const product of Object.values(products)) {
      await service.deps.orm.em
        .fork()
        .execute('insert ignore into catalog_product (id, name, price, active, revision, updated_at) values (?, ?, ?, 1, 1, now(3))', [
          product.id,
          product.id,
          product.price,
        ]);
    }
    probe = await openSagaProbe(topics.kafka, []);
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));

    // A customer's address, and a failure reason from "the product service".
    orders.rejected = await placeOrder({ street: `${hostile.script} ${hostile.quote}`, postalCode: '</script>', city: hostile.closing });
    await probe.send('StockRejected', orders.rejected, { code: 'INSUFFICIENT_STOCK', reason: `${hostile.attribute} ${hostile.closing}` });
    await eventually(
      () => sagaOf(orders.rejected),
      (saga) => saga.status === 'CANCELLED',
      15_000,
      100,
    );
    orders.cancelled = await placeOrder({ street: hostile.svg, postalCode: '"\'<>&', city: hostile.attribute });
  });

  afterAll(async () => {
    await browser?.close();
    await probe?.close();
    await service?.stop();
    await topics?.close();
  });

  it('signs in with a server-set session cookie: HttpOnly, SameSite=Strict, Path=/sagas, invisible to the page script', async () => {
    const signIn = await page.goto(`${service.url}/sagas`);
    expect(signIn?.status()).toBe(401);
    expectStrictCsp(signIn!.headers());
    await page.fill('#sign-in-form input[name=operator]', 'ops-1');
    await page.fill('#sign-in-form input[name=password]', DEFAULT_ADMIN_PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('#sign-in-form button[type=submit]')]);
    await page.waitForSelector('svg.statechart');
    expect(await page.textContent('#signed-in')).toBe('signed in as ops-1');
    const cookie = (await page.context().cookies()).find((entry) => entry.name === SAGA_PAGES_COOKIE);
    expect(cookie).toMatchObject({ path: '/sagas', httpOnly: true, sameSite: 'Strict', secure: false });
    expect(cookie!.expires - Date.now() / 1000).toBeLessThanOrEqual(900 + 5);
    expect(await page.evaluate(() => document.cookie)).toBe('');
  });

  it('the session cookie opens the pages but no API route: not as a bearer token, not for an operator action', async () => {
    const session = (await page.context().cookies()).find((entry) => entry.name === SAGA_PAGES_COOKIE)!.value;
    const bearer = { authorization: `Bearer ${session}` };
    expect((await fetch(`${service.url}/api/v1/sagas/overview`, { headers: bearer })).status).toBe(401);
    const cancel = await fetch(`${service.url}/api/v1/orders/${orders.cancelled}/saga/compensation`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'with the page session' }),
    });
    expect(cancel.status).toBe(401);
    // The browser does not even send it to /api (its path is /sagas).
    expect(await page.evaluate(async () => (await fetch('/api/v1/sagas/overview')).status)).toBe(401);
    // As a cookie it opens the pages (and only those): a GET with it works, the API ignores it.
    expect((await fetch(`${service.url}/sagas/overview.json`, { headers: { cookie: `${SAGA_PAGES_COOKIE}=${session}` } })).status).toBe(200);
    expect((await fetch(`${service.url}/api/v1/sagas/overview`, { headers: { cookie: `${SAGA_PAGES_COOKIE}=${session}` } })).status).toBe(401);
    expect((await sagaOf(orders.cancelled)).status).toBe('PENDING');
  });

  it('the overview lists the orders with their hostile failure messages as text; nothing runs', async () => {
    const response = await page.goto(`${service.url}/sagas`);
    expectStrictCsp(response!.headers());
    await page.waitForSelector(`#recent-orders a[href="/sagas/${orders.rejected}"]`);
    await page.waitForFunction(() => document.querySelector('[data-count-for="CANCELLED"]')?.textContent === '1 order');
    await expectNothingRan();
  });

  it("an order page shows the customer's address and the failure reason literally; nothing runs", async () => {
    const response = await page.goto(`${service.url}/sagas/${orders.rejected}`);
    expect(response?.status()).toBe(200);
    expectStrictCsp(response!.headers());
    await page.waitForSelector('table#timeline');
    expect(await page.textContent('#order-address')).toBe(`${hostile.script} ${hostile.quote}, </script> ${hostile.closing}`);
    const facts = await page.textContent('#order-facts');
    expect(facts).toContain(`${hostile.attribute} ${hostile.closing}`);
    const rejected = await page.textContent('#timeline tr[data-event-type="StockRejected"]');
    expect(rejected).toContain(hostile.attribute);
    await expectNothingRan();
  });

  it('an operator cancels from the page with an admin token asked for there: the hostile reason is recorded and shown as text, with the operator', async () => {
    await page.goto(`${service.url}/sagas/${orders.cancelled}`);
    await page.waitForSelector('#compensate-form');
    expect(await page.textContent('#order-address')).toBe(`${hostile.svg}, "'<>& ${hostile.attribute}`);
    const reason = `${hostile.closing} ${hostile.svg} ${hostile.quote}`;
    await page.fill('#compensate-form input[name=reason]', reason);
    // Without the admin password the page session cannot act.
    await page.click('#compensate-form button[type=submit]');
    await page.waitForFunction(() => document.getElementById('action-message')?.textContent?.includes('admin password'));
    expect((await sagaOf(orders.cancelled)).status).toBe('PENDING');
    await page.fill('#act-as-form input[name=password]', 'not the password');
    await page.click('#compensate-form button[type=submit]');
    await page.waitForFunction(() => document.getElementById('action-message')?.textContent?.includes('401'));
    await page.fill('#act-as-form input[name=password]', DEFAULT_ADMIN_PASSWORD);
    await page.click('#compensate-form button[type=submit]');
    await page.waitForFunction(() => document.getElementById('action-message')?.textContent?.startsWith('done: now CANCELLING'));
    const saga = await sagaOf(orders.cancelled);
    expect(saga.status).toBe('CANCELLING');
    expect(saga.history.at(-1)).toMatchObject({ eventType: 'CancellationRequested', actor: 'ops-1' });
    // The page refreshes itself; the reason shows up in the timeline as text, with the operator's name.
    await page.waitForSelector('#timeline tr[data-event-type="CancellationRequested"]');
    const row = await page.textContent('#timeline tr[data-event-type="CancellationRequested"]');
    expect(row).toContain(reason);
    expect(row).toContain('ops-1');
    await page.reload();
    await page.waitForSelector('#timeline tr[data-event-type="CancellationRequested"]');
    expect(await page.textContent('#order-facts')).toContain(reason);
    await expectNothingRan();
  });

  it('signing out clears the session: the pages ask for the password again', async () => {
    await page.goto(`${service.url}/sagas`);
    await Promise.all([page.waitForNavigation(), page.click('#sign-out')]);
    expect(await page.textContent('h2')).toBe('Sign in');
    expect((await page.context().cookies()).find((entry) => entry.name === SAGA_PAGES_COOKIE)).toBeUndefined();
    expect((await page.goto(`${service.url}/sagas/${orders.rejected}`))?.status()).toBe(401);
    await expectNothingRan();
  });
});
