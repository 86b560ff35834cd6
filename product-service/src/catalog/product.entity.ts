import { defineEntity, p, type Opt } from '@mikro-orm/core';
import type { ProductCatalogMessage } from '#shared/contracts/product-catalog.ts';

/** No product holds more than this on hand: far above any real shelf, far below the int column. */
export const maxOnHand = 1_000_000_000;

const revisionEpochMs = Date.UTC(2025, 0, 1);

/**
 * The revision after `current`: one more, and at least the seconds since 2025-01-01. Consumers of the
 * compacted catalog topic keep the highest revision they saw, and the topic outlives databases (a
 * product database recreated in development, a restored backup); a plain counter starting again at 1
 * would lose to the old database's revisions for ever. Seconds fit the int columns until 2093.
 */
export function nextRevision(current: number, now: Date): number {
  return Math.max(current + 1, Math.floor((now.getTime() - revisionEpochMs) / 1000));
}

export const ProductSchema = defineEntity({
  name: 'Product',
  tableName: 'product',
  properties: {
    id: p.string().length(36).primary(),
    name: p.string().length(200),
    /** Unit price in KRW. */
    price: p.bigint('number'),
    onHand: p.integer(),
    /** Units promised to orders that are reserved but not yet confirmed (still on hand). */
    reserved: p.integer(),
    active: p.boolean(),
    /** Rises with every catalog change and is published with it (see nextRevision); consumers keep the highest. */
    revision: p.integer(),
    version: p.integer().version(),
    createdAt: p.datetime(3),
    updatedAt: p.datetime(3),
  },
});

export type CatalogEntry = Extract<ProductCatalogMessage, { type: 'ProductUpserted' }>['payload'];

export type StockAddition = { ok: true } | { ok: false; code: 'ON_HAND_LIMIT'; reason: string };

/**
 * A product and its stock (0 ≤ reserved ≤ onHand, also enforced by check constraints). The catalog
 * changes below go through the unit of work; stock moves for orders (reserve, confirm, release) are
 * conditional UPDATEs on the hot path, in reservations/product-stock.ts, each guarding the invariant
 * in its WHERE clause.
 */
export class Product extends ProductSchema.class {
  get available(): Opt<number> {
    return this.onHand - this.reserved;
  }

  /** Returns whether anything changed (the same price again is not a catalog change). */
  changePrice(price: number, now: Date): boolean {
    if (price === this.price) return false;
    this.price = price;
    this.catalogChanged(now);
    return true;
  }

  addStock(quantity: number, now: Date): StockAddition {
    if (this.onHand + quantity > maxOnHand) {
      return {
        ok: false,
        code: 'ON_HAND_LIMIT',
        reason: `product ${this.id} has ${this.onHand} on hand; adding ${quantity} would exceed ${maxOnHand}`,
      };
    }
    this.onHand += quantity;
    this.catalogChanged(now);
    return { ok: true };
  }

  /** What the product-catalog topic says about this product. */
  catalogEntry(): CatalogEntry {
    return { productId: this.id, name: this.name, price: this.price, active: this.active, revision: this.revision };
  }

  private catalogChanged(now: Date): void {
    this.revision = nextRevision(this.revision, now);
    this.updatedAt = now;
  }
}
ProductSchema.setClass(Product);
