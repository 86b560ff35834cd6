import { LockMode } from '@mikro-orm/core';
import type { Em } from '#shared/db/orm.ts';
import { Product } from './product.entity.ts';

/**
 * Locks products (SELECT … FOR UPDATE) in ascending id order in one statement. Every writer takes
 * product locks this way, so two transactions never wait for each other in a cycle.
 */
export async function lockProducts(em: Em, productIds: readonly string[]): Promise<Map<string, Product>> {
  const ids = [...new Set(productIds.map((id) => id.toLowerCase()))].sort();
  if (ids.length === 0) return new Map();
  const products = await em.find(
    Product,
    { id: { $in: ids } },
    { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } },
  );
  return new Map(products.map((product) => [product.id.toLowerCase(), product]));
}

/**
 * Applies a stock move per entry and flushes after each, so every product row is written by its own
 * UPDATE. MikroORM checks the versions of a multi-row UPDATE with a separate plain SELECT, which under
 * REPEATABLE READ reads this transaction's snapshot (older than the rows it holds locked) and fails
 * with a false OptimisticLockError; a single-row UPDATE checks the version in its WHERE clause, which
 * reads the current, locked row.
 */
export async function flushEachMove<T>(em: Em, entries: Iterable<T>, move: (entry: T) => void): Promise<void> {
  for (const entry of entries) {
    move(entry);
    await em.flush();
  }
}
