import type { Statement } from '#shared/db/sql-pool.ts';
import { placeholders, rowsOf, valuesList, type SqlTransaction } from '#shared/db/sql-transaction.ts';
import { utcDate } from '#shared/db/sql-values.ts';
import { CustomerCredit, type LedgerEntryDraft } from './customer-credit.entity.ts';

/**
 * The repository of credit for the saga's payment commands and the admin top-ups: the credit rows of a batch's customers,
 * read and locked once (ascending id order, so batches never wait for each other in a cycle), moved
 * in memory charge after charge, and written once with the commit — each account's balance as ONE
 * relative UPDATE with the sum of its moves (the check constraint balance ≥ 0 is the last line of
 * defence), its ledger rows as one multi-row INSERT whose `balance_after` values continue each
 * other exactly, because the row stayed locked from the read to the commit.
 */
export interface CreditBook {
  /** Locked accounts by customer id; a customer missing here has no account. */
  accounts: Map<string, CustomerCredit>;
  ledger: LedgerEntryDraft[];
}

interface CreditRow {
  customer_id: string;
  opening_balance: number | string;
  balance: number | string;
  version: number;
  created_at: string;
  updated_at: string;
}

export function loadCredits(customerIds: readonly string[]): Statement[] {
  const ids = [...new Set(customerIds)].sort();
  return [
    {
      sql: `select customer_id, opening_balance, balance, version, created_at, updated_at
              from customer_credit where customer_id in (${placeholders(ids.length)}) order by customer_id for update`,
      params: ids,
    },
  ];
}

export function creditBookOf(rows: unknown): CreditBook {
  const accounts = new Map<string, CustomerCredit>();
  for (const row of rowsOf<CreditRow>(rows)) {
    const credit = Object.assign(new CustomerCredit(), {
      customerId: row.customer_id,
      openingBalance: Number(row.opening_balance),
      balance: Number(row.balance),
      version: Number(row.version),
      createdAt: utcDate(row.created_at),
      updatedAt: utcDate(row.updated_at),
    });
    opening.set(credit, credit.balance);
    accounts.set(row.customer_id, credit);
  }
  return { accounts, ledger: [] };
}

/** The balance each account had when it was locked: the batch writes the difference. */
const opening = new WeakMap<CustomerCredit, number>();

export function saveCreditBook(book: CreditBook, tx: SqlTransaction): void {
  tx.beforeCommit(() => {
    const statements: Statement[] = [];
    for (const credit of book.accounts.values()) {
      const moved = credit.balance - (opening.get(credit) ?? credit.balance);
      const moves = book.ledger.filter((entry) => entry.customerId === credit.customerId).length;
      if (moves === 0) continue;
      // `version` rises with every move, so an ORM write that read the row before fails its optimistic check.
      statements.push({
        sql: 'update customer_credit set balance = balance + ?, version = version + ?, updated_at = ? where customer_id = ?',
        params: [moved, moves, credit.updatedAt, credit.customerId],
      });
    }
    if (book.ledger.length > 0) {
      statements.push({
        sql: `insert into credit_history (customer_id, order_id, kind, amount, balance_after, idempotency_key, actor, created_at)
              values ${valuesList(book.ledger.length, 8)}`,
        params: book.ledger.flatMap((entry) => [
          entry.customerId,
          entry.orderId,
          entry.kind,
          entry.amount,
          entry.balanceAfter,
          entry.idempotencyKey,
          entry.actor ?? null,
          entry.createdAt,
        ]),
      });
    }
    return { statements };
  });
}
