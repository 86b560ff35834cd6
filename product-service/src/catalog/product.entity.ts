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
 * changes go through the unit of work. The stock moves of orders (reserve, ship, return) are made
 * on a product row a batch of stock commands has locked (reservations/stock-book.ts), one order
 * after the other in memory, and written once per batch as the sum of the moves.
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

  /** Holds units for an order (the caller decided that they are available). */
  reserve(quantity: number): void {
    if (quantity > this.available) throw new Error(`bug: reserving ${quantity} of product ${this.id}, ${this.available} available`);
    this.reserved += quantity;
  }

  /** Reserved units leave the shelf: on hand and reserved both drop. */
  shipReserved(quantity: number): void {
    this.settleReserved(quantity);
    this.onHand -= quantity;
  }

  /** Reserved units go back to the available pool. */
  returnReserved(quantity: number): void {
    this.settleReserved(quantity);
  }

  private settleReserved(quantity: number): void {
    // An order's reserved units are always reserved on its product: if not, the data is broken.
    if (quantity > this.reserved) throw new Error(`bug: settling ${quantity} of product ${this.id}, which has ${this.reserved} reserved`);
    this.reserved -= quantity;
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
