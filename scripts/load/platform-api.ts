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

const post = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export function platformApi(urls: PlatformUrls, authHeader?: () => Record<string, string>) {
  const headers = () => authHeader?.() ?? {};
  const withAuth = (init: RequestInit = {}): RequestInit => ({ ...init, headers: { ...(init.headers as object), ...headers() } });
  return {
    placeOrder: (body: unknown) => fetch(`${urls.order}/api/v1/orders`, withAuth(post(body))),
    order: (id: string) => call<OrderView>(`${urls.order}/api/v1/orders/${id}`, withAuth()),
    /** The order service's incremental feed: orders changed at or after `since`, oldest change first. */
    ordersChangedSince: (since: string, size: number, page = 0, status?: string) =>
      call<{ items: OrderChange[] }>(
        `${urls.order}/api/v1/orders?updatedSince=${encodeURIComponent(since)}&size=${size}&page=${page}${status ? `&status=${status}` : ''}`,
        withAuth(),
      ),
    product: (id: string) => call<ProductView>(`${urls.product}/api/v1/products/${id}`, withAuth()),
    addStock: (id: string, quantity: number) => call(`${urls.product}/api/v1/products/${id}/stock`, withAuth(post({ quantity }))),
    credit: (customerId: string) => call<CreditView>(`${urls.payment}/api/v1/credits/${customerId}`, withAuth()),
    topUp: (customerId: string, amount: number) =>
      call(`${urls.payment}/api/v1/credits/${customerId}/top-ups`, withAuth(post({ amount }))),
    async payment(orderId: string): Promise<PaymentView | null> {
      const response = await fetch(`${urls.payment}/api/v1/payments/${orderId}`, withAuth());
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
