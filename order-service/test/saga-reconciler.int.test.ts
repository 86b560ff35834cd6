// The reconciler against the three services in this process (real MariaDB, Redis, Kafka; auth on:
// the reconciler asks the product and payment services with the order service's service token).
// A cancelled order is then given a charge it should not have, straight in the payment database,
// and a confirmed order loses its stock record: the pass finds both, repairs the first through the
// saga (DriftFound → RefundPayment with its timer) and only reports the second. An order charged
// and refunded properly through the saga then loses its refund in the payment database (a lost
// refund: payment back to COMPLETED, its REFUND ledger row gone, the balance down again): the pass
// finds it and the saga refunds it again, once.
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicLayout } from '#shared/contracts/topics.ts';
import { createKafkajsClient } from '#shared/kafka/kafkajs-client.ts';
import { startService, type RunningService } from '#shared/runtime/service-host.ts';
import { paymentService } from '../../payment-service/src/payment-service.ts';
import { productService } from '../../product-service/src/product-service.ts';
import { parsePrometheusText } from '../../scripts/metrics/prometheus-text.ts';
import { customers, orderBody, platformClient, products, type PlatformClient } from '../../tests/support/platform-client.ts';
import { dropTopicsAndQueues, eventually, freePort, freshDatabase, testEnv, testKafkaSecurity, testLogger } from '../../tests/support/test-infra.ts';
import { orderService } from '../src/order-service.ts';

const prefix = `it-reconcile-${Date.now().toString(36)}-`;
const kafka = createKafkajsClient(
  { clientId: 'reconcile-test', brokers: testEnv.KAFKA_BROKERS, topicPrefix: prefix, ...testKafkaSecurity },
  testLogger,
);
const env = { LOG_LEVEL: 'warn', KAFKA_TOPIC_PREFIX: prefix, QUEUE_PREFIX: prefix.replace(/-$/, ''), KAFKAJS_NO_PARTITIONER_WARNING: '1' };
const services: Record<'order' | 'product' | 'payment', RunningService> = {} as never;
let client: PlatformClient;

type Json = Record<string, any>;

