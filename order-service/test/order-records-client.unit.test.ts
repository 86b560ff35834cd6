import { describe, expect, it } from 'vitest';
import { createOrderRecordsClient, OrderRecordsUnavailable } from '../src/console/reconciler/order-records-client.ts';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);

/** A product service that answers every asked id as `none`, recording what it was asked. */
function fakeProduct(statuses: number[] = []) {
  const asked: { url: URL; authorization: string | null }[] = [];
  const fetch = async (input: string, init?: RequestInit) => {
    const url = new URL(input);
    asked.push({ url, authorization: new Headers(init?.headers).get('authorization') });
    const status = statuses.shift() ?? 200;
    if (status !== 200) return new Response('{}', { status });
    const items = url.searchParams
      .get('orderIds')!
      .split(',')
      .map((orderId) => ({ orderId, stock: 'none', unitsHeld: 0 }));
    return Response.json({ items });
  };
  return { asked, fetch: fetch as unknown as typeof globalThis.fetch };
}

function tokens() {
  let issued = 0;
  return {
    issued: () => issued,
    token: async () => `token-${issued || ++issued}`,
    forget: () => {
      issued++;
    },
  };
}

describe('order records client', () => {
  it('asks in batches of at most 100 ids, with the service token, and keeps the order', async () => {
    const product = fakeProduct();
    const client = createOrderRecordsClient({
      productUrl: 'http://product/',
      paymentUrl: 'http://payment',
      serviceToken: tokens(),
      fetch: product.fetch,
    });
    const asked = ids(250);
    const records = await client.stockOf(asked);
    expect(records.map((record) => record.orderId)).toEqual(asked);
    expect(product.asked.map(({ url }) => [url.pathname, url.searchParams.get('orderIds')!.split(',').length])).toEqual([
      ['/api/v1/order-stock', 100],
      ['/api/v1/order-stock', 100],
      ['/api/v1/order-stock', 50],
    ]);
    expect(product.asked.every(({ authorization }) => authorization === 'Bearer token-1')).toBe(true);
    expect(await client.stockOf([])).toEqual([]);
  });

  it('signs a new token once after a 401; another refusal, a 5xx or nonsense is OrderRecordsUnavailable', async () => {
    const serviceToken = tokens();
    const retried = fakeProduct([401]);
    const client = createOrderRecordsClient({ productUrl: 'http://product', paymentUrl: 'http://payment', serviceToken, fetch: retried.fetch });
    expect(await client.stockOf(ids(1))).toHaveLength(1);
    expect(retried.asked.map(({ authorization }) => authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);

    for (const statuses of [[401, 401], [503], [403]]) {
      const refusing = fakeProduct(statuses);
      const failing = createOrderRecordsClient({
        productUrl: 'http://product',
        paymentUrl: 'http://payment',
        serviceToken: tokens(),
        fetch: refusing.fetch,
      });
      await expect(failing.stockOf(ids(1))).rejects.toBeInstanceOf(OrderRecordsUnavailable);
    }
    const nonsense = createOrderRecordsClient({
      productUrl: 'http://product',
      paymentUrl: 'http://payment',
      serviceToken: tokens(),
      fetch: (async () => Response.json({ items: [{ orderId: 'x', money: 'lots' }] })) as typeof fetch,
    });
    await expect(nonsense.moneyOf(ids(1))).rejects.toThrow('not its schema');
    const unreachable = createOrderRecordsClient({
      productUrl: 'http://product',
      paymentUrl: 'http://payment',
      serviceToken: tokens(),
      fetch: (async () => {
        throw new TypeError('fetch failed');
      }) as typeof fetch,
    });
    await expect(unreachable.moneyOf(ids(1))).rejects.toThrow(/cannot be reached \(fetch failed\)/);
  });
});
