import { LockMode } from '@mikro-orm/core';
import type { Em } from '#shared/db/orm.ts';
import { Product } from './product.entity.ts';

/**
 * Locks products (SELECT … FOR UPDATE) in ascending id order in one statement, for a catalog change.
 * Every writer takes product locks in ascending id order (the stock commands' batches too, see
 * reservations/stock-book.ts), so two transactions never wait for each other in a cycle.
 */
export async function lockProducts(em: Em, productIds: readonly string[]): Promise<Map<string, Product>> {
  const ids = [...new Set(productIds.map((id) => id.toLowerCase()))].sort();
  if (ids.length === 0) return new Map();
  const products = await em.find(Product, { id: { $in: ids } }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } });
  return new Map(products.map((product) => [product.id.toLowerCase(), product]));
}
