import { z } from '@hono/zod-openapi';

// What the product and payment services answer about orders, for the order service's reconciler
// (GET /api/v1/order-stock and GET /api/v1/order-payments): each order's stock and money as the
// service's own records have them. Both sides use these schemas: the routes document and check
// them, the reconciler parses the answers with them.

/** The most order ids one request may ask about (400 over it). */
export const maxOrderIdsPerRequest = 100;

const orderIdsText = z
  .string()
  .transform((text) => [...new Set(text.split(',').map((id) => id.trim().toLowerCase()))].filter((id) => id !== ''))
  .pipe(
    z
      .array(z.guid({ message: 'every order id must be a UUID' }))
      .min(1, 'at least one order id')
      .max(maxOrderIdsPerRequest, `at most ${maxOrderIdsPerRequest} order ids per request`),
  );

/** `?orderIds=a,b,c`: up to `maxOrderIdsPerRequest` distinct UUIDs, comma-separated. */
export const orderIdsQuery = z.object({
  orderIds: orderIdsText.openapi({
    type: 'string',
    description: `Comma-separated order ids (UUIDs), at most ${maxOrderIdsPerRequest}`,
    example: '3fa85f64-5717-4562-b3fc-2c963f66afa6,d2b9c1f4-3e8a-4c7b-9f10-2a6e5d4c3b21',
  }),
});

/**
 * An order's stock as the product service has it: `none` (never reserved, or rejected), `reserved`
 * (held, not confirmed), `confirmed` (taken: left the shelf), `released` (given back).
 */
export const ORDER_STOCK_STATES = ['none', 'reserved', 'confirmed', 'released'] as const;
export type OrderStockState = (typeof ORDER_STOCK_STATES)[number];

export const orderStockSchema = z
  .object({
    orderId: z.string(),
    stock: z.enum(ORDER_STOCK_STATES),
    unitsHeld: z.number().int().openapi({ description: 'Units still reserved for the order (held, not confirmed)' }),
  })
  .openapi('OrderStock');

export const orderStockListSchema = z.object({ items: z.array(orderStockSchema) }).openapi('OrderStockList');
export type OrderStockRecord = z.infer<typeof orderStockSchema>;

/**
 * An order's money as the payment service has it: `none` (never charged, or the charge failed),
 * `charged` (taken, not refunded), `refunded` (given back); with the ledger's sums for the order.
 */
export const ORDER_MONEY_STATES = ['none', 'charged', 'refunded'] as const;
export type OrderMoneyState = (typeof ORDER_MONEY_STATES)[number];

export const orderMoneySchema = z
  .object({
    orderId: z.string(),
    money: z.enum(ORDER_MONEY_STATES),
    charged: z.number().int().openapi({ description: 'KRW the ledger charged for the order' }),
    refunded: z.number().int().openapi({ description: 'KRW the ledger refunded for the order' }),
    net: z.number().int().openapi({ description: 'charged − refunded: what the customer is out of pocket for it' }),
  })
  .openapi('OrderMoney');

export const orderMoneyListSchema = z.object({ items: z.array(orderMoneySchema) }).openapi('OrderMoneyList');
export type OrderMoneyRecord = z.infer<typeof orderMoneySchema>;
