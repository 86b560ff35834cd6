import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, type Platform } from '../../tests/support/platform.ts';
import { customers, orderBody, platformClient, products, type PlatformClient } from '../../tests/support/platform-client.ts';

let platform: Platform;
let client: PlatformClient;

describe('order saga end to end: three services as processes, real MariaDB, Redis and Kafka', () => {
  beforeAll(async () => {
    platform = await startPlatform({ env: { SAGA_PAYMENT_TIMEOUT_MS: '1500', SAGA_PAYMENT_MAX_ATTEMPTS: '2' } });
    client = platformClient(platform);
    await client.waitForCatalog();
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('confirms an order and moves stock and credit exactly once', async () => {
    const [stockBefore, creditBefore] = await Promise.all([client.stock(products.coffee.id), client.credit(customers.rich)]);
    const id = await client.placeOrder(orderBody(customers.rich, [{ product: products.coffee, quantity: 3 }]));
    expect(await client.waitTerminal(id)).toMatchObject({ orderTrackingId: id, orderStatus: 'CONFIRMED', failureMessages: [] });
    const [stockAfter, creditAfter] = await Promise.all([client.stock(products.coffee.id), client.credit(customers.rich)]);
    expect(stockAfter.onHand).toBe(stockBefore.onHand - 3);
    expect(stockAfter.reserved).toBe(stockBefore.reserved);
    expect(creditAfter.balance).toBe(creditBefore.balance - 15_000);
  });

  it('cancels an order whose stock is short, taking nothing', async () => {
    const stockBefore = await client.stock(products.pizza.id);
    const creditBefore = await client.credit(customers.rich);
    const id = await client.placeOrder(orderBody(customers.rich, [{ product: products.pizza, quantity: stockBefore.available + 1 }]));
    const view = await client.waitTerminal(id);
    expect(view.orderStatus).toBe('CANCELLED');
    expect(view.failureMessages.join(' ')).toMatch(/stock|available/i);
    expect(await client.stock(products.pizza.id)).toMatchObject({ onHand: stockBefore.onHand, reserved: stockBefore.reserved });
    expect((await client.credit(customers.rich)).balance).toBe(creditBefore.balance);
  });

  it('releases the stock of an order the customer cannot pay for', async () => {
    const stockBefore = await client.stock(products.pasta.id);
    const { balance } = await client.credit(customers.modest);
    const quantity = Math.floor(balance / products.pasta.price) + 1;
    const id = await client.placeOrder(orderBody(customers.modest, [{ product: products.pasta, quantity }]));
    const view = await client.waitTerminal(id);
    expect(view.orderStatus).toBe('CANCELLED');
    expect(view.failureMessages.join(' ')).toMatch(/credit/i);
    expect(await client.stock(products.pasta.id)).toMatchObject({ onHand: stockBefore.onHand, reserved: stockBefore.reserved });
    expect((await client.credit(customers.modest)).balance).toBe(balance);
  });

  it('compensates with a refund when the payment reply comes after the deadline', async () => {
    const stockBefore = await client.stock(products.salad.id);
    const creditBefore = await client.credit(customers.middle);
    await platform.kill('payment-service');
    const id = await client.placeOrder(orderBody(customers.middle, [{ product: products.salad, quantity: 2 }]));
    // 2 payment attempts of 1.5 s each run out; the saga releases the stock and asks for a refund.
    const compensating = await waitForStatus(id, 'CANCELLING', 15_000);
    expect(compensating).toBe('CANCELLING');
    await platform.start('payment-service'); // now the charge, its retry and the refund are all handled
    const view = await client.waitTerminal(id, 60_000);
    expect(view.orderStatus).toBe('CANCELLED');
    expect(await client.stock(products.salad.id)).toMatchObject({ onHand: stockBefore.onHand, reserved: stockBefore.reserved });
    expect((await client.credit(customers.middle)).balance).toBe(creditBefore.balance);
  });
});

async function waitForStatus(id: string, status: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let current = '';
  while (Date.now() < deadline) {
    current = (await client.order(id)).orderStatus;
    if (current === status) return current;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return current;
}
