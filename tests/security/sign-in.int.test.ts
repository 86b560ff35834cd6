import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '#shared/runtime/service-host.ts';
import { DEFAULT_ADMIN_PASSWORD, DEFAULT_DEMO_CUSTOMER_PASSWORD } from '../../order-service/src/identity/auth-settings.ts';
import { demoCustomerIds } from '../../order-service/src/identity/demo-customers.ts';
import { orderService } from '../../order-service/src/order-service.ts';
import { isolatedKafka, type IsolatedKafka } from '../support/isolated-kafka.ts';
import { freshDatabase } from '../support/test-infra.ts';

/**
 * Customer credentials and the brute-force limits of the sign-in, on an order service of its own
 * (real MariaDB, Redis, Kafka) behind a stand-in payment service that knows which customers exist.
 * The service trusts 127.0.0.1 as its proxy, so each case signs in from addresses of its own
 * (X-Forwarded-For), as clients behind HAProxy would.
 */

const dbName = 'order_sign_in_test';
const [A, B, C] = demoCustomerIds as [string, string, string];
/** A customer the payment service knows who has no password yet (not a seeded one). */
const newcomer = randomUUID();
const known = new Set([...demoCustomerIds, newcomer]);
const LOCKOUT_S = 3;

let directory: Server;
let directoryUrl: string;
let topics: IsolatedKafka;
let service: RunningService;
let adminToken: string;

