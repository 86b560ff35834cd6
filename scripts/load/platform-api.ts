import http from 'node:http';
import { tokenClient } from '../lib/token-client.ts';

/** The three services' HTTP APIs, as the load test and benchmarks use them. */
export interface PlatformUrls {
  order: string;
  product: string;
  payment: string;
}

export interface OrderView {
  orderTrackingId: string;
  orderStatus: string;
  failureMessages: string[];
  createdAt: string;
  terminalAt: string | null;
}

export interface OrderChange extends OrderView {
  updatedAt: string;
}

export interface ProductView {
  id: string;
  onHand: number;
  reserved: number;
  available: number;
}

export interface CreditView {
  customerId: string;
  balance: number;
  ledgerConsistent: boolean;
}

export interface PaymentView {
  status: 'COMPLETED' | 'FAILED' | 'REFUNDED';
  amount: number;
}

async function call<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url} → ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** What the load generator reads of an answer to a POST. */
export interface PostAnswer {
  status: number;
  json(): Promise<unknown>;
}

/**
 * Kept-alive connections for the orders sent, as a client of the API would keep them. An idle one is
 * closed after 4 s, before the server's own 5 s keep-alive timeout can close it under a request.
 */
const orderAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity, timeout: 4_000 });

/**
 * A JSON POST over node:http: the load generator shares the machine with the platform it
 * measures, and `fetch` costs it about twice the CPU per request.
 */
function postJson(url: string, headers: Record<string, string>, body: string): Promise<PostAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', agent: orderAgent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, json: async () => JSON.parse(text) as unknown });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const post = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** Bearer tokens for the APIs: an order is placed with its customer's token, the rest is done as an admin. */
export interface ApiAuth {
  admin(): Promise<Record<string, string>>;
  customer(customerId: string): Promise<Record<string, string>>;
}

/**
 * Tokens asked of the order service (POST /api/v1/auth/tokens with $ADMIN_PASSWORD and
 * $DEMO_CUSTOMER_PASSWORD, or their documented demo defaults); `adminToken` replaces the admin one.
 */
export function orderServiceAuth(orderUrl: string, options: { adminToken?: string } = {}): ApiAuth {
  const tokens = tokenClient({ orderUrl });
  return {
    admin: options.adminToken ? async () => ({ authorization: `Bearer ${options.adminToken}` }) : tokens.adminHeaders,
    customer: tokens.customerHeaders,
  };
}

/**
 * `auth`: tokens (default: asked of `urls.order`; null sends none, for AUTH_MODE=off).
 * `authHeader`: extra headers on every request, after the token.
 */
export function platformApi(urls: PlatformUrls, authHeader?: () => Record<string, string>, auth: ApiAuth | null = orderServiceAuth(urls.order)) {
  const extra = () => authHeader?.() ?? {};
  const withHeaders = async (init: RequestInit, token: Promise<Record<string, string>> | Record<string, string>): Promise<RequestInit> => ({
    ...init,
    headers: { ...(init.headers as object), ...(await token), ...extra() },
  });
  const withAuth = (init: RequestInit = {}) => withHeaders(init, auth ? auth.admin() : {});
  const asCustomer = (customerId: string, init: RequestInit) => withHeaders(init, auth ? auth.customer(customerId) : {});
  return {
    /** Placed with the token of the order's own customer. */
    placeOrder: async (body: unknown): Promise<PostAnswer> => {
      const init = await asCustomer((body as { customerId: string }).customerId, {});
      return postJson(`${urls.order}/api/v1/orders`, init.headers as Record<string, string>, JSON.stringify(body));
    },
    order: async (id: string) => call<OrderView>(`${urls.order}/api/v1/orders/${id}`, await withAuth()),
    /** Waits (up to `timeoutMs`) for the order to end and answers its view. */
    orderOutcome: async (id: string, timeoutMs = 10_000) =>
      call<OrderView>(`${urls.order}/api/v1/orders/${id}/outcome?timeoutMs=${timeoutMs}`, await withAuth()),
    /** The order service's incremental feed: orders changed at or after `since`, oldest change first. */
    ordersChangedSince: async (since: string, size: number, page = 0, status?: string) =>
      call<{ items: OrderChange[] }>(
        `${urls.order}/api/v1/orders?updatedSince=${encodeURIComponent(since)}&size=${size}&page=${page}${status ? `&status=${status}` : ''}`,
        await withAuth(),
      ),
    product: async (id: string) => call<ProductView>(`${urls.product}/api/v1/products/${id}`, await withAuth()),
    addStock: async (id: string, quantity: number) => call(`${urls.product}/api/v1/products/${id}/stock`, await withAuth(post({ quantity }))),
    credit: async (customerId: string) => call<CreditView>(`${urls.payment}/api/v1/credits/${customerId}`, await withAuth()),
    topUp: async (customerId: string, amount: number) =>
      call(`${urls.payment}/api/v1/credits/${customerId}/top-ups`, await withAuth(post({ amount }))),
    /** Gets the customers' tokens now, so that asking for them is not measured as order latency. */
    async signIn(customerIds: readonly string[]): Promise<void> {
      if (auth) await Promise.all([auth.admin(), ...customerIds.map((customerId) => auth.customer(customerId))]);
    },
    async payment(orderId: string): Promise<PaymentView | null> {
      const response = await fetch(`${urls.payment}/api/v1/payments/${orderId}`, await withAuth());
      if (response.status === 404) return null;
      if (!response.ok) throw new Error(`payment ${orderId} → ${response.status}`);
      return (await response.json()) as PaymentView;
    },
  };
}

export type PlatformApi = ReturnType<typeof platformApi>;

/** Runs `work` over items with at most `limit` in flight. */
export async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}
