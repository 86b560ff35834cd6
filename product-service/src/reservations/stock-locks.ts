import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Em } from '#shared/db/orm.ts';
import { RetryableError } from '#shared/db/retryable-errors.ts';
import { flushEachMove, lockProducts } from '../catalog/lock-products.ts';
import type { Product } from '../catalog/product.entity.ts';
import { OrderStock } from './order-stock.entity.ts';
import { ProductReservation } from './product-reservation.entity.ts';

/**
 * The order's stock record, locked, or null if this service never heard of the order. The existence
 * check is a plain read on purpose: a locking read of a missing key takes a gap lock, and concurrent
 * first commands for different orders would then deadlock on their inserts.
 */
export async function findOrderStockForUpdate(em: Em, orderId: string): Promise<OrderStock | null> {
  if ((await em.count(OrderStock, { orderId })) === 0) return null;
  return em.findOneOrFail(OrderStock, { orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
}

/**
 * Flushes a unit of work that creates an order's stock record. If another command for the same order
 * created it first (two replicas during a rebalance), the message is retried and then answered from
 * that record.
 */
export async function flushNewOrderStock(em: Em, orderId: string): Promise<void> {
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw new RetryableError(`a concurrent command for order ${orderId} recorded it first`, { cause: error });
    }
    throw error;
  }
}

/**
 * Moves the stock of each of an order's lines (after the order's status changed). Lines are read
 * with a lock so they are current; their products are locked in id order.
 */
export async function settleLines(
  em: Em,
  orderId: string,
  settle: (product: Product, line: ProductReservation) => void,
): Promise<void> {
  const lines = await em.find(
    ProductReservation,
    { orderId },
    { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { productId: 'asc' } },
  );
  const products = await lockProducts(em, lines.map((line) => line.productId));
  await flushEachMove(em, lines, (line) => {
    const product = products.get(line.productId.toLowerCase());
    if (!product) throw new Error(`bug: order ${orderId} holds product ${line.productId}, which does not exist`);
    settle(product, line);
  });
}
