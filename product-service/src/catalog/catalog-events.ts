import type { Publish } from '#shared/outbox/orm-unit-of-work.ts';
import type { Product } from './product.entity.ts';

/**
 * Queues the product's catalog entry on the compacted product-catalog topic (key = product id) in
 * the caller's unit of work, so the event goes out if and only if the change commits.
 */
export function publishCatalogEntry(publish: Publish, product: Product): void {
  publish({ type: 'ProductUpserted', orderId: null, key: product.id, payload: product.catalogEntry() });
}
