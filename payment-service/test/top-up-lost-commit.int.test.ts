import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemContentType } from '#shared/http/problem.ts';
import { systemClock } from '#shared/runtime/clock.ts';
import type { RunningService } from '#shared/runtime/service-host.ts';
import { startCommitCutter, type CommitCutter } from '../../tests/support/commit-cutter.ts';
import { isolatedKafka, type IsolatedKafka } from '../../tests/support/isolated-kafka.ts';
import { eventually, freshDatabase, testEnv } from '../../tests/support/test-infra.ts';
import { topUpRequestCleanup } from '../src/credits/top-up-request-cleanup.ts';
import { call, ledgerOf, newCustomer, postJson, sql, startPaymentService, type ApiResponse } from './payment-test-kit.ts';

const dbName = 'payment_top_up_lost_commit_test';
const topUpPath = (customerId: string) => `/api/v1/credits/${customerId}/top-ups`;

let service: RunningService;
let cutter: CommitCutter;
let topics: IsolatedKafka;

const topUps = async (customerId: string) => (await ledgerOf(service, customerId)).filter((entry) => entry.kind === 'TOP_UP');
const balanceOf = async (customerId: string) => (await call(service, `/api/v1/credits/${customerId}`)).body.balance as number;

function expectUnavailable(response: ApiResponse, detail: RegExp): void {
  expect(response.status).toBe(503);
  expect(response.contentType).toContain(problemContentType);
  expect(response.body.detail).toMatch(detail);
}

// The service reaches MariaDB through a proxy that loses the connection of a top-up's COMMIT.
describe('a top-up whose connection is lost during COMMIT (real MariaDB behind a cutting proxy)', () => {
  beforeAll(async () => {
    await freshDatabase(dbName);
    topics = await isolatedKafka('top-up-lost-commit');
    cutter = await startCommitCutter({ host: testEnv.DB_HOST, port: testEnv.DB_PORT }, /insert into `?credit_history/i);
    service = await startPaymentService(dbName, topics, { env: { DB_HOST: '127.0.0.1', DB_PORT: String(cutter.port), DB_SOCKET: '' } });
  });

  afterAll(async () => {
    await service?.stop();
    await cutter?.close();
    await topics?.close();
  });

  it('answers 201 with the top-up when the COMMIT reached the server, and credits once (no Idempotency-Key)', async () => {
    const customerId = await newCustomer(service, 1_000);
    cutter.arm('after-commit');
    const answer = await postJson(service, topUpPath(customerId), { amount: 700 });
    expect(cutter.cuts()).toBe(1);
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ balance: 1_700, replayed: false, entry: { kind: 'TOP_UP', amount: 700, balanceAfter: 1_700 } });
    expect(await topUps(customerId)).toHaveLength(1);
    expect(await balanceOf(customerId)).toBe(1_700);
  });

  it('answers 503 "nothing credited" when the COMMIT never reached the server; the retry with the same key credits once', async () => {
    const customerId = await newCustomer(service, 1_000);
    const key = { 'idempotency-key': `lost-${randomUUID()}` };
    const cutsBefore = cutter.cuts();
    cutter.arm('before-commit');
    const answer = await postJson(service, topUpPath(customerId), { amount: 300 }, key);
    expect(cutter.cuts()).toBe(cutsBefore + 1);
    expectUnavailable(answer, /nothing was credited/);
    expect(await topUps(customerId)).toHaveLength(0);

    const retried = await postJson(service, topUpPath(customerId), { amount: 300 }, key);
    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({ balance: 1_300, replayed: false });
    expect(await topUps(customerId)).toHaveLength(1);
  });

  it('answers 503 "outcome unknown" when the database cannot be asked afterwards; the same key then answers the top-up that was made, never a second one', async () => {
    const customerId = await newCustomer(service, 1_000);
    const key = { 'idempotency-key': `unknown-${randomUUID()}` };
    cutter.arm('after-commit', { outageMs: 2_500 });
    const answer = await postJson(service, topUpPath(customerId), { amount: 400 }, key);
    expectUnavailable(answer, /outcome is not known.*same Idempotency-Key/);
    expect(answer.body).toMatchObject({ status: 503 });

    const retried = await eventually(
      () => postJson(service, topUpPath(customerId), { amount: 400 }, key),
      (response) => response.status !== 503,
    );
    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({ balance: 1_400, replayed: true, entry: { amount: 400 } });
    expect(await topUps(customerId)).toHaveLength(1);
    expect(await balanceOf(customerId)).toBe(1_400);
  });

  it('keeps a key 24 hours: a day later the same key and body are a new top-up, and the key then belongs to it', async () => {
    const customerId = await newCustomer(service, 1_000);
    const key = `day-${randomUUID()}`;
    const age = (minutes: number) =>
      sql(service, `update top_up_request set created_at = ? - interval ${minutes} minute where customer_id = ? and idempotency_key = ?`, [
        new Date(),
        customerId,
        key,
      ]);
    expect((await postJson(service, topUpPath(customerId), { amount: 100 }, { 'idempotency-key': key })).body.replayed).toBe(false);
    await age(24 * 60 - 1);
    expect((await postJson(service, topUpPath(customerId), { amount: 100 }, { 'idempotency-key': key })).body.replayed).toBe(true);
    expect((await postJson(service, topUpPath(customerId), { amount: 101 }, { 'idempotency-key': key })).status).toBe(409);
    await age(24 * 60 + 1);
    const later = await postJson(service, topUpPath(customerId), { amount: 100 }, { 'idempotency-key': key });
    expect(later.status).toBe(201);
    expect(later.body).toMatchObject({ replayed: false, balance: 1_200 });
    expect((await postJson(service, topUpPath(customerId), { amount: 100 }, { 'idempotency-key': key })).body.replayed).toBe(true);
    expect((await postJson(service, topUpPath(customerId), { amount: 101 }, { 'idempotency-key': key })).status).toBe(409);
    expect(await topUps(customerId)).toHaveLength(2);
  });

  it('forgets top-up requests past a key lifetime and keeps their ledger rows', async () => {
    const customerId = await newCustomer(service, 1_000);
    for (const amount of [1, 2, 3])
      expect((await postJson(service, topUpPath(customerId), { amount }, { 'idempotency-key': `old-${amount}` })).status).toBe(201);
    expect((await postJson(service, topUpPath(customerId), { amount: 4 }, { 'idempotency-key': 'recent' })).status).toBe(201);
    await sql(
      service,
      `update top_up_request set created_at = created_at - interval 25 hour where customer_id = ? and idempotency_key like 'old-%'`,
      [customerId],
    );

    await topUpRequestCleanup({ pool: service.deps.messaging.pool, clock: systemClock }).run();

    const left = await sql(service, 'select idempotency_key from top_up_request where customer_id = ?', [customerId]);
    expect(left.map((row) => row.idempotency_key)).toEqual(['recent']);
    expect(await topUps(customerId)).toHaveLength(4);
    // A forgotten key starts over.
    expect((await postJson(service, topUpPath(customerId), { amount: 9 }, { 'idempotency-key': 'old-1' })).body.replayed).toBe(false);
  });
});
