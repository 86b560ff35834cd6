import type { Orm } from '#shared/db/orm.ts';
import { utcDate } from '#shared/db/sql-values.ts';
import { CreditHistory, type CreditHistoryRow } from './credit-history.entity.ts';
import { CustomerCredit } from './customer-credit.entity.ts';

/** `balance == openingBalance + Σ ledger`, and the newest ledger row ends at the balance. */
export interface LedgerCheck {
  customerId: string;
  openingBalance: number;
  balance: number;
  ledgerSum: number;
  ledgerEntries: number;
  consistent: boolean;
}

export interface CreditView extends LedgerCheck {
  version: number;
  updatedAt: Date;
}

export interface HistoryPage {
  items: CreditHistoryRow[];
  page: number;
  size: number;
  total: number;
}

interface LedgerCheckRow {
  customer_id: string;
  opening_balance: number | string | bigint;
  balance: number | string | bigint;
  ledger_sum: number | string | bigint | null;
  ledger_entries: number | string | bigint;
  last_balance_after: number | string | bigint | null;
  version: number;
  updated_at: Date | string;
}

/** Raw rows carry datetimes as the driver gives them; the ORM stores them in UTC. */

// One statement reads one snapshot, so a check never sees a balance without its ledger row.
// `ledgerWhere` narrows the ledger's aggregate as `where` narrows the accounts: MariaDB does not
// push the outer condition into a grouped derived table, so without it reading one customer's
// credit summed every customer's ledger (seen in the slow log: 50–80 ms at 48,000 rows). The cost
// is now that customer's own ledger (the check needs its sum); the full audit is checkAllLedgers.
const ledgerCheckSql = (where: string, ledgerWhere = '') => `
  select c.customer_id, c.opening_balance, c.balance, c.version, c.updated_at,
         coalesce(l.ledger_sum, 0) as ledger_sum, coalesce(l.ledger_entries, 0) as ledger_entries,
         (select h.balance_after from credit_history h where h.customer_id = c.customer_id order by h.id desc limit 1)
           as last_balance_after
    from customer_credit c
    left join (select customer_id, sum(amount) as ledger_sum, count(*) as ledger_entries
                 from credit_history ${ledgerWhere} group by customer_id) l on l.customer_id = c.customer_id
   ${where}
   order by c.customer_id`;

function toCreditView(row: LedgerCheckRow): CreditView {
  const openingBalance = Number(row.opening_balance);
  const balance = Number(row.balance);
  const ledgerSum = Number(row.ledger_sum ?? 0);
  const ledgerEntries = Number(row.ledger_entries);
  const endsAtBalance = row.last_balance_after === null || Number(row.last_balance_after) === balance;
  return {
    customerId: row.customer_id,
    openingBalance,
    balance,
    ledgerSum,
    ledgerEntries,
    consistent: balance === openingBalance + ledgerSum && endsAtBalance && balance >= 0,
    version: Number(row.version),
    updatedAt: utcDate(row.updated_at),
  };
}

/** What the ledger moved for one order: KRW charged (positive) and refunded. */
export interface OrderLedgerSums {
  orderId: string;
  charged: number;
  refunded: number;
}

/** Read side of credits: balances, the ledger, and the ledger check. */
export function createCreditQueries(deps: { orm: Orm }) {
  const em = () => deps.orm.em.fork();

  return {
    async customerExists(customerId: string): Promise<boolean> {
      return (await em().count(CustomerCredit, { customerId })) > 0;
    },

    /** Balance with its ledger check; null for an unknown customer. */
    async creditOf(customerId: string): Promise<CreditView | null> {
      const rows = await em().execute<LedgerCheckRow[]>(ledgerCheckSql('where c.customer_id = ?', 'where customer_id = ?'), [customerId, customerId]);
      return rows[0] ? toCreditView(rows[0]) : null;
    },

    /** Every account; `consistent` is false if any account breaks the ledger rule. */
    async checkAllLedgers(): Promise<{ accounts: number; consistent: boolean; inconsistent: CreditView[] }> {
      const checks = (await em().execute<LedgerCheckRow[]>(ledgerCheckSql(''))).map(toCreditView);
      const inconsistent = checks.filter((check) => !check.consistent);
      return { accounts: checks.length, consistent: inconsistent.length === 0, inconsistent };
    },

    /** The ledger's charges and refunds per order, for the orders that have any (one plain read). */
    async ledgerSumsByOrder(orderIds: readonly string[]): Promise<OrderLedgerSums[]> {
      if (orderIds.length === 0) return [];
      const rows = await em().execute<{ order_id: string; charged: number | string | null; refunded: number | string | null }[]>(
        `select order_id, sum(case when kind = 'CHARGE' then -amount else 0 end) as charged,
                sum(case when kind = 'REFUND' then amount else 0 end) as refunded
           from credit_history where order_id in (${orderIds.map(() => '?').join(', ')}) group by order_id`,
        [...orderIds],
      );
      return rows.map((row) => ({ orderId: row.order_id, charged: Number(row.charged ?? 0), refunded: Number(row.refunded ?? 0) }));
    },

    /** Newest first; `page` counts from 0. Null for an unknown customer. */
    async historyOf(customerId: string, page: number, size: number): Promise<HistoryPage | null> {
      const fork = em();
      if ((await fork.count(CustomerCredit, { customerId })) === 0) return null;
      const [items, total] = await fork.findAndCount(CreditHistory, { customerId }, { orderBy: { id: 'desc' }, limit: size, offset: page * size });
      return { items, page, size, total };
    },
  };
}

export type CreditQueries = ReturnType<typeof createCreditQueries>;
