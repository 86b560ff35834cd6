import type { CatalogDeps } from './catalog-deps.ts';
import { publishCatalogEntry } from './catalog-events.ts';
import { lockProducts } from './lock-products.ts';
import type { Product } from './product.entity.ts';

export interface ProductNotFound {
  ok: false;
  code: 'NOT_FOUND';
  reason: string;
}

export type ChangeOutcome<TRefusal> = { ok: true; product: Product } | ProductNotFound | TRefusal;

/**
 * Applies one catalog change to a locked product: the change says whether it changed anything (or
 * refuses with a value); a real change is published in the same transaction.
 */
export function changeProduct(deps: CatalogDeps) {
  return async <TRefusal extends { ok: false } = never>(
    productId: string,
    change: (product: Product, now: Date) => boolean | TRefusal,
  ): Promise<ChangeOutcome<TRefusal>> => {
    return deps.unitOfWork.run(async (em, publish): Promise<ChangeOutcome<TRefusal>> => {
      const product = (await lockProducts(em, [productId])).get(productId.toLowerCase());
      if (!product) return { ok: false, code: 'NOT_FOUND', reason: `product ${productId} not found` };
      const changed = change(product, deps.clock.now());
      if (typeof changed !== 'boolean') return changed;
      if (changed) publishCatalogEntry(publish, product);
      return { ok: true, product };
    });
  };
}
