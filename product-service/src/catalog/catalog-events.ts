import type { Em } from '#shared/db/orm.ts';
import type { Outbox } from '#shared/outbox/outbox.ts';
import type { Product } from './product.entity.ts';

/**
 * Queues the product's catalog entry on the compacted product-catalog topic (key = product id) in
 * the caller's transaction, so the event goes out if and only if the change commits.
 */
export function publishCatalogEntry(outbox: Outbox, em: Em, product: Product): void {
  outbox.add(em, { type: 'ProductUpserted', orderId: null, key: product.id, payload: product.catalogEntry() });
}
