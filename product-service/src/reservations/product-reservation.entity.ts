import { defineEntity, p } from '@mikro-orm/core';

export const reservationStatuses = ['RESERVED', 'CONFIRMED', 'RELEASED'] as const;
export type ReservationStatus = (typeof reservationStatuses)[number];

export const ProductReservationSchema = defineEntity({
  name: 'ProductReservation',
  tableName: 'product_reservation',
  properties: {
    orderId: p.string().length(36).primary(),
    productId: p.string().length(36).primary(),
    /** All of the order's items for this product, summed. */
    quantity: p.integer(),
    /** The catalog price the reservation was accepted at (KRW). */
    unitPrice: p.bigint('number'),
    status: p.string().length(16).$type<ReservationStatus>(),
    createdAt: p.datetime(3),
    updatedAt: p.datetime(3),
  },
  primaryKeys: ['orderId', 'productId'],
});

/** One order's hold on one product. It only ever leaves RESERVED, once, together with its order. */
export class ProductReservation extends ProductReservationSchema.class {
  confirm(now: Date): void {
    this.settle('CONFIRMED', now);
  }

  release(now: Date): void {
    this.settle('RELEASED', now);
  }

  private settle(status: ReservationStatus, now: Date): void {
    if (this.status !== 'RESERVED') {
      throw new Error(`bug: reservation ${this.orderId}/${this.productId} is ${this.status}, cannot become ${status}`);
    }
    this.status = status;
    this.updatedAt = now;
  }
}
ProductReservationSchema.setClass(ProductReservation);
