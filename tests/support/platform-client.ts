import { seedCustomers, seedProducts } from '../../scripts/load/order-mix.ts';
import { eventually } from './test-infra.ts';
import type { Platform } from './platform.ts';
import { platformTokens } from './platform-tokens.ts';

/** The seed's customers and products, as the load test knows them. */
export const customers = seedCustomers;
export const products = seedProducts;

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
      asAdmin(`${product}/api/v1/products/${productId}`).then((r) => json<{ onHand: number; reserved: number; available: number; price: number }>(r)),
    credit: (customerId: string) => asAdmin(`${payment}/api/v1/credits/${customerId}`).then((r) => json<{ balance: number }>(r)),
    catalog: () => asAdmin(`${order}/api/v1/catalog/products`).then((r) => json<{ items: { productId: string; price: number }[] }>(r)),
    /**
     * Waits until the order service knows the seeded catalog, and signs the seeded customers in
     * (so a test may stop the payment service, which vouches for customers, and still place orders).
     */
    async waitForCatalog(count = 5) {
      await eventually(
        () => this.catalog(),
        (c) => c.items.length >= count,
        30_000,
        100,
      );
      await Promise.all(Object.values(customers).map((customerId) => tokens.customer(customerId)));
    },
  };
}

export type PlatformClient = ReturnType<typeof platformClient>;
