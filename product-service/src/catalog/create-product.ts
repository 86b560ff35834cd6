import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Ids } from '#shared/runtime/ids.ts';
import type { CatalogDeps } from './catalog-deps.ts';
import { publishCatalogEntry } from './catalog-events.ts';
import { nextRevision, Product } from './product.entity.ts';

export interface NewProduct {
  /** Chosen by the caller (seed data, idempotent clients) or generated. */
  id?: string;
  name: string;
  price: number;
  /** Initial stock on hand. */
  quantity: number;
}

export type CreateProductResult = { ok: true; product: Product } | { ok: false; code: 'ALREADY_EXISTS'; reason: string };

export type CreateProduct = (input: NewProduct) => Promise<CreateProductResult>;

/** Adds a product to the catalog and publishes it, in one transaction. An existing id is left untouched. */
export function createProduct(deps: CatalogDeps & { ids: Ids }): CreateProduct {
  return async (input) => {
    const id = (input.id ?? deps.ids.next()).toLowerCase();
    const alreadyExists = { ok: false, code: 'ALREADY_EXISTS', reason: `product ${id} already exists` } as const;
    let product: Product | null;
    try {
      product = await deps.unitOfWork.run(async (em, publish) => {
        if ((await em.count(Product, { id })) > 0) return null;
        const now = deps.clock.now();
        const created = em.create(Product, {
          id,
          name: input.name,
          price: input.price,
          onHand: input.quantity,
          reserved: 0,
          active: true,
          revision: nextRevision(0, now),
          createdAt: now,
          updatedAt: now,
        });
        publishCatalogEntry(publish, created);
        return created;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) return alreadyExists; // created concurrently
      throw error;
    }
    if (!product) return alreadyExists;
    return { ok: true, product };
  };
}
