import type { CatalogDeps } from './catalog-deps.ts';
import { changeProduct, type ChangeOutcome } from './change-product.ts';
import type { StockAddition } from './product.entity.ts';

export type StockLimitReached = Extract<StockAddition, { ok: false }>;

export type AddStock = (command: { productId: string; quantity: number }) => Promise<ChangeOutcome<StockLimitReached>>;

/** Puts more units on hand (a delivery); refused if the product would hold more than the limit. */
export function addStock(deps: CatalogDeps): AddStock {
  const change = changeProduct(deps);
  return ({ productId, quantity }) =>
    change(productId, (product, now) => {
      const addition = product.addStock(quantity, now);
      return addition.ok ? true : addition;
    });
}
