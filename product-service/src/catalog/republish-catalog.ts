import { LockMode } from '@mikro-orm/core';
import type { CatalogDeps } from './catalog-deps.ts';
import { publishCatalogEntry } from './catalog-events.ts';
import { Product } from './product.entity.ts';

export type RepublishCatalog = () => Promise<number>;

const pageSize = 500;

/**
 * Publishes every product again (on each start), so a consumer of the compacted topic always finds
 * the whole catalog; the order service keeps the highest revision, so repeats change nothing. Rows are
 * read with a shared lock: a change committing meanwhile gets the later outbox row, and the topic
 * never ends with an older revision after a newer one.
 */
export function republishCatalog(deps: Omit<CatalogDeps, 'clock'>): RepublishCatalog {
  return async () => {
    let published = 0;
    let after = '';
    for (;;) {
      const page = await deps.unitOfWork.run(async (em, publish) => {
        const products = await em.find(
          Product,
          { id: { $gt: after } },
          { orderBy: { id: 'asc' }, limit: pageSize, lockMode: LockMode.PESSIMISTIC_READ },
        );
        for (const product of products) publishCatalogEntry(publish, product);
        return products.map((product) => product.id);
      });
      published += page.length;
      if (page.length < pageSize) return published;
      after = page[page.length - 1];
    }
  };
}
