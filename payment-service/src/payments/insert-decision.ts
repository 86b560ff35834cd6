import { UniqueConstraintViolationException, type RequiredEntityData } from '@mikro-orm/core';
import type { Em } from '#shared/db/orm.ts';
import { RetryableError } from '#shared/db/retryable-errors.ts';
import { Payment } from './payment.entity.ts';

/**
 * Inserts an order's payment decision now rather than at commit. One order's commands share a
 * partition, so two decisions for one order race only while a partition moves between replicas;
 * the loser's transaction is retried and then finds the winner's decision.
 */
export async function insertDecision(em: Em, data: RequiredEntityData<Payment>): Promise<Payment> {
  const payment = em.create(Payment, data);
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw new RetryableError(`payment for order ${payment.orderId} was decided concurrently`, { cause: error });
    }
    throw error;
  }
  return payment;
}
