import type { CatalogDeps } from './catalog-deps.ts';
import { changeProduct, type ChangeOutcome } from './change-product.ts';

export type ChangePrice = (command: { productId: string; price: number }) => Promise<ChangeOutcome<never>>;

/**
 * Sets a product's unit price. The new price is published at once; reservations already accepted
 * keep the price they were accepted at.
 */
export function changePrice(deps: CatalogDeps): ChangePrice {
  const change = changeProduct(deps);
  return ({ productId, price }) => change<never>(productId, (product, now) => product.changePrice(price, now));
}