async function api(method: string, path: string, headers?: Record<string, string>, body?: unknown): Promise<{ status: number; json: Json }> {
  const response = await fetch(services.order.url + path, {
    method,
    headers: { ...(headers ?? (await client.tokens.adminHeaders())), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Json };
}

const paymentSql = <T = Json>(sql: string, params: unknown[] = []) => services.payment.deps.orm.em.fork().execute<T[]>(sql, params);
const productSql = <T = Json>(sql: string, params: unknown[] = []) => services.product.deps.orm.em.fork().execute<T[]>(sql, params);
const balanceOf = async (customerId: string) =>
  Number((await paymentSql('select balance from customer_credit where customer_id = ?', [customerId]))[0]!.balance);
const historyOf = async (orderId: string) => (await api('GET', `/api/v1/orders/${orderId}/saga`)).json;

/** A charge the saga never learnt of, as a lost reply would leave it: a COMPLETED payment, its ledger row, the balance moved. */
async function chargeBehindTheSagasBack(orderId: string, customerId: string, amount: number): Promise<void> {
  const balance = await balanceOf(customerId);
  await paymentSql(
    `insert into payment (id, order_id, customer_id, amount, status, created_at, updated_at) values (uuid(), ?, ?, ?, 'COMPLETED', now(3), now(3))`,
    [orderId, customerId, amount],
  );
  await paymentSql(
    `insert into credit_history (customer_id, order_id, kind, amount, balance_after, created_at) values (?, ?, 'CHARGE', ?, ?, now(3))`,
    [customerId, orderId, -amount, balance - amount],
  );
  await paymentSql('update customer_credit set balance = balance - ?, version = version + 1 where customer_id = ?', [amount, customerId]);
}

interface LedgerRow {
  id: number;
  order_id: string | null;
  kind: string;
  amount: number;
  balance_after: number;
}
const ledgerOf = async (customerId: string) =>
  (
    await paymentSql<LedgerRow>('select id, order_id, kind, amount, balance_after from credit_history where customer_id = ? order by id', [
      customerId,
    ])
  ).map((row) => ({ ...row, id: Number(row.id), amount: Number(row.amount), balance_after: Number(row.balance_after) }));

/** Every ledger row continues the one before it (from the opening balance), and the last one is the balance. */
async function expectLedgerChained(customerId: string): Promise<void> {
  const [account] = await paymentSql('select opening_balance, balance from customer_credit where customer_id = ?', [customerId]);
  let balance = Number(account!.opening_balance);
  for (const row of await ledgerOf(customerId)) {
    balance += row.amount;
    expect(row.balance_after, `ledger row ${row.id}`).toBe(balance);
  }
  expect(Number(account!.balance)).toBe(balance);
}

/**
 * A refund lost after the saga was told of it, as if its transaction in the payment database had
 * never committed: the payment COMPLETED again, its REFUND ledger row gone, the balance (and the
 * row's version) back to what the charge left. The refund must be the customer's last movement, so
 * the ledger's chain stays whole.
 */
async function loseTheRefund(orderId: string, customerId: string): Promise<LedgerRow> {
  const ledger = await ledgerOf(customerId);
  const refund = ledger.at(-1)!;
  expect(refund).toMatchObject({ order_id: orderId, kind: 'REFUND' });
  await paymentSql('delete from credit_history where id = ?', [refund.id]);
  await paymentSql('update customer_credit set balance = balance - ?, version = version - 1 where customer_id = ?', [refund.amount, customerId]);
  await paymentSql("update payment set status = 'COMPLETED', updated_at = created_at where order_id = ? and status = 'REFUNDED'", [orderId]);
  return refund;
}

describe('reconciler: finished orders against the product and payment services (three services, real infrastructure)', () => {
  beforeAll(async () => {
    const admin = await kafka.admin();
    await admin.createTopics(topicLayout);
    await admin.disconnect();
    await Promise.all(['reconcile_it_order', 'reconcile_it_product', 'reconcile_it_payment'].map((db) => freshDatabase(db)));
    const orderPort = await freePort();
    const orderUrl = `http://127.0.0.1:${orderPort}`;
    const verifyWithOrderService = { AUTH_JWKS_URL: `${orderUrl}/.well-known/jwks.json` };
    services.product = await startService(productService, { port: 0, dbName: 'reconcile_it_product', env: { ...env, ...verifyWithOrderService } });
    services.payment = await startService(paymentService, { port: 0, dbName: 'reconcile_it_payment', env: { ...env, ...verifyWithOrderService } });
    services.order = await startService(orderService, {
      port: orderPort,
      dbName: 'reconcile_it_order',
      env: {
        ...env,
        PRODUCT_SERVICE_URL: services.product.url,
        PAYMENT_SERVICE_URL: services.payment.url,
        // Passes only when asked (POST /api/v1/sagas/reconcile), over everything finished up to now.
        SAGA_RECONCILE_EVERY_MS: '0',
        SAGA_RECONCILE_SETTLE_MS: '0',
        SAGA_REFUND_TIMEOUT_MS: '60000',
      },
    });
    client = platformClient({
      url: { 'order-service': services.order.url, 'product-service': services.product.url, 'payment-service': services.payment.url },
    });
    await client.waitForCatalog();
  });

  afterAll(async () => {
    for (const service of [services.order, services.payment, services.product]) await service?.stop();
    await dropTopicsAndQueues(kafka, env.QUEUE_PREFIX);
  });

  it('a CANCELLED order charged behind its back: money-taken-on-cancelled, DriftFound sends RefundPayment, the money comes back and the drift is gone', async () => {
    const customerId = customers.rich;
    // More coffee than there is: the reservation is rejected and the order cancelled before any charge.
    const body = orderBody(customerId, [{ product: products.coffee, quantity: 5_000 }]);
    const orderId = await client.placeOrder(body);
    expect((await client.waitTerminal(orderId)).orderStatus).toBe('CANCELLED');
    const before = await balanceOf(customerId);
    // (Less than the order's price, which is more than the customer has.)
    const charged = 10_000;
    await chargeBehindTheSagasBack(orderId, customerId, charged);
    expect(await balanceOf(customerId)).toBe(before - charged);

    const checked = await api('GET', '/api/v1/sagas/drift?fresh=true');
    expect(checked.status).toBe(200);
    expect(checked.json.mode).toBe('check');
    expect(checked.json.drift.filter((drift: Json) => drift.orderId === orderId)).toEqual([
      expect.objectContaining({ status: 'CANCELLED', kind: 'money-taken-on-cancelled', repair: 'refund' }),
    ]);
    expect(checked.json.repairs).toEqual([]);

    const pass = await api('POST', '/api/v1/sagas/reconcile');
    expect(pass.status).toBe(200);
    expect(pass.json).toMatchObject({ mode: 'repair' });
    expect(pass.json.checked).toBeGreaterThanOrEqual(1);
    expect(pass.json.drift.filter((drift: Json) => drift.orderId === orderId).map((drift: Json) => drift.kind)).toEqual(['money-taken-on-cancelled']);
    expect(pass.json.repairs.filter((repair: Json) => repair.orderId === orderId)).toEqual([
      expect.objectContaining({ stockHeld: false, moneyTaken: true, outcome: 'sent', commands: ['RefundPayment'] }),
    ]);

    // The refund went out from the step handler (with its timer) and the payment service gave the money back.
    const settled = await eventually(
      () => historyOf(orderId),
      (view) => view.history.at(-1)?.eventType === 'PaymentRefunded' && view.pendingTimers.length === 0,
      30_000,
      100,
    );
    const drift = settled.history.find((entry: Json) => entry.eventType === 'DriftFound');
    expect(drift).toMatchObject({ source: 'operator', actor: 'reconciler', stateBefore: 'CANCELLED', stateAfter: 'CANCELLED', changed: true });
    expect(drift.effects).toEqual([
      expect.objectContaining({ kind: 'command', command: 'RefundPayment' }),
      expect.objectContaining({ kind: 'setTimer', timer: 'refund', attempt: 1 }),
    ]);
    expect(settled.anomalies).toContain('reconciler: money taken on a cancelled order; refunded');
    expect(await balanceOf(customerId)).toBe(before);
    expect(await paymentSql('select status from payment where order_id = ?', [orderId])).toEqual([{ status: 'REFUNDED' }]);
    const ledger = await paymentSql<{ kind: string; amount: number }>('select kind, amount from credit_history where order_id = ? order by id', [
      orderId,
    ]);
    expect(ledger.map((row) => [row.kind, Number(row.amount)])).toEqual([
      ['CHARGE', -charged],
      ['REFUND', charged],
    ]);

    const after = await api('POST', '/api/v1/sagas/reconcile');
    // A repair pass goes on where the last one stopped: nothing finished since, nothing compared again.
    expect(after.json.checked).toBe(0);
    expect(after.json.drift.filter((entry: Json) => entry.orderId === orderId)).toEqual([]);
    expect(after.json.repairs.filter((entry: Json) => entry.orderId === orderId)).toEqual([]);
  });

  it('a CANCELLED order refunded through the saga whose refund is then lost in the payment database: money-taken-on-cancelled, refunded again once, the ledger whole', async () => {
    // A customer no other test here moves money for: its ledger is this order's alone.
    const customerId = customers.middle;
    const before = await balanceOf(customerId);
    const price = products.salad.price;

    // Charged and then cancelled by the saga itself: the charge is held up (the customer's credit row
    // locked by another transaction) while an operator cancels the RESERVED order, so the saga
    // releases the stock and asks for the refund, and the payment service charges, then refunds.
    const lock = await createConnection({
      host: testEnv.DB_HOST,
      port: testEnv.DB_PORT,
      user: testEnv.DB_USER,
      password: testEnv.DB_PASSWORD,
      database: 'reconcile_it_payment',
    });
    let orderId: string;
    try {
      await lock.query('start transaction');
      await lock.query('select balance from customer_credit where customer_id = ? for update', [customerId]);
      orderId = await client.placeOrder(orderBody(customerId, [{ product: products.salad, quantity: 1 }]));
      const reserved = await eventually(
        () => historyOf(orderId),
        (view) => view.state === 'RESERVED',
        30_000,
        25,
      );
      expect(reserved.state).toBe('RESERVED');
      const cancel = await api('POST', `/api/v1/orders/${orderId}/saga/compensation`, undefined, {
        reason: 'reconciler test: cancel after the charge',
      });
      expect(cancel.status).toBe(200);
      // Released, and the refund asked for, while the charge still waits.
      const refunding = await eventually(
        () => historyOf(orderId),
        (view) => view.state === 'CANCELLING.refundingPayment',
        30_000,
        25,
      );
      expect(refunding.state).toBe('CANCELLING.refundingPayment');
      expect(refunding.history.map((entry: Json) => entry.eventType)).not.toContain('PaymentCompleted');
      await lock.query('rollback');
    } finally {
      await lock.end();
    }
    expect((await client.waitTerminal(orderId)).orderStatus).toBe('CANCELLED');
    const refunded = await eventually(
      () => historyOf(orderId),
      (view) => view.history.at(-1)?.eventType === 'PaymentRefunded' && view.pendingTimers.length === 0,
      30_000,
      100,
    );
    expect(refunded.history.map((entry: Json) => entry.eventType)).toEqual(expect.arrayContaining(['PaymentCompleted', 'PaymentRefunded']));
    expect(refunded.history.at(-1)).toMatchObject({ stateBefore: 'CANCELLING.refundingPayment', stateAfter: 'CANCELLED' });
    expect(await balanceOf(customerId)).toBe(before);
    expect(await paymentSql('select status from payment where order_id = ?', [orderId])).toEqual([{ status: 'REFUNDED' }]);
    // Refunded as it should be: nothing to find.
    const clean = await api('GET', '/api/v1/sagas/drift?fresh=true');
    expect(clean.json.drift.filter((drift: Json) => drift.orderId === orderId)).toEqual([]);

    // The refund is lost: the payment looks charged again, the balance is down by the price, and the ledger still chains.
    const lost = await loseTheRefund(orderId, customerId);
    expect(lost.amount).toBe(price);
    expect(await balanceOf(customerId)).toBe(before - price);
    expect(await paymentSql('select status from payment where order_id = ?', [orderId])).toEqual([{ status: 'COMPLETED' }]);
    await expectLedgerChained(customerId);

    const checked = await api('GET', '/api/v1/sagas/drift?fresh=true');
    expect(checked.json.drift.filter((drift: Json) => drift.orderId === orderId)).toEqual([
      expect.objectContaining({
        status: 'CANCELLED',
        kind: 'money-taken-on-cancelled',
        repair: 'refund',
        detail: `its payment is charged; the ledger charged ${price} and refunded 0 KRW`,
      }),
    ]);

    const pass = await api('POST', '/api/v1/sagas/reconcile');
    expect(pass.status).toBe(200);
    expect(pass.json.drift.filter((drift: Json) => drift.orderId === orderId).map((drift: Json) => drift.kind)).toEqual(['money-taken-on-cancelled']);
    expect(pass.json.repairs.filter((repair: Json) => repair.orderId === orderId)).toEqual([
      expect.objectContaining({ stockHeld: false, moneyTaken: true, outcome: 'sent', commands: ['RefundPayment'] }),
    ]);

    const settled = await eventually(
      () => historyOf(orderId),
      (view) =>
        view.history.at(-1)?.eventType === 'PaymentRefunded' && view.history.length > refunded.history.length && view.pendingTimers.length === 0,
      30_000,
      100,
    );
    const sinceLost = settled.history.slice(refunded.history.length);
    expect(sinceLost.map((entry: Json) => [entry.eventType, entry.stateAfter, entry.changed])).toEqual([
      ['DriftFound', 'CANCELLED', true],
      ['PaymentRefunded', 'CANCELLED', true],
    ]);
    expect(sinceLost[0]).toMatchObject({ source: 'operator', actor: 'reconciler' });
    expect(sinceLost[0].effects).toEqual([
      expect.objectContaining({ kind: 'command', command: 'RefundPayment' }),
      expect.objectContaining({ kind: 'setTimer', timer: 'refund', attempt: 1 }),
    ]);
    expect(settled.anomalies).toContain('reconciler: money taken on a cancelled order; refunded');
    // The payment service refunded it for real (not "nothing to refund"): the money is back, once.
    expect(await balanceOf(customerId)).toBe(before);
    expect(await paymentSql('select status from payment where order_id = ?', [orderId])).toEqual([{ status: 'REFUNDED' }]);
    const ledger = await ledgerOf(customerId);
    expect(ledger.map((row) => [row.order_id, row.kind, row.amount])).toEqual([
      [orderId, 'CHARGE', -price],
      [orderId, 'REFUND', price],
    ]);
    // A new REFUND row, not the lost one back.
    expect(ledger[1]!.id).toBeGreaterThan(lost.id);
    await expectLedgerChained(customerId);

    // Nothing left: neither the next repair pass nor a fresh check over the whole window finds it.
    const after = await api('POST', '/api/v1/sagas/reconcile');
    expect(after.json.drift.filter((entry: Json) => entry.orderId === orderId)).toEqual([]);
    expect(after.json.repairs.filter((entry: Json) => entry.orderId === orderId)).toEqual([]);
    const rechecked = await api('GET', '/api/v1/sagas/drift?fresh=true');
    expect(rechecked.json.drift.filter((entry: Json) => entry.orderId === orderId)).toEqual([]);
  });

  it('a CONFIRMED order whose stock record went: confirmed-without-stock, reported (last findings, overview, metric) and not sent to the saga', async () => {
    const orderId = await client.placeOrder(orderBody(customers.rich, [{ product: products.sandwich, quantity: 1 }]));
    expect((await client.waitTerminal(orderId)).orderStatus).toBe('CONFIRMED');
    await productSql("update order_stock set status = 'RELEASED' where order_id = ?", [orderId]);
    const eventsBefore = (await historyOf(orderId)).history.length;

    const pass = await api('POST', '/api/v1/sagas/reconcile');
    expect(pass.status).toBe(200);
    expect(pass.json.drift.filter((drift: Json) => drift.orderId === orderId)).toEqual([
      expect.objectContaining({ status: 'CONFIRMED', kind: 'confirmed-without-stock', repair: null }),
    ]);
    expect(pass.json.repairs.filter((repair: Json) => repair.orderId === orderId)).toEqual([]);
    expect((await historyOf(orderId)).history).toHaveLength(eventsBefore);

    // The last findings are kept: the drift endpoint and the overview answer them without asking again.
    const last = await api('GET', '/api/v1/sagas/drift');
    expect(last.json).toEqual(pass.json);
    const overview = await api('GET', '/api/v1/sagas/overview');
    expect(overview.json.drift).toMatchObject({ checkedAt: pass.json.finishedAt, count: pass.json.drift.length });
    expect(overview.json.drift.items.map((drift: Json) => drift.orderId)).toContain(orderId);

    const metrics = parsePrometheusText(await (await fetch(`${services.order.url}/metrics`)).text());
    const found = metrics.filter((sample) => sample.name === 'saga_reconcile_drift_total');
    expect(found.find((sample) => sample.labels.kind === 'confirmed-without-stock')?.value).toBeGreaterThanOrEqual(1);
    expect(found.find((sample) => sample.labels.kind === 'money-taken-on-cancelled')?.value).toBeGreaterThanOrEqual(2);
  });

  it('is for admins: a customer gets 403 on both routes, a bad query 400', async () => {
    const customer = await client.tokens.customerHeaders(customers.rich);
    expect((await api('GET', '/api/v1/sagas/drift', customer)).status).toBe(403);
    expect((await api('POST', '/api/v1/sagas/reconcile', customer)).status).toBe(403);
    const bad = await api('GET', '/api/v1/sagas/drift?fresh=maybe');
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].field).toBe('fresh');
  });
});
