import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ADMIN_PASSWORD } from '../../order-service/src/identity/auth-settings.ts';
import { startPlatform, type Platform, type ServiceName } from '../support/platform.ts';
import { customers, orderBody, platformClient, products, type PlatformClient } from '../support/platform-client.ts';
import { platformTokens } from '../support/platform-tokens.ts';
import { createTestIssuer, privateKeyOf, signTestToken } from '../support/test-issuer.ts';
import { eventually, testEnv } from '../support/test-infra.ts';

/**
 * Every /api route of the three services × every kind of caller → the status it must answer,
 * generated from one table; then rotation and revocation of the signing key across services.
 * Customer A is the seeded "rich" customer, B ("middle") plays the other customer.
 */

/** How long product and payment verify with a key set they cannot fetch again (AUTH_JWKS_MAX_STALE_MS). */
const MAX_STALE_MS = 4_000;

const A = customers.rich;
const B = customers.middle;
const adminPassword = process.env.ADMIN_PASSWORD ?? DEFAULT_ADMIN_PASSWORD;

const KINDS = [
  'none',
  'expired',
  'badSignature',
  'wrongAudience',
  'wrongIssuer',
  'unknownKid',
  'service',
  'otherCustomer',
  'customer',
  'admin',
] as const;
type Kind = (typeof KINDS)[number];
/** Tokens that do not verify: 401 on every route that is not public. */
const UNVERIFIABLE: Kind[] = ['none', 'expired', 'badSignature', 'wrongAudience', 'wrongIssuer', 'unknownKid'];
const REFUSING: Kind[] = [...UNVERIFIABLE, 'service', 'otherCustomer'];
const ALLOWED: Kind[] = ['customer', 'admin'];

interface Fixture {
  orderA: string;
}

interface RouteCase {
  service: ServiceName;
  method: 'GET' | 'POST' | 'PUT';
  /** As in the OpenAPI document. */
  template: string;
  path(f: Fixture): string;
  body?(f: Fixture): unknown;
  /** Expected status for the other customer (B), customer A, and an admin. Tokens that do not verify: always 401. */
  expect: { otherCustomer: number; customer: number; admin: number };
  public?: boolean;
  /** The status for a `service` token (the order service's own, asking the payment service); default 403. */
  asService?: number;
}

const coffee = products.coffee.id;
const route = (
  service: ServiceName,
  method: RouteCase['method'],
  template: string,
  path: RouteCase['path'],
  [otherCustomer, customer, admin]: [number, number, number],
  body?: RouteCase['body'],
): RouteCase => ({ service, method, template, path, body, expect: { otherCustomer, customer, admin } });

