import { z } from 'zod';
import { entityId, positiveMoney } from './envelope.ts';

/**
 * The product service publishes every product on creation and on every change (compacted topic,
 * key = product id), so the order service keeps its own catalog copy for price checks.
 */
export const productCatalogSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ProductUpserted'),
    payload: z.object({
      productId: entityId,
      name: z.string().min(1).max(200),
      price: positiveMoney,
      active: z.boolean(),
      revision: z.number().int().nonnegative(),
    }),
  }),
]);
export type ProductCatalogMessage = z.infer<typeof productCatalogSchema>;
