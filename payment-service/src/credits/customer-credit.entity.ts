import { defineEntity, p } from '@mikro-orm/core';

/** No account may hold more than this (KRW): far below 2^53, so balances stay exact JS numbers. */
export const maxBalance = 1_000_000_000_000_000;

export type LedgerKind = 'CHARGE' | 'REFUND' | 'TOP_UP';

/** A ledger row to insert: by the unit of work (top-ups), or with a batch of payment commands (credit-book.ts). */
export interface LedgerEntryDraft {
  customerId: string;
  orderId: string | null;
  kind: LedgerKind;
  /** Signed: a charge is negative, a refund or top-up positive. */
  amount: number;
  balanceAfter: number;
  idempotencyKey: string | null;
  /** The operator who moved it by hand (a top-up); absent or null for the saga's charges and refunds. */
  actor?: string | null;
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
 * A customer's credit account, always `balance == openingBalance + Σ ledger`. Every movement —
 * a charge, a refund, an admin top-up — goes through a method here that checks its rule and returns
 * the ledger row describing it (with the balance after it), so the rows of one account chain
 * exactly. Callers hold the row lock (a batch of payment commands, a top-up) while deciding.
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

  /** Takes `amount` for an order if the balance covers it; null (nothing moved) if it does not. */
  charge(orderId: string, amount: number, now: Date): LedgerEntryDraft | null {
    assertPositiveAmount(amount);
    if (this.balance < amount) return null;
    this.balance -= amount;
    this.updatedAt = now;
    return {
      customerId: this.customerId,
      orderId,
      kind: 'CHARGE',
      amount: -amount,
      balanceAfter: this.balance,
      idempotencyKey: null,
      createdAt: now,
    };
  }

  /** Gives back what an order's charge took. Past the balance limit it is a bug (the money came from this account). */
  refund(orderId: string, amount: number, now: Date): LedgerEntryDraft {
    assertPositiveAmount(amount);
    if (!this.canReceive(amount))
      throw new Error(`bug: refunding ${amount} for order ${orderId} would push ${this.customerId} past the balance limit`);
    this.balance += amount;
    this.updatedAt = now;
    return { customerId: this.customerId, orderId, kind: 'REFUND', amount, balanceAfter: this.balance, idempotencyKey: null, createdAt: now };
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