// [other customer, customer A, admin]
const ROUTES: RouteCase[] = [
  // order service
  route(
    'order-service',
    'POST',
    '/api/v1/orders',
    () => '/api/v1/orders',
    [403, 201, 201],
    () => orderBody(A, [{ product: products.coffee, quantity: 1 }]),
  ),
  route('order-service', 'GET', '/api/v1/orders/{orderTrackingId}', (f) => `/api/v1/orders/${f.orderA}`, [404, 200, 200]),
  route('order-service', 'GET', '/api/v1/orders', () => `/api/v1/orders?customerId=${A}`, [403, 200, 200]),
  route('order-service', 'GET', '/api/v1/orders/{orderTrackingId}/outcome', (f) => `/api/v1/orders/${f.orderA}/outcome?timeoutMs=0`, [403, 403, 200]),
  { ...route('order-service', 'GET', '/api/v1/catalog/products', () => '/api/v1/catalog/products', [200, 200, 200]), asService: 200 },
  route('order-service', 'GET', '/api/v1/orders/{orderId}/saga', (f) => `/api/v1/orders/${f.orderA}/saga`, [403, 403, 200]),
  route(
    'order-service',
    'POST',
    '/api/v1/orders/{orderId}/saga/timeouts/{timer}',
    (f) => `/api/v1/orders/${f.orderA}/saga/timeouts/payment`,
    [403, 403, 409],
  ),
  route(
    'order-service',
    'POST',
    '/api/v1/orders/{orderId}/saga/compensation',
    (f) => `/api/v1/orders/${f.orderA}/saga/compensation`,
    [403, 403, 409],
    () => ({
      reason: 'auth matrix',
    }),
  ),
  route('order-service', 'GET', '/api/v1/sagas/stuck', () => '/api/v1/sagas/stuck', [403, 403, 200]),
  route('order-service', 'GET', '/api/v1/sagas/overview', () => '/api/v1/sagas/overview', [403, 403, 200]),
  route('order-service', 'GET', '/api/v1/sagas/drift', () => '/api/v1/sagas/drift', [403, 403, 200]),
  route('order-service', 'POST', '/api/v1/sagas/reconcile', () => '/api/v1/sagas/reconcile', [403, 403, 200]),
  route('order-service', 'GET', '/api/v1/dead-letters', () => '/api/v1/dead-letters', [403, 403, 200]),
  route('order-service', 'POST', '/api/v1/dead-letters/{id}/redrive', () => '/api/v1/dead-letters/999999/redrive', [403, 403, 404]),
  route('order-service', 'GET', '/api/v1/auth/keys', () => '/api/v1/auth/keys', [403, 403, 200]),
  route(
    'order-service',
    'POST',
    '/api/v1/auth/keys/rotation',
    () => '/api/v1/auth/keys/rotation',
    [403, 403, 200],
    () => ({}),
  ),
  // An unknown customer, so the admin's 404 changes nobody's password.
  route(
    'order-service',
    'PUT',
    '/api/v1/customers/{customerId}/password',
    () => '/api/v1/customers/00000000-0000-4000-8000-00000000abcd/password',
    [403, 403, 404],
    () => ({
      password: 'an auth matrix password',
    }),
  ),
  {
    ...route(
      'order-service',
      'POST',
      '/api/v1/auth/tokens',
      () => '/api/v1/auth/tokens',
      [200, 200, 200],
      () => ({ admin: true, password: adminPassword }),
    ),
    public: true,
  },
  // product service
  { ...route('product-service', 'GET', '/api/v1/products', () => '/api/v1/products', [200, 200, 200]), asService: 200 },
  { ...route('product-service', 'GET', '/api/v1/products/{productId}', () => `/api/v1/products/${coffee}`, [200, 200, 200]), asService: 200 },
  route('product-service', 'GET', '/api/v1/products/{productId}/reservations', () => `/api/v1/products/${coffee}/reservations`, [403, 403, 200]),
  // The reconciler's reads: the order service's own service token and admins.
  { ...route('product-service', 'GET', '/api/v1/order-stock', (f) => `/api/v1/order-stock?orderIds=${f.orderA}`, [403, 403, 200]), asService: 200 },
  route(
    'product-service',
    'POST',
    '/api/v1/products',
    () => '/api/v1/products',
    [403, 403, 201],
    () => ({
      name: `auth matrix ${Date.now()}`,
      price: 1000,
      quantity: 1,
    }),
  ),
  route(
    'product-service',
    'PUT',
    '/api/v1/products/{productId}/price',
    () => `/api/v1/products/${coffee}/price`,
    [403, 403, 200],
    () => ({
      price: products.coffee.price,
    }),
  ),
  route(
    'product-service',
    'POST',
    '/api/v1/products/{productId}/stock',
    () => `/api/v1/products/${coffee}/stock`,
    [403, 403, 200],
    () => ({ quantity: 1 }),
  ),
  // payment service
  route('payment-service', 'GET', '/api/v1/credits/ledger-check', () => '/api/v1/credits/ledger-check', [403, 403, 200]),
  {
    ...route('payment-service', 'GET', '/api/v1/order-payments', (f) => `/api/v1/order-payments?orderIds=${f.orderA}`, [403, 403, 200]),
    asService: 200,
  },
  route('payment-service', 'GET', '/api/v1/credits/{customerId}', () => `/api/v1/credits/${A}`, [403, 200, 200]),
  route('payment-service', 'GET', '/api/v1/credits/{customerId}/history', () => `/api/v1/credits/${A}/history`, [403, 200, 200]),
  route(
    'payment-service',
    'POST',
    '/api/v1/credits/{customerId}/top-ups',
    () => `/api/v1/credits/${A}/top-ups`,
    [403, 403, 201],
    () => ({ amount: 1 }),
  ),
  route('payment-service', 'GET', '/api/v1/payments/{orderId}', (f) => `/api/v1/payments/${f.orderA}`, [404, 200, 200]),
  { ...route('payment-service', 'GET', '/api/v1/customers/{customerId}', () => `/api/v1/customers/${A}`, [403, 403, 200]), asService: 200 },
];

