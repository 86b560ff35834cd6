import { eventually } from './test-infra.ts';
import type { Platform } from './platform.ts';
import { platformTokens } from './platform-tokens.ts';

export const customers = {
  rich: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
  middle: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  modest: '9b2d3f1e-8c4a-4e6b-a1d2-5f6e7a8b9c0d',
} as const;

export const products = {
  coffee: { id: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', price: 5000 },
  sandwich: { id: '1a2b3c4d-5e6f-7089-9a0b-cdef12345678', price: 8000 },
  salad: { id: '2b3c4d5e-6f70-8192-a3b4-cdef56789012', price: 12000 },
  pizza: { id: '3c4d5e6f-7081-92a3-b4c5-def678901234', price: 25000 },
  pasta: { id: '4d5e6f70-8192-a3b4-c5d6-ef7890123456', price: 18000 },
} as const;

export const terminalStatuses = new Set(['CONFIRMED', 'CANCELLED']);

export interface OrderLineInput {
  product: { id: string; price: number };
  quantity: number;
}

export function orderBody(customerId: string, lines: OrderLineInput[]) {
  const items = lines.map((line) => ({ productId: line.product.id, quantity: line.quantity, price: line.product.price }));
  return {
    customerId,
    price: items.reduce((sum, item) => sum + item.quantity * item.price, 0),
    items,
    address: { street: '123 Main St', postalCode: '12345', city: 'Seoul' },
  };
}

async function json<T>(response: Response): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${response.status} ${response.url}: ${text}`);
  return JSON.parse(text) as T;
}

/**
 * The platform driven like a user would: over HTTP only, with tokens as a user gets them — an order
 * is placed with its customer's token, everything else is read with an admin token.
 */
export function platformClient(platform: Pick<Platform, 'url'>) {
  const order = platform.url['order-service'];
  const product = platform.url['product-service'];
  const payment = platform.url['payment-service'];
  const tokens = platformTokens(order);
  const asAdmin = async (url: string) => fetch(url, { headers: await tokens.adminHeaders() });
  return {
    tokens,
    async placeOrder(body: unknown, headers: Record<string, string> = {}): Promise<string> {
      const { customerId } = body as { customerId: string };
      const response = await fetch(`${order}/api/v1/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await tokens.customerHeaders(customerId)), ...headers },
        body: JSON.stringify(body),
      });
      return (await json<{ orderTrackingId: string }>(response)).orderTrackingId;
    },
    order: (id: string) => asAdmin(`${order}/api/v1/orders/${id}`).then((r) => json<{ orderStatus: string; failureMessages: string[] }>(r)),
    async waitTerminal(id: string, timeoutMs = 30_000) {
      const view = await eventually(
        () => asAdmin(`${order}/api/v1/orders/${id}`).then((r) => json<{ orderStatus: string; failureMessages: string[] }>(r)),
        (v) => terminalStatuses.has(v.orderStatus),
        timeoutMs,
        25,
      );
      if (!terminalStatuses.has(view.orderStatus)) throw new Error(`order ${id} still ${view.orderStatus} after ${timeoutMs} ms`);
      return view;
    },
    stock: (productId: string) =>
      asAdmin(`${product}/api/v1/products/${productId}`).then((r) =>
        json<{ onHand: number; reserved: number; available: number; price: number }>(r),
      ),
    credit: (customerId: string) =>
      asAdmin(`${payment}/api/v1/credits/${customerId}`).then((r) => json<{ balance: number }>(r)),
    catalog: () =>
      asAdmin(`${order}/api/v1/catalog/products`).then((r) => json<{ items: { productId: string; price: number }[] }>(r)),
    /**
     * Waits until the order service knows the seeded catalog, and signs the seeded customers in
     * (so a test may stop the payment service, which vouches for customers, and still place orders).
     */
    async waitForCatalog(count = 5) {
      await eventually(() => this.catalog(), (c) => c.items.length >= count, 30_000, 100);
      await Promise.all(Object.values(customers).map((customerId) => tokens.customer(customerId)));
    },
  };
}

export type PlatformClient = ReturnType<typeof platformClient>;
