import { randomUUID } from 'node:crypto';
import { startService, type RunningService } from '#shared/runtime/service-host.ts';
import { systemClock, type Clock } from '#shared/runtime/clock.ts';
import { createOpenCreditAccounts } from '../src/credits/open-credit-accounts.ts';
import { paymentService } from '../src/payment-service.ts';
import { sharedTestIssuer } from '../../tests/support/test-issuer.ts';
import type { IsolatedKafka } from '../../tests/support/isolated-kafka.ts';

/**
 * The service in-process, as main.ts starts it, on its own consumer group that sees only new
 * records, trusting the test issuer's keys (a JWKS file) since no order service runs next to it.
 * With `isolated`, on topics and BullMQ keys of the test's own; `overrides` for a test's own
 * database address or clock.
 */
export async function startPaymentService(
  dbName: string,
  isolated?: IsolatedKafka,
  overrides: { env?: Record<string, string>; clock?: Clock } = {},
): Promise<RunningService> {
  return startService(paymentService, {
    port: 0,
    dbName,
    clock: overrides.clock,
    env: {
      KAFKA_GROUP_ID: `payment-test-${randomUUID()}`,
      KAFKA_NEW_GROUP_FROM: 'latest',
      ...(isolated ? { KAFKA_TOPIC_PREFIX: isolated.prefix, QUEUE_PREFIX: isolated.prefix.replace(/-$/, '') } : {}),
      LOG_LEVEL: 'warn',
      ...(await sharedTestIssuer()).env,
      ...overrides.env,
    },
  });
}

/** A customer of the test's own, opened through the same code path as the seed. */
export async function newCustomer(service: RunningService, openingBalance: number): Promise<string> {
  const customerId = randomUUID();
  await createOpenCreditAccounts({ orm: service.deps.orm, clock: systemClock })([{ customerId, openingBalance }]);
  return customerId;
}

export interface ApiResponse<T = any> {
  status: number;
  contentType: string | null;
  body: T;
}

/** Calls the service with an admin token of the test issuer, unless the request brings its own Authorization. */
export async function call<T = any>(service: RunningService, path: string, init?: RequestInit): Promise<ApiResponse<T>> {
  const headers = new Headers(init?.headers);
  if (!headers.has('authorization')) {
    for (const [name, value] of Object.entries(await (await sharedTestIssuer()).headers('admin'))) headers.set(name, value);
  }
  const response = await fetch(service.url + path, { ...init, headers });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), body: text ? JSON.parse(text) : null };
}

export const postJson = (service: RunningService, path: string, body: unknown, headers: Record<string, string> = {}) =>
  call(service, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

export async function sql<T = any>(service: RunningService, query: string, params: unknown[] = []): Promise<T[]> {
  return service.deps.orm.em.fork().execute<T[]>(query, params);
}

/** Ledger rows of a customer, oldest first, as plain numbers. */
export async function ledgerOf(service: RunningService, customerId: string) {
  const rows = await sql(service, 'select kind, order_id, amount, balance_after from credit_history where customer_id = ? order by id', [customerId]);
  return rows.map((row) => ({
    kind: row.kind as string,
    orderId: row.order_id as string | null,
    amount: Number(row.amount),
    balanceAfter: Number(row.balance_after),
  }));
}
