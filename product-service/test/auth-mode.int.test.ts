import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '#shared/runtime/service-host.ts';
import { freshDatabase } from '../../tests/support/test-infra.ts';
import { createTestIssuer, sharedTestIssuer } from '../../tests/support/test-issuer.ts';
import { productService } from '../src/product-service.ts';
import { isolatedKafka, type IsolatedKafka } from './product-test-kit.ts';

const dbName = 'product_auth_mode_test';
let kafka: IsolatedKafka;
let open: RunningService;
let verifying: RunningService;

const start = async (env: Record<string, string>) =>
  startService(productService, {
    port: 0,
    dbName,
    env: {
      KAFKA_GROUP_ID: `product-auth-${randomUUID()}`,
      KAFKA_NEW_GROUP_FROM: 'latest',
      KAFKA_TOPIC_PREFIX: kafka.prefix,
      QUEUE_PREFIX: kafka.prefix.replace(/-$/, ''),
      LOG_LEVEL: 'warn',
      ...env,
    },
  });

describe('AUTH_MODE: on by default, off restores the open API (product service in-process)', () => {
  beforeAll(async () => {
    kafka = await isolatedKafka('auth-mode');
    await freshDatabase(dbName);
    verifying = await start((await sharedTestIssuer()).env);
    open = await start({ AUTH_MODE: 'off' });
  });

  afterAll(async () => {
    await open?.stop();
    await verifying?.stop();
    await kafka?.close();
  });

  it('on: no token is a 401 and changes nothing; a token of an issuer it does not trust is a 401', async () => {
    const before = await (
      await fetch(`${verifying.url}/api/v1/products`, { headers: await (await sharedTestIssuer()).headers('customer', randomUUID()) })
    ).json();
    const refused = await fetch(`${verifying.url}/api/v1/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'refused', price: 100, quantity: 1 }),
    });
    expect(refused.status).toBe(401);
    const stranger = await createTestIssuer();
    expect((await fetch(`${verifying.url}/api/v1/products`, { headers: await stranger.headers('admin') })).status).toBe(401);
    const after = await (await fetch(`${verifying.url}/api/v1/products`, { headers: await (await sharedTestIssuer()).headers('admin') })).json();
    expect((after as { total: number }).total).toBe((before as { total: number }).total);
  });

  it('off: every route answers without a token, as before authentication existed', async () => {
    expect((await fetch(`${open.url}/api/v1/products`)).status).toBe(200);
    const created = await fetch(`${open.url}/api/v1/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `open ${randomUUID().slice(0, 8)}`, price: 100, quantity: 1 }),
    });
    expect(created.status).toBe(201);
    const reservations = await fetch(`${open.url}/api/v1/products/${((await created.json()) as { id: string }).id}/reservations`);
    expect(reservations.status).toBe(200);
  });
});
