import type { z } from '@hono/zod-openapi';
import {
  maxOrderIdsPerRequest,
  orderMoneyListSchema,
  orderStockListSchema,
  type OrderMoneyRecord,
  type OrderStockRecord,
} from '#shared/http/order-records.ts';

/** The product or payment service could not be asked (unreachable, refused, or answered nonsense). */
export class OrderRecordsUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OrderRecordsUnavailable';
  }
}

/** The order service's `service` token (given by the wiring: the console does not sign tokens). */
export interface ServiceToken {
  token(): Promise<string>;
  /** Called after a 401: the next token() signs a new one. */
  forget(): void;
}

/**
 * What the product and payment services hold for orders (GET /api/v1/order-stock and
 * /api/v1/order-payments), asked in batches of at most `maxOrderIdsPerRequest` ids with the order
 * service's service token; answers parsed with the services' own schemas.
 */
export function createOrderRecordsClient(deps: {
  productUrl: string;
  paymentUrl: string;
  serviceToken: ServiceToken;
  fetch?: typeof fetch;
  timeoutMs?: number;
}) {
  const fetchImpl = deps.fetch ?? fetch;

  async function askOnce(url: string): Promise<Response> {
    try {
      return await fetchImpl(url, {
        headers: { authorization: `Bearer ${await deps.serviceToken.token()}` },
        signal: AbortSignal.timeout(deps.timeoutMs ?? 5_000),
      });
    } catch (error) {
      throw new OrderRecordsUnavailable(`${url} cannot be reached (${(error as Error).message})`);
    }
  }

  async function ask<T>(base: string, path: string, schema: z.ZodType<{ items: T[] }>, orderIds: readonly string[]): Promise<T[]> {
    const items: T[] = [];
    for (let start = 0; start < orderIds.length; start += maxOrderIdsPerRequest) {
      const batch = orderIds.slice(start, start + maxOrderIdsPerRequest);
      const url = `${base.replace(/\/$/, '')}${path}?orderIds=${batch.map(encodeURIComponent).join(',')}`;
      let response = await askOnce(url);
      if (response.status === 401) {
        // Our token was signed by a key revoked since: sign a new one, once.
        await response.body?.cancel();
        deps.serviceToken.forget();
        response = await askOnce(url);
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new OrderRecordsUnavailable(`${base}${path} answered ${response.status}`);
      }
      const parsed = schema.safeParse(await response.json().catch(() => null));
      if (!parsed.success) throw new OrderRecordsUnavailable(`${base}${path} answered something that is not its schema`);
      items.push(...parsed.data.items);
    }
    return items;
  }

  return {
    stockOf: (orderIds: readonly string[]): Promise<OrderStockRecord[]> =>
      ask(deps.productUrl, '/api/v1/order-stock', orderStockListSchema, orderIds),
    moneyOf: (orderIds: readonly string[]): Promise<OrderMoneyRecord[]> =>
      ask(deps.paymentUrl, '/api/v1/order-payments', orderMoneyListSchema, orderIds),
  };
}

export type OrderRecordsClient = ReturnType<typeof createOrderRecordsClient>;
