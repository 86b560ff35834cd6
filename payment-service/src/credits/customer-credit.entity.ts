import { defineEntity, p } from '@mikro-orm/core';

/** No account may hold more than this (KRW): far below 2^53, so balances stay exact JS numbers. */
export const maxBalance = 1_000_000_000_000_000;

export type LedgerKind = 'CHARGE' | 'REFUND' | 'TOP_UP';

/** A ledger row for the unit of work to insert (top-ups; charges and refunds insert theirs in balance-moves.ts). */
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
 * A customer's credit account, always `balance == openingBalance + Σ ledger`. Charges and refunds
 * move the balance with guarded UPDATEs of their own (balance-moves.ts: the hot path); an admin
 * top-up goes through `topUp`, which returns the ledger row describing it. Callers hold the row
 * lock (or rely on `version`, which the UPDATEs bump too) while deciding.
 */
export class CustomerCredit extends CustomerCreditSchema.class {
  /** The limit is the caller's business rule to check first (`canReceive`). */
  topUp(amount: number, idempotencyKey: string | null, now: Date): LedgerEntryDraft {
    assertPositiveAmount(amount);
    if (!this.canReceive(amount)) throw new Error(`crediting ${amount} would push ${this.customerId} past the balance limit`);
    this.balance += amount;
    this.updatedAt = now;
    return { customerId: this.customerId, orderId: null, kind: 'TOP_UP', amount, balanceAfter: this.balance, idempotencyKey, createdAt: now };
  }

  canReceive(amount: number): boolean {
    return this.balance + amount <= maxBalance;
  }
}
CustomerCreditSchema.setClass(CustomerCredit);

export function assertPositiveAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new Error(`amount must be a positive integer, got ${amount}`);
}

export { CustomerCreditSchema };
