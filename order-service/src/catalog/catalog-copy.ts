// Every query on `catalog_product`, the order service's copy of the product catalog: the consumer's
// upsert (a revision never rolls back), and the reads of the price check and of the catalog API.
import type { Em } from '#shared/db/orm.ts';
import type { Statement } from '#shared/db/sql-pool.ts';
import { valuesList } from '#shared/db/sql-transaction.ts';
import { CatalogProduct, type CatalogProductRow } from './catalog-product.entity.ts';

export interface CatalogUpdate {
  productId: string;
  name: string;
  price: number;
  active: boolean;
  revision: number;
  updatedAt: Date;
}

/** One upsert for a batch of updates: each applies only if its revision is newer than the stored one. */
export function upsertCatalogProducts(updates: readonly CatalogUpdate[]): Statement {
  return {
    sql: `insert into catalog_product (id, name, price, active, revision, updated_at) values ${valuesList(updates.length, 6)}
            on duplicate key update
              name = if(values(revision) > revision, values(name), name),
              price = if(values(revision) > revision, values(price), price),
              active = if(values(revision) > revision, values(active), active),
              updated_at = if(values(revision) > revision, values(updated_at), updated_at),
              revision = greatest(revision, values(revision))`,
    params: updates.flatMap((update) => [update.productId, update.name, update.price, update.active, update.revision, update.updatedAt]),
  };
}

export function listCatalogProducts(em: Em, orderBy: 'name' | 'none' = 'none'): Promise<CatalogProductRow[]> {
  return em.fork().find(CatalogProduct, {}, orderBy === 'name' ? { orderBy: { name: 'asc' } } : {});
}
