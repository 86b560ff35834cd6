import { defineEntity, p } from '@mikro-orm/core';

/** No account may hold more than this (KRW): far below 2^53, so balances stay exact JS numbers. */
export const maxBalance = 1_000_000_000_000_000;

export type LedgerKind = 'CHARGE' | 'REFUND' | 'TOP_UP';

/** A ledger row not yet persisted: every balance movement produces exactly one. */
export interface LedgerEntryDraft {
  customerId: string;
  orderId: string | null;
  kind: LedgerKind;
  /** Signed: a charge is negative, a refund or top-up positive. */
  amount: number;
  balanceAfter: number;
  idempotencyKey: string | null;
  createdAt: Date;
}

export type DebitDecision =
  | { ok: true; entry: LedgerEntryDraft }
  | { ok: false; code: 'INSUFFICIENT_CREDIT'; reason: string };

const CustomerCreditSchema = defineEntity({
  name: 'CustomerCredit',
  tableName: 'customer_credit',
  properties: {
    customerId: p.string().length(36).primary(),
    openingBalance: p.bigint('number'),
    balance: p.bigint('number'),
    version: p.integer().version(),
    createdAt: p.datetime(3),
    updatedAt: p.datetime(3),
  },
});

/**
 * A customer's credit account. The balance only changes through `debit` and `credit`, and each of
 * them returns the ledger row describing the movement, so `balance == openingBalance + Σ ledger`.
 * Callers hold the row lock (or rely on `version`) while deciding.
 */
export class CustomerCredit extends CustomerCreditSchema.class {
  debit(amount: number, orderId: string, now: Date): DebitDecision {
    assertPositiveAmount(amount);
    if (this.balance < amount) {
      return {
        ok: false,
        code: 'INSUFFICIENT_CREDIT',
        reason: `credit balance ${this.balance} KRW does not cover ${amount} KRW`,
      };
    }
    return { ok: true, entry: this.move('CHARGE', -amount, orderId, null, now) };
  }

  /** Refund or top-up. The limit is the caller's business rule to check first (`canReceive`). */
  credit(kind: 'REFUND' | 'TOP_UP', amount: number, orderId: string | null, idempotencyKey: string | null, now: Date): LedgerEntryDraft {
    assertPositiveAmount(amount);
    if (!this.canReceive(amount)) throw new Error(`crediting ${amount} would push ${this.customerId} past the balance limit`);
    return this.move(kind, amount, orderId, idempotencyKey, now);
  }

  canReceive(amount: number): boolean {
    return this.balance + amount <= maxBalance;
  }

  private move(kind: LedgerKind, signedAmount: number, orderId: string | null, idempotencyKey: string | null, now: Date): LedgerEntryDraft {
    this.balance += signedAmount;
    this.updatedAt = now;
    return { customerId: this.customerId, orderId, kind, amount: signedAmount, balanceAfter: this.balance, idempotencyKey, createdAt: now };
  }
}
CustomerCreditSchema.setClass(CustomerCredit);

function assertPositiveAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new Error(`amount must be a positive integer, got ${amount}`);
}

export { CustomerCreditSchema };
