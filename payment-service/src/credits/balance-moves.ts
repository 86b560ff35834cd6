import type { Em } from '#shared/db/orm.ts';
import { assertPositiveAmount, maxBalance, type LedgerKind } from './customer-credit.entity.ts';

/**
 * Balance movements of the saga commands, written as plain statements for the hot path.
 *
 * A customer's credit row is the one row every charge and refund of that customer must lock, and
 * InnoDB holds the lock from the UPDATE that takes it until COMMIT. So a movement is the LAST thing
 * its transaction does: one guarded UPDATE (the guard is the business rule: the balance never
 * goes negative, never past the limit), then the ledger row, then COMMIT. Everything that does not
 * need the row (the payment decision, the reply in the outbox) is written before, while other
 * transactions of the same customer can still use it.
 *
 * The UPDATE also bumps `version`, so the entity's optimistic check (top-ups) sees these moves.
 */

export interface BalanceMove {
  customerId: string;
  orderId: string;
  /** Positive; the direction is the function's. */
  amount: number;
  now: Date;
}

/** Takes `amount` from the balance if it covers it; false means nothing moved (no account, or not enough credit). */
export async function debitCredit(em: Em, move: BalanceMove): Promise<boolean> {
  assertPositiveAmount(move.amount);
  const moved = await em.execute<{ affectedRows: number }>(
    `update customer_credit set balance = balance - ?, version = version + 1, updated_at = ?
      where customer_id = ? and balance >= ?`,
    [move.amount, move.now, move.customerId, move.amount],
    'run',
  );
  if (moved.affectedRows === 0) return false;
  await appendLedgerRowAtBalance(em, 'CHARGE', -move.amount, move);
  return true;
}

/** Gives `amount` back unless that would pass the balance limit; false means nothing moved (no account, or over the limit). */
export async function refundCredit(em: Em, move: BalanceMove): Promise<boolean> {
  assertPositiveAmount(move.amount);
  const moved = await em.execute<{ affectedRows: number }>(
    `update customer_credit set balance = balance + ?, version = version + 1, updated_at = ?
      where customer_id = ? and balance <= ?`,
    [move.amount, move.now, move.customerId, maxBalance - move.amount],
    'run',
  );
  if (moved.affectedRows === 0) return false;
  await appendLedgerRowAtBalance(em, 'REFUND', move.amount, move);
  return true;
}

/**
 * The ledger row of the movement just made, with `balance_after` copied from the credit row in the
 * same statement. It runs while this transaction holds the row's lock, so the balance it reads is
 * exactly the one its UPDATE wrote, and no other movement of the customer can come between:
 * each row's `balance_after` continues the previous row's, in `id` order.
 */
async function appendLedgerRowAtBalance(em: Em, kind: LedgerKind, signedAmount: number, move: BalanceMove): Promise<void> {
  await em.execute(
    `insert into credit_history (customer_id, order_id, kind, amount, balance_after, idempotency_key, created_at)
     select customer_id, ?, ?, ?, balance, null, ? from customer_credit where customer_id = ?`,
    [move.orderId, kind, signedAmount, move.now, move.customerId],
    'run',
  );
}

/**
 * The current balance, for explaining a refused debit; null for an unknown customer. A locking read:
 * it sees the latest balance whatever this transaction read before (after the refused UPDATE the
 * row is already locked by this transaction, so it waits for nobody).
 */
export async function currentBalance(em: Em, customerId: string): Promise<number | null> {
  const rows = await em.execute<{ balance: number | string }[]>(
    'select balance from customer_credit where customer_id = ? for update',
    [customerId],
  );
  return rows[0] ? Number(rows[0].balance) : null;
}