const post = (path: string, body: unknown, from: string, headers: Record<string, string> = {}) =>
  fetch(`${service.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': from, ...headers },
    body: JSON.stringify(body),
  });
const signIn = (body: unknown, from: string) => post('/api/v1/auth/tokens', body, from);
const asCustomer = (customerId: string, password: string, from: string) => signIn({ customerId, password }, from);
const setPassword = (customerId: string, password: string, token = adminToken) =>
  fetch(`${service.url}/api/v1/customers/${customerId}/password`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ password }),
  });
const statuses = async (responses: Promise<Response>[]) => {
  const answered: number[] = [];
  for (const response of responses) answered.push((await response).status);
  return answered;
};

describe('sign-in: per-customer passwords, rate limits and lockout (order service, real MariaDB and Redis)', () => {
  beforeAll(async () => {
    directory = createServer((request, response) => {
      const id = /^\/api\/v1\/customers\/([^/]+)$/.exec(request.url ?? '')?.[1];
      response.writeHead(id && known.has(decodeURIComponent(id)) ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => directory.listen(0, '127.0.0.1', resolve));
    directoryUrl = `http://127.0.0.1:${(directory.address() as { port: number }).port}`;
    await freshDatabase(dbName);
    topics = await isolatedKafka('sign-in');
    service = await startService(orderService, {
      port: 0,
      dbName,
      env: {
        LOG_LEVEL: 'warn',
        KAFKA_TOPIC_PREFIX: topics.prefix,
        QUEUE_PREFIX: topics.prefix.replace(/-$/, ''),
        KAFKA_GROUP_ID: `${topics.prefix}order-service`,
        PAYMENT_SERVICE_URL: directoryUrl,
        AUTH_TRUSTED_PROXIES: '127.0.0.1',
        AUTH_LOGIN_MAX_FAILURES: '3',
        AUTH_LOGIN_MAX_ADDRESS_FAILURES: '6',
        AUTH_LOGIN_MAX_ATTEMPTS_PER_MINUTE: '30',
        AUTH_LOGIN_LOCKOUT_S: String(LOCKOUT_S),
      },
    });
    const admin = await signIn({ admin: true, password: DEFAULT_ADMIN_PASSWORD, operator: 'ops-1' }, '198.51.100.1');
    if (admin.status !== 200) throw new Error(`the operator could not sign in: ${admin.status} ${await admin.text()}`);
    adminToken = ((await admin.json()) as { accessToken: string }).accessToken;
  });

  afterAll(async () => {
    await service?.stop();
    await topics?.close();
    await new Promise((resolve) => directory?.close(resolve));
  });

  it('the seeded customers start with the demo password (outside production), kept as an scrypt hash', async () => {
    const rows = await service.deps.orm.em
      .fork()
      .execute<{ customer_id: string; password_hash: string; updated_by: string | null }[]>('select * from customer_credential order by customer_id');
    expect(rows.map((row) => row.customer_id)).toEqual([...demoCustomerIds].sort());
    for (const row of rows) {
      expect(row.password_hash).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
      expect(row.password_hash).not.toContain(DEFAULT_DEMO_CUSTOMER_PASSWORD);
      expect(row.updated_by).toBeNull();
    }
    // Every hash has its own salt.
    expect(new Set(rows.map((row) => row.password_hash)).size).toBe(rows.length);
    const issued = await asCustomer(A, DEFAULT_DEMO_CUSTOMER_PASSWORD, '198.51.100.2');
    expect(issued.status).toBe(200);
    expect(await issued.json()).toMatchObject({ role: 'customer', subject: A });
  });

  it('an operator sets a password of its own for a customer: the demo one stops working, the new one works', async () => {
    expect((await setPassword(B, 'a password of B alone')).status).toBe(204);
    expect((await asCustomer(B, DEFAULT_DEMO_CUSTOMER_PASSWORD, '198.51.100.3')).status).toBe(401);
    expect((await asCustomer(B, 'a password of B alone', '198.51.100.3')).status).toBe(200);
    const [row] = await service.deps.orm.em
      .fork()
      .execute<{ updated_by: string }[]>('select updated_by from customer_credential where customer_id = ?', [B]);
    expect(row!.updated_by).toBe('ops-1');
    // Knowing another customer's id and the demo password no longer makes anyone B; A's password is not B's.
    expect((await asCustomer(B, DEFAULT_DEMO_CUSTOMER_PASSWORD, '198.51.100.4')).status).toBe(401);
  });

  it('a customer without a password cannot sign in (401, like a wrong password) until an operator sets one', async () => {
    const refused = await asCustomer(newcomer, DEFAULT_DEMO_CUSTOMER_PASSWORD, '198.51.100.5');
    const wrong = await asCustomer(A, 'not the password', '198.51.100.5');
    expect([refused.status, wrong.status]).toEqual([401, 401]);
    expect(((await refused.json()) as { detail: string }).detail).toBe(((await wrong.json()) as { detail: string }).detail);
    expect((await setPassword(newcomer, 'the newcomer password')).status).toBe(204);
    expect((await asCustomer(newcomer, 'the newcomer password', '198.51.100.5')).status).toBe(200);
  });

  it('setting a password: unknown customer 404, too short or malformed 400, a customer token 403', async () => {
    expect((await setPassword(randomUUID(), 'a long enough password')).status).toBe(404);
    expect((await setPassword(A, 'short')).status).toBe(400);
    expect((await setPassword('not-a-uuid', 'a long enough password')).status).toBe(400);
    const customerToken = ((await (await asCustomer(A, DEFAULT_DEMO_CUSTOMER_PASSWORD, '198.51.100.6')).json()) as { accessToken: string })
      .accessToken;
    expect((await setPassword(A, 'a password A chose', customerToken)).status).toBe(403);
  });

  it('brute force on one customer: 401 until the third failure, then 429 with Retry-After from any address — even with the right password', async () => {
    const attempts = ['203.0.113.1', '203.0.113.2', '203.0.113.3'].map((from) => asCustomer(C, 'guess', from));
    expect(await statuses(attempts)).toEqual([401, 401, 401]);
    const locked = await asCustomer(C, DEFAULT_DEMO_CUSTOMER_PASSWORD, '203.0.113.4');
    expect(locked.status).toBe(429);
    expect(locked.headers.get('content-type')).toBe('application/problem+json');
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(LOCKOUT_S);
    expect(((await locked.json()) as { detail: string }).detail).toMatch(/locked/);
    // Other customers are not affected.
    expect((await asCustomer(A, DEFAULT_DEMO_CUSTOMER_PASSWORD, '203.0.113.4')).status).toBe(200);
    // The lockout ends by itself.
    await new Promise((resolve) => setTimeout(resolve, (retryAfter + 0.5) * 1000));
    expect((await asCustomer(C, DEFAULT_DEMO_CUSTOMER_PASSWORD, '203.0.113.4')).status).toBe(200);
  });

  it('an operator resetting the password lifts a lockout at once', async () => {
    expect(await statuses([1, 2, 3].map(() => asCustomer(newcomer, 'guess', '203.0.113.10')))).toEqual([401, 401, 401]);
    expect((await asCustomer(newcomer, 'the newcomer password', '203.0.113.11')).status).toBe(429);
    expect((await setPassword(newcomer, 'a fresh newcomer password')).status).toBe(204);
    expect((await asCustomer(newcomer, 'a fresh newcomer password', '203.0.113.11')).status).toBe(200);
  });

  it('the admin password is an account too: guessing it locks it (429), operators with a token keep working', async () => {
    const guesses = ['203.0.113.20', '203.0.113.21', '203.0.113.22'].map((from) => signIn({ admin: true, password: `guess ${from}` }, from));
    expect(await statuses(guesses)).toEqual([401, 401, 401]);
    const locked = await signIn({ admin: true, password: DEFAULT_ADMIN_PASSWORD, operator: 'ops-2' }, '203.0.113.23');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await fetch(`${service.url}/api/v1/auth/keys`, { headers: { authorization: `Bearer ${adminToken}` } })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, (LOCKOUT_S + 0.5) * 1000));
    expect((await signIn({ admin: true, password: DEFAULT_ADMIN_PASSWORD, operator: 'ops-2' }, '203.0.113.23')).status).toBe(200);
  });

  it('one address guessing across many accounts is blocked after AUTH_LOGIN_MAX_ADDRESS_FAILURES, for every account; other addresses are not', async () => {
    const spray = Array.from({ length: 6 }, () => asCustomer(randomUUID(), 'guess', '192.0.2.66'));
    expect(await statuses(spray)).toEqual([401, 401, 401, 401, 401, 401]);
    const blocked = await asCustomer(A, DEFAULT_DEMO_CUSTOMER_PASSWORD, '192.0.2.66');
    expect(blocked.status).toBe(429);
    expect(((await blocked.json()) as { detail: string }).detail).toMatch(/address/);
    expect((await asCustomer(A, DEFAULT_DEMO_CUSTOMER_PASSWORD, '192.0.2.67')).status).toBe(200);
  });

  it('caps attempts of any outcome per address and minute', async () => {
    const burst = Array.from({ length: 30 }, () => signIn({ admin: true, password: 'x'.repeat(300) }, '192.0.2.99'));
    // Malformed bodies (a password over 200 characters) are 400s before any limit is consulted.
    expect(new Set(await statuses(burst))).toEqual(new Set([400]));
    const attempts: number[] = [];
    for (let index = 0; index < 31; index++) {
      attempts.push(
        (await asCustomer(index % 2 === 0 ? A : B, index % 2 === 0 ? DEFAULT_DEMO_CUSTOMER_PASSWORD : 'a password of B alone', '192.0.2.100')).status,
      );
    }
    expect(attempts.slice(0, 30).every((status) => status === 200)).toBe(true);
    expect(attempts[30]).toBe(429);
  });

  it('a client cannot pick its address: X-Forwarded-For counts only from a trusted proxy, and then only its last hop', async () => {
    // The test's connection comes from 127.0.0.1, trusted here: the last hop is the client, whatever it put before.
    const spoofed = Array.from({ length: 6 }, (_, index) => asCustomer(randomUUID(), 'guess', `10.9.9.${index}, 192.0.2.150`));
    expect(await statuses(spoofed)).toEqual([401, 401, 401, 401, 401, 401]);
    expect((await asCustomer(A, DEFAULT_DEMO_CUSTOMER_PASSWORD, '10.9.9.200, 192.0.2.150')).status).toBe(429);
  });

  it('admin tokens carry the operator they were asked for; a name that is not one is a 400', async () => {
    const issued = (await (await signIn({ admin: true, password: DEFAULT_ADMIN_PASSWORD, operator: 'ops-7' }, '198.51.100.70')).json()) as {
      subject: string;
      role: string;
    };
    expect(issued).toMatchObject({ role: 'admin', subject: 'ops-7' });
    for (const operator of ['<script>alert(1)</script>', '', 'a'.repeat(65), 'ops 1', '"quoted"']) {
      const response = await signIn({ admin: true, password: DEFAULT_ADMIN_PASSWORD, operator }, '198.51.100.71');
      expect(response.status, operator).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
  });
});

