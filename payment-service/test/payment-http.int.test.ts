import { isolatedKafka, type IsolatedKafka } from '../../tests/support/isolated-kafka.ts';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemContentType } from '#shared/http/problem.ts';
import type { RunningService } from '#shared/runtime/service-host.ts';
import { freshDatabase } from '../../tests/support/test-infra.ts';
import { sharedTestIssuer } from '../../tests/support/test-issuer.ts';
import { maxBalance } from '../src/credits/customer-credit.entity.ts';
import { seedCreditAccounts } from '../src/credits/open-credit-accounts.ts';
import { maxTopUp } from '../src/credits/top-up-credit.ts';
import { call, ledgerOf, newCustomer, postJson, sql, startPaymentService, type ApiResponse } from './payment-test-kit.ts';

const dbName = 'payment_http_test';
const [kim, lee, park] = seedCreditAccounts.map((account) => account.customerId) as [string, string, string];
let service: RunningService;

const topUpPath = (customerId: string) => `/api/v1/credits/${customerId}/top-ups`;

function expectProblem(response: ApiResponse, status: number): void {
  expect(response.status).toBe(status);
  expect(response.contentType).toContain(problemContentType);
  expect(response.body).toMatchObject({ type: 'about:blank', status, title: expect.any(String) });
}

let topics: IsolatedKafka;

