import { defineEntity, p } from '@mikro-orm/core';
import type { StockRejectionCode } from '#shared/contracts/product-reservation.ts';
import { accepted, refuse, type StockDecision, type Transition } from './stock-decision.ts';

export const orderStockStatuses = ['RESERVED', 'REJECTED', 'CONFIRMED', 'RELEASED'] as const;
export type OrderStockStatus = (typeof orderStockStatuses)[number];

export const OrderStockSchema = defineEntity({
  name: 'OrderStock',
  tableName: 'order_stock',
  properties: {
    orderId: p.string().length(36).primary(),
    status: p.string().length(16).$type<OrderStockStatus>(),
    /** A rejected reserve is stored, so a repeated ReserveStock gets the very same answer. */
    rejectionCode: p.string().length(40).$type<StockRejectionCode>().nullable(),
    rejectionReason: p.string().length(500).nullable(),
    releaseReason: p.string().length(500).nullable(),
    createdAt: p.datetime(3),
    updatedAt: p.datetime(3),
  },
});

/**
 * What this service decided about one order's stock. It exists from the first ReserveStock (RESERVED
 * or REJECTED) or from a ReleaseStock that came first (RELEASED with no lines: a tombstone, so a late
 * reserve cannot take stock for an order the saga already gave up). Every later command for the order
 * is answered from here, which is what makes repeated commands idempotent.
 *
 *   RESERVED ──confirm──▶ CONFIRMED      RESERVED ──release──▶ RELEASED
 *   REJECTED and RELEASED and CONFIRMED are final.
 */
export class OrderStock extends OrderStockSchema.class {
  /** The answer to a ReserveStock for an order already decided on. */
  answerToReserve(): StockDecision {
    switch (this.status) {
      case 'RESERVED':
      case 'CONFIRMED':
        return accepted;
      case 'REJECTED':
        return refuse(this.rejectionCode ?? 'INSUFFICIENT_STOCK', this.rejectionReason ?? 'the reservation was rejected');
      case 'RELEASED':
        return refuse('ORDER_ALREADY_RELEASED', `order ${this.orderId} was already released; its stock cannot be reserved again`);
    }
  }

  confirm(now: Date): Transition {
    switch (this.status) {
      case 'RESERVED':
        return this.moveTo('CONFIRMED', now);
      case 'CONFIRMED':
        return { ok: true, changed: false };
      case 'REJECTED':
        return refuse('NOT_RESERVED', `order ${this.orderId} has no reservation to confirm: it was rejected (${this.rejectionCode})`);
      case 'RELEASED':
        return refuse('ORDER_ALREADY_RELEASED', `order ${this.orderId} was released; there is nothing left to confirm`);
    }
  }

  release(now: Date, reason: string | null): Transition {
    switch (this.status) {
      case 'RESERVED':
        this.releaseReason = reason;
        return this.moveTo('RELEASED', now);
      case 'RELEASED':
      case 'REJECTED':
        return { ok: true, changed: false };
      case 'CONFIRMED':
        return refuse('ALREADY_CONFIRMED', `order ${this.orderId} is confirmed: its stock has left the shelf and cannot be released`);
    }
  }

  private moveTo(status: OrderStockStatus, now: Date): Transition {
    this.status = status;
    this.updatedAt = now;
    return { ok: true, changed: true };
  }
}
OrderStockSchema.setClass(OrderStock);
