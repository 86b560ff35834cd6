import { seedCustomers, seedProducts } from '../../scripts/load/order-mix.ts';
import { apiClient, type RequestJson, type ResponseJson } from './api/api-client.ts';
import type { paths as OrderApi } from './api/order-service.ts';
import type { paths as PaymentApi } from './api/payment-service.ts';
import type { paths as ProductApi } from './api/product-service.ts';
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

/** The body of POST /api/v1/orders, as the order service's document describes it. */
export type OrderRequest = RequestJson<OrderApi, '/api/v1/orders', 'post'>;
/** GET /api/v1/orders/{orderTrackingId}. */
export type OrderView = ResponseJson<OrderApi, '/api/v1/orders/{orderTrackingId}', 'get'>;

export function orderBody(customerId: string, lines: OrderLineInput[]): OrderRequest {
  const items = lines.map((line) => ({ productId: line.product.id, quantity: line.quantity, price: line.product.price }));
  return {
    customerId,
    price: items.reduce((sum, item) => sum + item.quantity * item.price, 0),
    items,
    address: { street: '123 Main St', postalCode: '12345', city: 'Seoul' },
  };
}

/**
 * The platform driven like a user would: over HTTP only, with tokens as a user gets them — an order
 * is placed with its customer's token, everything else is read with an admin token. Every call is typed
 * by the services' OpenAPI documents (tests/support/api/), so a contract change fails the type-check here.
 */
export function platformClient(platform: Pick<Platform, 'url'>) {
  const orderApi = apiClient<OrderApi>(platform.url['order-service']);
  const productApi = apiClient<ProductApi>(platform.url['product-service']);
  const paymentApi = apiClient<PaymentApi>(platform.url['payment-service']);
  const tokens = platformTokens(platform.url['order-service']);
  const order = async (orderTrackingId: string): Promise<OrderView> =>
    orderApi('get', '/api/v1/orders/{orderTrackingId}', { params: { orderTrackingId }, headers: await tokens.adminHeaders(), expect: 200 });
  return {
    tokens,
    async placeOrder(body: OrderRequest, headers: Record<string, string> = {}): Promise<string> {
      const created = await orderApi('post', '/api/v1/orders', {
        body,
        headers: { ...(await tokens.customerHeaders(body.customerId)), ...headers },
        expect: 201,
      });
      return created.orderTrackingId;
    },
    order,
    async waitTerminal(id: string, timeoutMs = 30_000): Promise<OrderView> {
      const view = await eventually(
        () => order(id),
        (v) => terminalStatuses.has(v.orderStatus),
        timeoutMs,
        25,
      );
      if (!terminalStatuses.has(view.orderStatus)) throw new Error(`order ${id} still ${view.orderStatus} after ${timeoutMs} ms`);
      return view;
    },
    stock: async (productId: string) =>
      productApi('get', '/api/v1/products/{productId}', { params: { productId }, headers: await tokens.adminHeaders(), expect: 200 }),
    credit: async (customerId: string) =>
      paymentApi('get', '/api/v1/credits/{customerId}', { params: { customerId }, headers: await tokens.adminHeaders(), expect: 200 }),
    catalog: async () => orderApi('get', '/api/v1/catalog/products', { headers: await tokens.adminHeaders(), expect: 200 }),
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
