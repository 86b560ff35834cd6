import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkajsClient } from '#shared/kafka/kafkajs-client.ts';
import type { KafkaClient, KafkaConsumer } from '#shared/kafka/kafka-client.ts';
import { startPlatform, type Platform } from '../../tests/support/platform.ts';
import { customers, orderBody, platformClient, products, type PlatformClient } from '../../tests/support/platform-client.ts';
import { eventually, testEnv, testKafkaSecurity, testLogger } from '../../tests/support/test-infra.ts';
import { ORDER_SAGA_VERSION } from '#statecharts/order-saga.machine.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
let platform: Platform;
let client: PlatformClient;
let kafka: KafkaClient;
let orderUrl: string;

type Json = Record<string, any>;
const getJson = async (path: string): Promise<Json> =>
  (await fetch(`${orderUrl}${path}`, { headers: await client.tokens.adminHeaders() })).json() as Promise<Json>;

/** The saga CLI as an operator runs it: `npm run saga -- …` is `node scripts/saga.ts …`. */
async function saga(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['scripts/saga.ts', ...args], {
      cwd: root,
      env: { ...process.env, DB_NAME: 'e2e_order_db' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('operators end to end: dead letters of another service, and the saga CLI', () => {
  beforeAll(async () => {
    platform = await startPlatform({ perService: { 'order-service': { SAGA_RESERVATION_TIMEOUT_MS: '60000' } } });
    client = platformClient(platform);
    orderUrl = platform.url['order-service'];
    kafka = createKafkajsClient(
      { clientId: 'operator-e2e', brokers: testEnv.KAFKA_BROKERS, topicPrefix: platform.prefix, ...testKafkaSecurity },
      testLogger,
    );
    await client.waitForCatalog();
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it("shows the payment service's dead letter and redrives it to payment-request", async () => {
    const key = randomUUID();
    const garbage = `garbage for the payment service ${key}`;
    const seen: string[] = [];
    const watcher: KafkaConsumer = await kafka.consumer({ groupId: `watch-${key}`, topics: ['payment-request'], fromBeginning: false });
    await watcher.run(async (record) => {
      if (record.key === key) seen.push(record.value?.toString() ?? '');
    });
    try {
      const producer = await kafka.producer();
      await producer.send([{ topic: 'payment-request', key, value: garbage }]);
      await producer.disconnect();

      const listed = await eventually(
        () => getJson('/api/v1/dead-letters?topic=payment-request'),
        (page) => page.items.some((item: Json) => item.key === key),
        30_000,
        200,
      );
      const deadLetter = listed.items.find((item: Json) => item.key === key);
      expect(deadLetter).toMatchObject({
        topic: 'payment-request.dlq',
        originalTopic: 'payment-request',
        value: garbage,
        consumerGroup: 'payment-service',
        status: 'NEW',
      });
      expect(deadLetter.reason).toMatch(/malformed JSON/);
      expect((await getJson('/api/v1/sagas/overview')).newDeadLetters).toBeGreaterThanOrEqual(1);

      const redrive = await fetch(`${orderUrl}/api/v1/dead-letters/${deadLetter.id}/redrive`, {
        method: 'POST',
        headers: await client.tokens.adminHeaders(),
      });
      expect(redrive.status).toBe(200);
      expect(await redrive.json()).toMatchObject({ id: deadLetter.id, status: 'REDRIVEN' });
      await eventually(
        async () => seen,
        (values) => values.length >= 2,
        20_000,
        100,
      );
      expect(seen).toEqual([garbage, garbage]); // the original and the redriven record
      expect((await getJson(`/api/v1/dead-letters?status=REDRIVEN`)).items.map((item: Json) => item.id)).toContain(deadLetter.id);

      const again = await fetch(`${orderUrl}/api/v1/dead-letters/${deadLetter.id}/redrive`, {
        method: 'POST',
        headers: await client.tokens.adminHeaders(),
      });
      expect(again.status).toBe(409);
      expect(again.headers.get('content-type')).toContain('application/problem+json');
    } finally {
      await watcher.stop();
    }
  });

  it('fires a timer and compensates through the running service with the CLI, refusing what the machine refuses', async () => {
    await platform.kill('product-service');
    const orderId = await client.placeOrder(orderBody(customers.rich, [{ product: products.sandwich, quantity: 1 }]));

    const timeout = await saga('timeout', orderId, 'reservation', '--url', orderUrl);
    expect(timeout.code).toBe(0);
    expect(timeout.stdout).toMatch(/#2 \S+ ReservationTimedOut\s+operator PENDING -> PENDING/);
    expect(timeout.stdout).toContain('timer reservation #2 due');
    const notPending = await saga('timeout', orderId, 'payment', '--url', orderUrl);
    expect(notPending.code).toBe(1);
    expect(notPending.stderr).toContain('409 Conflict: order');

    const compensate = await saga('compensate', orderId, '--reason', 'asked by the CLI test', '--url', orderUrl);
    expect(compensate.code).toBe(0);
    expect(compensate.stdout).toContain(`order ${orderId}: CANCELLING (CANCELLING.releasingStock)`);
    expect(compensate.stdout).toContain('failure: cancelled by operator: asked by the CLI test');

    await platform.start('product-service'); // it reads the ReserveStock and ReleaseStock commands sent meanwhile
    expect((await client.waitTerminal(orderId, 60_000)).orderStatus).toBe('CANCELLED');
    const refused = await saga('compensate', orderId, '--url', orderUrl);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('409 Conflict: refused in CANCELLED');
    const show = await saga('show', orderId, '--url', orderUrl);
    expect(show.stdout).toMatch(/CancellationRequested\s+operator PENDING -> CANCELLING.releasingStock/);
  });

  it('replays every recorded history of this run through the current machine without a divergence', async () => {
    const confirmed = await client.placeOrder(orderBody(customers.rich, [{ product: products.coffee, quantity: 2 }]));
    const { balance } = await client.credit(customers.modest);
    const failed = await client.placeOrder(
      orderBody(customers.modest, [{ product: products.pasta, quantity: Math.floor(balance / products.pasta.price) + 1 }]),
    );
    await Promise.all([client.waitTerminal(confirmed), client.waitTerminal(failed)]);

    const all = await saga('replay', '--all');
    expect(all.stderr).toBe('');
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(new RegExp(`^replayed 3 order\\(s\\), \\d+ event\\(s\\) through machine v${ORDER_SAGA_VERSION}: 0 diverged$`, 'm'));
    const one = await saga('replay', failed);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(`ok: order ${failed}, 4 events`);
    const since = await saga('replay', '--all', '--since', new Date(Date.now() + 60_000).toISOString());
    expect(since.stdout).toContain('replayed 0 order(s)');
    expect((await saga('replay', randomUUID())).code).toBe(2);
    expect((await saga('replay')).code).toBe(2);

    const out = join(mkdtempSync(join(tmpdir(), 'saga-export-')), 'order-saga.json');
    expect((await saga('export', '--format', 'json', '--out', out)).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ id: 'orderSaga', version: ORDER_SAGA_VERSION, initial: 'PENDING' });
    expect((await saga('export')).stdout).toMatch(/^stateDiagram-v2\n/);
  });
});