const expectedStatus = (entry: RouteCase, kind: Kind): number => {
  if (entry.public) return 200;
  if (UNVERIFIABLE.includes(kind)) return 401;
  if (kind === 'service') return entry.asService ?? 403;
  return entry.expect[kind as 'otherCustomer' | 'customer' | 'admin'];
};

let platform: Platform;
let client: PlatformClient;
const fixture: Fixture = { orderA: '' };
const headersOf = new Map<Kind, Record<string, string>>();
let realKey: { kid: string; privateKey: CryptoKey };

async function send(entry: RouteCase, headers: Record<string, string>) {
  const body = entry.body?.(fixture);
  return fetch(`${platform.url[entry.service]}${entry.path(fixture)}`, {
    method: entry.method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function activeSigningKey(): Promise<{ kid: string; privateKey: CryptoKey }> {
  const connection = await createConnection({ host: testEnv.DB_HOST, port: testEnv.DB_PORT, user: testEnv.DB_USER, password: testEnv.DB_PASSWORD });
  try {
    const [rows] = await connection.query('select kid, private_jwk from e2e_order_db.signing_key where active_slot = 1');
    const [row] = rows as { kid: string; private_jwk: string }[];
    return { kid: row!.kid, privateKey: await privateKeyOf(JSON.parse(row!.private_jwk)) };
  } finally {
    await connection.end();
  }
}

/** What a refused request must not have changed. */
async function persistedState() {
  const admin = await client.tokens.adminHeaders();
  const get = async (service: ServiceName, path: string) =>
    (await fetch(`${platform.url[service]}${path}`, { headers: admin })).json() as Promise<any>;
  const [orders, productsPage, history, coffeeNow, keys, credit] = await Promise.all([
    get('order-service', '/api/v1/orders?size=1'),
    get('product-service', '/api/v1/products?size=1'),
    get('payment-service', `/api/v1/credits/${A}/history?size=1`),
    get('product-service', `/api/v1/products/${coffee}`),
    get('order-service', '/api/v1/auth/keys'),
    get('payment-service', `/api/v1/credits/${A}`),
  ]);
  return {
    orders: orders.total,
    products: productsPage.total,
    ledgerEntries: history.total,
    coffee: { onHand: coffeeNow.onHand, price: coffeeNow.price, revision: coffeeNow.revision },
    keys: keys.items.length,
    balance: credit.balance,
  };
}

describe('who may call what: every /api route × every kind of caller (three services as processes)', () => {
  beforeAll(async () => {
    platform = await startPlatform({
      perService: {
        'order-service': { AUTH_KEY_CACHE_MS: '300' },
        'product-service': { AUTH_JWKS_MAX_AGE_MS: '1000', AUTH_JWKS_MAX_STALE_MS: String(MAX_STALE_MS) },
        'payment-service': { AUTH_JWKS_MAX_AGE_MS: '1000', AUTH_JWKS_MAX_STALE_MS: String(MAX_STALE_MS) },
      },
    });
    client = platformClient(platform);
    await client.waitForCatalog();
    fixture.orderA = await client.placeOrder(orderBody(A, [{ product: products.coffee, quantity: 1 }]));
    await client.waitTerminal(fixture.orderA);

    realKey = await activeSigningKey();
    const stranger = await createTestIssuer();
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    headersOf.set('none', {});
    headersOf.set('expired', bearer(await signTestToken(realKey.privateKey, realKey.kid, { role: 'admin', subject: 'admin', expiresInS: -120 })));
    headersOf.set('badSignature', bearer(await signTestToken(stranger.privateKey, realKey.kid, { role: 'admin', subject: 'admin' })));
    headersOf.set(
      'wrongAudience',
      bearer(await signTestToken(realKey.privateKey, realKey.kid, { role: 'admin', subject: 'admin', audience: 'urn:another-api' })),
    );
    headersOf.set(
      'wrongIssuer',
      bearer(await signTestToken(realKey.privateKey, realKey.kid, { role: 'admin', subject: 'admin', issuer: 'urn:another-issuer' })),
    );
    // The platform's key under a kid nobody published: product and payment fetch the JWKS again (once per cooldown), then refuse.
    headersOf.set('unknownKid', bearer(await signTestToken(realKey.privateKey, 'kid-nobody-published', { role: 'admin', subject: 'admin' })));
    // What the order service signs for itself to ask the payment service whether a customer exists.
    headersOf.set('service', bearer(await signTestToken(realKey.privateKey, realKey.kid, { role: 'service', subject: 'order-service' })));
    headersOf.set('otherCustomer', await client.tokens.customerHeaders(B));
    headersOf.set('customer', await client.tokens.customerHeaders(A));
    headersOf.set('admin', await client.tokens.adminHeaders());
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('the table covers every /api operation of the three OpenAPI documents, and each says who may call it', async () => {
    const shape = (path: string) => path.replace(/\{[^}]+\}/g, '{}');
    const tabled = new Set(ROUTES.map((entry) => `${entry.service} ${entry.method} ${shape(entry.template)}`));
    const documented = new Set<string>();
    for (const service of ['order-service', 'product-service', 'payment-service'] as const) {
      const document = (await (await fetch(`${platform.url[service]}/openapi.json`)).json()) as any;
      expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
      for (const [path, operations] of Object.entries<Record<string, any>>(document.paths)) {
        if (!path.startsWith('/api/')) continue;
        for (const [method, operation] of Object.entries(operations)) {
          documented.add(`${service} ${method.toUpperCase()} ${shape(path)}`);
          expect(operation.description, `${method} ${path}`).toContain('**Access:**');
          if (path !== '/api/v1/auth/tokens') {
            expect(operation.security).toEqual([{ bearerAuth: [] }]);
            expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403']));
          }
        }
      }
    }
    expect([...documented].sort()).toEqual([...tabled].sort());
  });

  describe('refused callers change nothing', () => {
    let before: Awaited<ReturnType<typeof persistedState>>;
    beforeAll(async () => {
      before = await persistedState();
    });

    for (const kind of REFUSING) {
      it.each(ROUTES.map((entry) => [`${entry.method} ${entry.template} (${entry.service})`, entry] as const))(`${kind}: %s`, async (_, entry) => {
        const response = await send(entry, headersOf.get(kind)!);
        const expected = expectedStatus(entry, kind);
        expect(response.status, await response.clone().text()).toBe(expected);
        if (expected === 401) {
          expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="commerce-platform"/);
          expect(response.headers.get('content-type')).toBe('application/problem+json');
        }
        if (expected === 403) {
          expect(response.headers.get('content-type')).toBe('application/problem+json');
          expect(((await response.json()) as { status: number }).status).toBe(403);
        }
      });
    }

    it('nothing was stored, moved or charged by any refused request', async () => {
      expect(await persistedState()).toEqual(before);
    });
  });

  for (const kind of ALLOWED) {
    it.each(ROUTES.map((entry) => [`${entry.method} ${entry.template} (${entry.service})`, entry] as const))(`${kind}: %s`, async (_, entry) => {
      const response = await send(entry, headersOf.get(kind)!);
      expect(response.status, await response.clone().text()).toBe(expectedStatus(entry, kind));
    });
  }

  it("a customer cannot tell another customer's order from one that does not exist (404 both)", async () => {
    const orderB = await client.placeOrder(orderBody(B, [{ product: products.coffee, quantity: 1 }]));
    const asA = headersOf.get('customer')!;
    const theirs = await fetch(`${platform.url['order-service']}/api/v1/orders/${orderB}`, { headers: asA });
    const missing = await fetch(`${platform.url['order-service']}/api/v1/orders/00000000-0000-4000-8000-000000000000`, { headers: asA });
    expect(theirs.status).toBe(404);
    expect(missing.status).toBe(404);
    const detail = async (response: Response) => ((await response.json()) as { detail: string }).detail;
    expect(await detail(theirs)).toBe(await detail(missing));
    // Listing: without a customerId a customer sees only their own orders.
    const own = (await (await fetch(`${platform.url['order-service']}/api/v1/orders?size=200`, { headers: asA })).json()) as any;
    expect(own.items.length).toBeGreaterThan(0);
    expect(own.items.every((order: { customerId: string }) => order.customerId === A)).toBe(true);
    expect(own.items.map((order: { orderTrackingId: string }) => order.orderTrackingId)).not.toContain(orderB);
  });

  it("an Idempotency-Key is its customer's own: B reusing A's key gets an order of B's, not a 409 that would tell A's key exists", async () => {
    const key = `predictable-key-${Date.now()}`;
    const place = async (customer: string, quantity: number) =>
      fetch(`${platform.url['order-service']}/api/v1/orders`, {
        method: 'POST',
        headers: { ...(await client.tokens.customerHeaders(customer)), 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(orderBody(customer, [{ product: products.coffee, quantity }])),
      });
    const idOf = async (response: Response) => ((await response.json()) as { orderTrackingId: string }).orderTrackingId;
    const first = await place(A, 1);
    expect(first.status).toBe(201);
    const orderOfA = await idOf(first);
    const reused = await place(B, 2);
    expect(reused.status).toBe(201);
    expect(reused.headers.get('idempotent-replayed')).toBeNull();
    const orderOfB = await idOf(reused);
    expect(orderOfB).not.toBe(orderOfA);
    // Each customer's retry answers their own first order; another body under B's own key is B's conflict.
    const retried = await place(A, 1);
    expect([retried.status, retried.headers.get('idempotent-replayed'), await idOf(retried)]).toEqual([201, 'true', orderOfA]);
    expect((await place(B, 3)).status).toBe(409);
    const read = async (customer: string, orderId: string) =>
      (await fetch(`${platform.url['order-service']}/api/v1/orders/${orderId}`, { headers: await client.tokens.customerHeaders(customer) })).status;
    expect([await read(B, orderOfB), await read(A, orderOfB)]).toEqual([200, 404]);
  });

  it('gives tokens only to customers that exist, with the right password', async () => {
    const tokens = platformTokens(platform.url['order-service']);
    const ask = (body: unknown) =>
      fetch(`${platform.url['order-service']}/api/v1/auth/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const issued = await tokens.issueCustomer(A);
    expect(issued).toMatchObject({ role: 'customer', subject: A, expiresIn: 3600 });
    expect(
      (await ask({ customerId: '00000000-0000-4000-8000-000000000000', password: process.env.DEMO_CUSTOMER_PASSWORD ?? 'customer-password' })).status,
    ).toBe(401);
    expect((await ask({ customerId: A, password: 'wrong' })).status).toBe(401);
    expect((await ask({ admin: true, password: 'wrong' })).status).toBe(401);
    expect((await ask({ admin: false, password: adminPassword })).status).toBe(400);
    const jwks = (await (await fetch(`${platform.url['order-service']}/.well-known/jwks.json`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(key).not.toHaveProperty('d'); // public halves only
    }
  });

  it('rotation: tokens of the retired key keep working everywhere until they expire; new tokens carry the new kid', async () => {
    const admin = await client.tokens.adminHeaders();
    const customerToken = async () => (await platformTokens(platform.url['order-service']).issueCustomer(A)).accessToken;
    const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    const before = await customerToken();
    const rotated = await fetch(`${platform.url['order-service']}/api/v1/auth/keys/rotation`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(rotated.status).toBe(200);
    const { kid, keys } = (await rotated.json()) as {
      kid: string;
      keys: { kid: string; active: boolean; verifying: boolean; expiresAt: string | null }[];
    };
    expect(keys.filter((key) => key.active).map((key) => key.kid)).toEqual([kid]);
    expect(keys.find((key) => key.kid === kidOf(before))).toMatchObject({ active: false, verifying: true });
    const after = await customerToken();
    expect(kidOf(after)).toBe(kid);
    expect(kidOf(before)).not.toBe(kid);
    for (const token of [before, after]) {
      const headers = { authorization: `Bearer ${token}` };
      expect((await fetch(`${platform.url['order-service']}/api/v1/orders/${fixture.orderA}`, { headers })).status).toBe(200);
      // Product and payment have not seen the new kid yet: they fetch the JWKS again on their own.
      expect((await fetch(`${platform.url['product-service']}/api/v1/products/${coffee}`, { headers })).status).toBe(200);
      expect((await fetch(`${platform.url['payment-service']}/api/v1/credits/${A}`, { headers })).status).toBe(200);
    }
  });

  it('revocation: a retired key that has expired verifies nothing any more — at once on the order service, within the JWKS max age elsewhere', async () => {
    const oldToken = `Bearer ${(await platformTokens(platform.url['order-service']).issueCustomer(A)).accessToken}`;
    const forged = `Bearer ${await signTestToken(realKey.privateKey, realKey.kid, { role: 'admin', subject: 'admin' })}`; // the first key, retired earlier
    const revoke = await fetch(`${platform.url['order-service']}/api/v1/auth/keys/rotation`, {
      method: 'POST',
      headers: { ...(await client.tokens.adminHeaders()), 'content-type': 'application/json' },
      body: JSON.stringify({ revokePrevious: true }),
    });
    expect(revoke.status).toBe(200);
    const { keys } = (await revoke.json()) as { keys: { active: boolean; verifying: boolean }[] };
    expect(keys.filter((key) => !key.active).every((key) => !key.verifying)).toBe(true);
    const statusWith = async (service: ServiceName, path: string, authorization: string) =>
      (await fetch(`${platform.url[service]}${path}`, { headers: { authorization } })).status;
    expect(await statusWith('order-service', `/api/v1/orders/${fixture.orderA}`, oldToken)).toBe(401);
    expect(await statusWith('order-service', '/api/v1/sagas/overview', forged)).toBe(401);
    for (const [service, path] of [
      ['product-service', `/api/v1/products/${coffee}`],
      ['payment-service', `/api/v1/credits/${A}`],
    ] as const) {
      const statuses = await eventually(
        async () => [await statusWith(service, path, oldToken), await statusWith(service, path, forged)],
        (found) => found.every((status) => status === 401),
        10_000,
        200,
      );
      expect(statuses).toEqual([401, 401]);
    }
    const fresh = `Bearer ${(await platformTokens(platform.url['order-service']).issueCustomer(A)).accessToken}`;
    expect(await statusWith('payment-service', `/api/v1/credits/${A}`, fresh)).toBe(200);
    expect(await statusWith('product-service', `/api/v1/products/${coffee}`, fresh)).toBe(200);
  });

  it('revoked while the JWKS is down: product and payment stop taking the revoked key within AUTH_JWKS_MAX_STALE_MS (503 until the JWKS answers), never later', async () => {
    const issue = async () => `Bearer ${(await platformTokens(platform.url['order-service']).issueCustomer(A)).accessToken}`;
    const statusWith = async (service: ServiceName, path: string, authorization: string) =>
      (await fetch(`${platform.url[service]}${path}`, { headers: { authorization } })).status;
    const reads = [
      ['product-service', `/api/v1/products/${coffee}`],
      ['payment-service', `/api/v1/credits/${A}`],
    ] as const;
    const token = await issue();
    for (const [service, path] of reads)
      expect(
        await eventually(
          () => statusWith(service, path, token),
          (status) => status === 200,
          10_000,
          200,
        ),
      ).toBe(200);
    // Revoke the key that signed it, and take the issuer down at once: nobody can fetch the news.
    const admin = `Bearer ${(await platformTokens(platform.url['order-service']).issueAdmin()).accessToken}`; // the cached one's key was revoked above
    const revoke = await fetch(`${platform.url['order-service']}/api/v1/auth/keys/rotation`, {
      method: 'POST',
      headers: { authorization: admin, 'content-type': 'application/json' },
      body: JSON.stringify({ revokePrevious: true }),
    });
    expect(revoke.status).toBe(200);
    await platform.kill('order-service');
    const down = Date.now();
    for (const [service, path] of reads) {
      const status = await eventually(
        () => statusWith(service, path, token),
        (found) => found !== 200,
        MAX_STALE_MS + 5_000,
        200,
      );
      expect(status, `${service} still took the revoked key ${Date.now() - down} ms after the issuer went down`).not.toBe(200);
      expect([401, 503]).toContain(status);
    }
    expect(Date.now() - down).toBeLessThan(MAX_STALE_MS + 5_000);
    // Still refused a moment later (no key set came back from nowhere).
    for (const [service, path] of reads) expect([401, 503]).toContain(await statusWith(service, path, token));
    // The issuer back: new tokens verify again everywhere (after the fetch backoff), the revoked one never.
    await platform.start('order-service');
    const fresh = await issue();
    for (const [service, path] of reads) {
      expect(
        await eventually(
          () => statusWith(service, path, fresh),
          (status) => status === 200,
          40_000,
          500,
        ),
      ).toBe(200);
      expect(await statusWith(service, path, token)).toBe(401);
    }
  });

  it('cannot vouch for a customer while the payment service is down: 503, not a token', async () => {
    await platform.kill('payment-service');
    const response = await fetch(`${platform.url['order-service']}/api/v1/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: A, password: process.env.DEMO_CUSTOMER_PASSWORD ?? 'customer-password' }),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });
});
