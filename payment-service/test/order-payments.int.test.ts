import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemContentType } from '#shared/http/problem.ts';
import type { RunningService } from '#shared/runtime/service-host.ts';
import { isolatedKafka, type IsolatedKafka } from '../../tests/support/isolated-kafka.ts';
import { freshDatabase } from '../../tests/support/test-infra.ts';
import { sharedTestIssuer } from '../../tests/support/test-issuer.ts';
import { call, newCustomer, sql, startPaymentService } from './payment-test-kit.ts';

/** GET /api/v1/order-payments: what the order service's reconciler reads of each order's money. */
const dbName = 'payment_order_payments_test';
let service: RunningService;
let topics: IsolatedKafka;

/** A payment row and its ledger rows as the saga's commands leave them (written directly). */
async function recordPayment(orderId: string, customerId: string, status: 'COMPLETED' | 'FAILED' | 'REFUNDED', amount: number) {
  await sql(
    service,
    `insert into payment (id, order_id, customer_id, amount, status, failure_code, failure_reason, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, now(3), now(3))`,
    [
      randomUUID(),
      orderId,
      customerId,
      amount,
      status,
      status === 'FAILED' ? 'INSUFFICIENT_CREDIT' : null,
      status === 'FAILED' ? 'too little' : null,
    ],
  );
  const moves: [string, number][] = status === 'FAILED' ? [] : [['CHARGE', -amount]];
  if (status === 'REFUNDED') moves.push(['REFUND', amount]);
  for (const [kind, moved] of moves) {
    await sql(service, `insert into credit_history (customer_id, order_id, kind, amount, balance_after, created_at) values (?, ?, ?, ?, 0, now(3))`, [
      customerId,
      orderId,
      kind,
      moved,
    ]);
  }
}

describe("orders' money records (GET /api/v1/order-payments)", () => {
  beforeAll(async () => {
    await freshDatabase(dbName);
    topics = await isolatedKafka('payment-order-payments');
    service = await startPaymentService(dbName, topics);
  });
  afterAll(async () => {
    await service?.stop();
    await topics?.close();
  });

  it('answers each asked order in the order asked: its payment state and what the ledger moved for it', async () => {
    const customerId = await newCustomer(service, 0);
    const [charged, refunded, failed, unknown] = Array.from({ length: 4 }, () => randomUUID());
    await recordPayment(charged, customerId, 'COMPLETED', 1_500);
    await recordPayment(refunded, customerId, 'REFUNDED', 700);
    await recordPayment(failed, customerId, 'FAILED', 9_000);

    const answer = await call(service, `/api/v1/order-payments?orderIds=${[unknown, charged, refunded, failed].join(',')}`);
    expect(answer.status).toBe(200);
    expect(answer.body.items).toEqual([
      { orderId: unknown, money: 'none', charged: 0, refunded: 0, net: 0 },
      { orderId: charged, money: 'charged', charged: 1_500, refunded: 0, net: 1_500 },
      { orderId: refunded, money: 'refunded', charged: 700, refunded: 700, net: 0 },
      { orderId: failed, money: 'none', charged: 0, refunded: 0, net: 0 },
    ]);
  });

  it('refuses malformed, missing, empty and too many ids (400, problem+json)', async () => {
    const tooMany = Array.from({ length: 101 }, () => randomUUID()).join(',');
    for (const query of ['?orderIds=42', '', '?orderIds=', `?orderIds=${randomUUID()},nope`, `?orderIds=${tooMany}`]) {
      const answer = await call(service, `/api/v1/order-payments${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.contentType).toContain(problemContentType);
    }
  });

  it("is for the order service's service token and admins: a customer gets 403, no token 401", async () => {
    const issuer = await sharedTestIssuer();
    const path = `/api/v1/order-payments?orderIds=${randomUUID()}`;
    expect((await call(service, path, { headers: await issuer.headers('service', 'order-service') })).status).toBe(200);
    const customer = await call(service, path, { headers: await issuer.headers('customer', randomUUID()) });
    expect(customer.status).toBe(403);
    expect(customer.contentType).toContain(problemContentType);
    const anonymous = await fetch(service.url + path);
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();
  });
});
