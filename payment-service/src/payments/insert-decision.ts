import { UniqueConstraintViolationException, type RequiredEntityData } from '@mikro-orm/core';
import type { Em } from '#shared/db/orm.ts';
import { RetryableError } from '#shared/db/retryable-errors.ts';
import { Payment } from './payment.entity.ts';

/**
 * Inserts an order's payment decision now (one INSERT, not at flush); null when the order already
 * has one, which the unique order id tells without a SELECT first. A decision another transaction
 * is still writing makes the INSERT wait for that transaction's end.
 */
export async function insertFirstDecision(em: Em, data: RequiredEntityData<Payment>): Promise<Payment | null> {
  const payment = em.create(Payment, data, { persist: false });
  try {
    await em.insert(payment);
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) return null;
    throw error;
  }
  return payment;
}

/**
 * Inserts a decision the caller found missing. One order's commands share a partition, so two
 * decisions for one order race only while a partition moves between replicas; the loser's
 * transaction is retried and then finds the winner's decision.
 */
export async function insertDecision(em: Em, data: RequiredEntityData<Payment>): Promise<Payment> {
  const payment = await insertFirstDecision(em, data);
  if (!payment) throw new RetryableError(`payment for order ${data.orderId} was decided concurrently`);
  return payment;
}

/**
 * Replaces the decision this transaction inserted and has not committed (so nobody else has seen
 * it) with `data`: an UPDATE of a row the transaction already holds, which waits for no other lock.
 */
export async function rewriteUncommittedDecision(em: Em, data: RequiredEntityData<Payment>): Promise<Payment> {
  const payment = em.create(Payment, data, { persist: false });
  const { status, failureCode, failureReason, updatedAt } = payment;
  const rewritten = await em.nativeUpdate(Payment, { id: payment.id, orderId: payment.orderId }, { status, failureCode, failureReason, updatedAt });
  if (rewritten !== 1) throw new Error(`payment ${payment.id} for order ${payment.orderId} is not this transaction's to rewrite`);
  return payment;
}