describe('sign-in in production: no demo passwords', () => {
  let production: RunningService;
  let productionTopics: IsolatedKafka;

  afterAll(async () => {
    await production?.stop();
    await productionTopics?.close();
  });

  it('with NODE_ENV=production the seeded customers get no password: nobody signs in as them until an operator sets one', async () => {
    await freshDatabase(`${dbName}_production`);
    productionTopics = await isolatedKafka('sign-in-production');
    production = await startService(orderService, {
      port: 0,
      dbName: `${dbName}_production`,
      env: {
        NODE_ENV: 'production',
        LOG_LEVEL: 'error',
        KAFKA_TOPIC_PREFIX: productionTopics.prefix,
        QUEUE_PREFIX: productionTopics.prefix.replace(/-$/, ''),
        KAFKA_GROUP_ID: `${productionTopics.prefix}order-service`,
        PAYMENT_SERVICE_URL: directoryUrl,
      },
    });
    const [row] = await production.deps.orm.em.fork().execute<{ n: number | string }[]>('select count(*) as n from customer_credential');
    expect(Number(row!.n)).toBe(0);
    const response = await fetch(`${production.url}/api/v1/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: A, password: DEFAULT_DEMO_CUSTOMER_PASSWORD }),
    });
    expect(response.status).toBe(401);
  });
});
