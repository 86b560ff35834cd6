import type { Orm } from '#shared/db/orm.ts';
import type { Clock } from '#shared/runtime/clock.ts';

export interface NewCreditAccount {
  customerId: string;
  openingBalance: number;
}

/** The seed's customers (seed/README.ko.md), with their opening balances in KRW. */
export const seedCreditAccounts: readonly NewCreditAccount[] = [
  { customerId: '3fa85f64-5717-4562-b3fc-2c963f66afa6', openingBalance: 1_000_000 },
  { customerId: '7c9e6679-7425-40de-944b-e07fc1f90ae7', openingBalance: 500_000 },
  { customerId: '9b2d3f1e-8c4a-4e6b-a1d2-5f6e7a8b9c0d', openingBalance: 250_000 },
];

/**
 * Opens credit accounts that do not exist yet and leaves existing ones untouched (balance, history,
 * version), so seeding on every start — from several replicas at once — is safe.
 */
export function createOpenCreditAccounts(deps: { orm: Orm; clock: Clock }) {
  return async function openCreditAccounts(accounts: readonly NewCreditAccount[]): Promise<void> {
    if (accounts.length === 0) return;
    const now = deps.clock.now();
    await deps.orm.em.fork().execute(
      `insert into customer_credit (customer_id, opening_balance, balance, version, created_at, updated_at)
       values ${accounts.map(() => '(?, ?, ?, 1, ?, ?)').join(', ')}
       on duplicate key update customer_id = customer_id`,
      accounts.flatMap((account) => [account.customerId, account.openingBalance, account.openingBalance, now, now]),
      'run',
    );
  };
}