describe('payment service HTTP API (real MariaDB)', () => {
  beforeAll(async () => {
    await freshDatabase(dbName);
    topics = await isolatedKafka('payment-http');
    service = await startPaymentService(dbName, topics);
  });

  afterAll(async () => {
    await service?.stop();
    await topics?.close();
  });

  it('seeds the three customers once: a second start changes no balance and adds no account', async () => {
    const seeded = await Promise.all(seedCreditAccounts.map(({ customerId }) => call(service, `/api/v1/credits/${customerId}`)));
    expect(seeded.map((response) => [response.status, response.body.balance, response.body.openingBalance])).toEqual([
      [200, 1_000_000, 1_000_000],
      [200, 500_000, 500_000],
      [200, 250_000, 250_000],
    ]);
    expect((await postJson(service, topUpPath(lee), { amount: 7_000 })).status).toBe(201);

    await service.stop();
    service = await startPaymentService(dbName, topics);

    const after = await Promise.all([kim, lee, park].map((customerId) => call(service, `/api/v1/credits/${customerId}`)));
    expect(after.map((response) => [response.body.balance, response.body.openingBalance, response.body.ledgerConsistent])).toEqual([
      [1_000_000, 1_000_000, true],
      [507_000, 500_000, true],
      [250_000, 250_000, true],
    ]);
    expect(await sql(service, 'select customer_id from customer_credit')).toHaveLength(3);
  });

  it('tells existing customers from unknown ones', async () => {
    expect(await call(service, `/api/v1/customers/${kim}`)).toMatchObject({ status: 200, body: { customerId: kim, exists: true } });
    expectProblem(await call(service, `/api/v1/customers/${randomUUID()}`), 404);
  });

  it('tops up credit with a TOP_UP ledger row and shows it in the paged history, newest first', async () => {
    const customerId = await newCustomer(service, 10_000);
    const first = await postJson(service, topUpPath(customerId), { amount: 2_500 });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      balance: 12_500,
      replayed: false,
      entry: { customerId, orderId: null, kind: 'TOP_UP', amount: 2_500, balanceAfter: 12_500, actor: 'admin' },
    });
    // The operator is the subject of the admin token: an operator named ops-1 is recorded as ops-1.
    const asOps1 = await (await sharedTestIssuer()).headers('admin', 'ops-1');
    const byOps1 = await postJson(service, topUpPath(customerId), { amount: 50 }, asOps1);
    expect(byOps1.body.entry).toMatchObject({ amount: 50, actor: 'ops-1' });
    for (const amount of [100, 200, 300]) expect((await postJson(service, topUpPath(customerId), { amount })).status).toBe(201);

    const credit = await call(service, `/api/v1/credits/${customerId}`);
    expect(credit.body).toMatchObject({ balance: 13_150, openingBalance: 10_000, ledgerSum: 3_150, ledgerEntries: 5, ledgerConsistent: true });

    const page0 = await call(service, `/api/v1/credits/${customerId}/history?page=0&size=3`);
    expect(page0.status).toBe(200);
    expect(page0.body).toMatchObject({ page: 0, size: 3, total: 5 });
    expect(page0.body.items.map((entry: { amount: number }) => entry.amount)).toEqual([300, 200, 100]);
    const page1 = await call(service, `/api/v1/credits/${customerId}/history?page=1&size=3`);
    expect(page1.body.items.map((entry: { amount: number; actor: string }) => [entry.amount, entry.actor])).toEqual([
      [50, 'ops-1'],
      [2_500, 'admin'],
    ]);
    expect((await call(service, `/api/v1/credits/${customerId}/history`)).body).toMatchObject({ page: 0, size: 20, total: 5 });
  });

  it('answers a repeated top-up with the same Idempotency-Key once, and refuses the key for another amount (409)', async () => {
    const customerId = await newCustomer(service, 0);
    const key = { 'idempotency-key': `top-up-${randomUUID()}` };
    const first = await postJson(service, topUpPath(customerId), { amount: 9_000 }, key);
    const again = await postJson(service, topUpPath(customerId), { amount: 9_000 }, key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual({ ...first.body, replayed: true });
    expectProblem(await postJson(service, topUpPath(customerId), { amount: 9_001 }, key), 409);

    // The key belongs to one customer: another customer may use the same key.
    const other = await newCustomer(service, 0);
    expect((await postJson(service, topUpPath(other), { amount: 1 }, key)).body.replayed).toBe(false);

    expect((await call(service, `/api/v1/credits/${customerId}`)).body.balance).toBe(9_000);
    expect(await ledgerOf(service, customerId)).toHaveLength(1);
  });

  it('refuses a top-up that would push the balance past the limit (422) without moving money', async () => {
    const customerId = await newCustomer(service, maxBalance - 10);
    expect((await postJson(service, topUpPath(customerId), { amount: 10 })).status).toBe(201);
    const refused = await postJson(service, topUpPath(customerId), { amount: 1 });
    expectProblem(refused, 422);
    expect((await call(service, `/api/v1/credits/${customerId}`)).body).toMatchObject({ balance: maxBalance, ledgerConsistent: true });
  });

  it('answers bad top-up bodies with 400/415 problem+json and moves no money', async () => {
    const customerId = await newCustomer(service, 1_000);
    const path = topUpPath(customerId);
    const badBodies: [string, unknown][] = [
      ['malformed JSON', '{"amount": 5'],
      ['not an object', '[1, 2]'],
      ['empty object', {}],
      ['amount as string', { amount: '500' }],
      ['amount null', { amount: null }],
      ['fractional amount', { amount: 10.5 }],
      ['zero', { amount: 0 }],
      ['negative', { amount: -500 }],
      ['over the per-top-up maximum', { amount: maxTopUp + 1 }],
      ['huge', { amount: 1e300 }],
      ['unknown field', { amount: 500, currency: 'USD' }],
    ];
    for (const [why, body] of badBodies) {
      const response = await postJson(service, path, body);
      expect(response.status, why).toBe(400);
      expect(response.contentType, why).toContain(problemContentType);
    }
    const wrongType = await call(service, path, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'amount=5' });
    expectProblem(wrongType, 415);
    const missingBody = await call(service, path, { method: 'POST', headers: { 'content-type': 'application/json' } });
    expectProblem(missingBody, 400);

    const invalid = await postJson(service, path, { amount: -1 });
    expect(invalid.body.errors).toEqual([{ field: 'amount', message: expect.any(String) }]);
    expect((await call(service, `/api/v1/credits/${customerId}`)).body.balance).toBe(1_000);
    expect(await ledgerOf(service, customerId)).toEqual([]);
  });

  it('answers unknown ids with 404 and malformed ids or paging with 400, always as problem+json', async () => {
    const unknown = randomUUID();
    expectProblem(await call(service, `/api/v1/credits/${unknown}`), 404);
    expectProblem(await call(service, `/api/v1/credits/${unknown}/history`), 404);
    expectProblem(await call(service, `/api/v1/payments/${unknown}`), 404);
    expectProblem(await call(service, `/api/v1/customers/${unknown}`), 404);
    expectProblem(await postJson(service, topUpPath(unknown), { amount: 100 }), 404);

    for (const malformed of ['not-a-guid', '12345', `${kim}x`, "1'%20or%20'1'='1"]) {
      expectProblem(await call(service, `/api/v1/credits/${malformed}`), 400);
      expectProblem(await call(service, `/api/v1/credits/${malformed}/history`), 400);
      expectProblem(await call(service, `/api/v1/payments/${malformed}`), 400);
      expectProblem(await call(service, `/api/v1/customers/${malformed}`), 400);
      expectProblem(await postJson(service, topUpPath(malformed), { amount: 100 }), 400);
    }
    for (const query of ['page=-1', 'page=abc', 'size=0', 'size=101', 'size=2.5']) {
      expectProblem(await call(service, `/api/v1/credits/${kim}/history?${query}`), 400);
    }
  });

  it('checks every ledger and documents every route with its problem responses', async () => {
    const audit = await call(service, '/api/v1/credits/ledger-check');
    expect(audit.status).toBe(200);
    expect(audit.body).toMatchObject({ consistent: true, inconsistent: [] });
    expect(audit.body.accounts).toBeGreaterThanOrEqual(3);

    // A balance changed behind the ledger's back is caught.
    const tampered = await newCustomer(service, 5_000);
    await sql(service, 'update customer_credit set balance = balance + 1 where customer_id = ?', [tampered]);
    expect((await call(service, `/api/v1/credits/${tampered}`)).body.ledgerConsistent).toBe(false);
    const caught = await call(service, '/api/v1/credits/ledger-check');
    expect(caught.body.consistent).toBe(false);
    expect(caught.body.inconsistent.map((credit: { customerId: string }) => credit.customerId)).toEqual([tampered]);
    await sql(service, 'delete from customer_credit where customer_id = ?', [tampered]);

    const doc = (await call(service, '/openapi.json')).body;
    const operations = Object.values(doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>).flatMap((path) =>
      Object.values(path),
    );
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/credits/{customerId}',
        '/api/v1/credits/{customerId}/history',
        '/api/v1/credits/{customerId}/top-ups',
        '/api/v1/payments/{orderId}',
        '/api/v1/customers/{customerId}',
      ]),
    );
    // Every operation answers 401/403 (bearer auth) and 503 (database); those with input also document their 400.
    for (const operation of operations) expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403', '503']));
    for (const operation of operations.filter((op) => Object.keys(op.responses).some((status) => !['200', '401', '403', '503'].includes(status)))) {
      expect(Object.keys(operation.responses)).toContain('400');
    }
    expect((await fetch(`${service.url}/swagger-ui.html`)).status).toBe(200);
  });
});
