import { topics } from '#shared/contracts/topics.ts';
import { batchRoute, type Route } from '#shared/inbox/route.ts';
import { upsertCatalogProducts } from './catalog-copy.ts';

/**
 * Keeps the local catalog copy: an update applies only if its revision is newer, so replays of the
 * compacted topic and out-of-order deliveries cannot roll a price back. A batch is one upsert.
 */
export function catalogRoute(): Route {
  return batchRoute(topics.productCatalog, {
    async handle(messages, _loaded, { tx }) {
      const updates = messages.map(({ message, envelope }) => ({ ...message.payload, updatedAt: new Date(envelope.occurredAt) }));
      tx.beforeCommit(() => ({ statements: [upsertCatalogProducts(updates)] }));
    },
  });
}
