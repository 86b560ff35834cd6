import { topics } from '#shared/contracts/topics.ts';
import { route, type Route } from '#shared/inbox/message-consumer.ts';

/**
 * Keeps the local catalog copy: an update applies only if its revision is newer, so replays of the
 * compacted topic and out-of-order deliveries cannot roll a price back.
 */
export function catalogRoute(): Route {
  return route(topics.productCatalog, async (message, { em, envelope }) => {
    const product = message.payload;
    await em.execute(
      `insert into catalog_product (id, name, price, active, revision, updated_at) values (?, ?, ?, ?, ?, ?)
         on duplicate key update
           name = if(values(revision) > revision, values(name), name),
           price = if(values(revision) > revision, values(price), price),
           active = if(values(revision) > revision, values(active), active),
           updated_at = if(values(revision) > revision, values(updated_at), updated_at),
           revision = greatest(revision, values(revision))`,
      [product.productId, product.name, product.price, product.active, product.revision, new Date(envelope.occurredAt)],
    );
  });
}
