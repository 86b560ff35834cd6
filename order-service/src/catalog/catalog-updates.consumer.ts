import { topics } from '#shared/contracts/topics.ts';
import { batchRoute, type Route } from '#shared/inbox/route.ts';
import { valuesList } from '#shared/db/sql-transaction.ts';

/**
 * Keeps the local catalog copy: an update applies only if its revision is newer, so replays of the
 * compacted topic and out-of-order deliveries cannot roll a price back. A batch is one upsert.
 */
export function catalogRoute(): Route {
  return batchRoute(topics.productCatalog, {
    async handle(messages, _loaded, { tx }) {
      tx.beforeCommit(() => ({
        statements: [
          {
            sql: `insert into catalog_product (id, name, price, active, revision, updated_at) values ${valuesList(messages.length, 6)}
                    on duplicate key update
                      name = if(values(revision) > revision, values(name), name),
                      price = if(values(revision) > revision, values(price), price),
                      active = if(values(revision) > revision, values(active), active),
                      updated_at = if(values(revision) > revision, values(updated_at), updated_at),
                      revision = greatest(revision, values(revision))`,
            params: messages.flatMap(({ message, envelope }) => {
              const product = message.payload;
              return [product.productId, product.name, product.price, product.active, product.revision, new Date(envelope.occurredAt)];
            }),
          },
        ],
      }));
    },
  });
}
