import type { Orm } from '#shared/db/orm.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import { hashPassword, spendLikeAVerification, verifyPassword } from './passwords.ts';

/**
 * Each customer's own password, kept as an scrypt hash in `customer_credential`. A customer
 * without a row cannot sign in; an operator sets or resets it (admin API, `npm run password`).
 */
export function createCustomerCredentials(deps: { orm: Orm; clock: Clock }) {
  const em = () => deps.orm.em.fork();
  return {
    async verify(customerId: string, password: string): Promise<boolean> {
      const [row] = await em().execute<{ password_hash: string }[]>('select password_hash from customer_credential where customer_id = ?', [
        customerId.toLowerCase(),
      ]);
      return row ? verifyPassword(password, row.password_hash) : spendLikeAVerification(password);
    },

    /** Sets (or replaces) a customer's password; `actor` is the operator who did it. */
    async set(customerId: string, password: string, actor: string | null): Promise<void> {
      const hash = await hashPassword(password);
      const now = deps.clock.now();
      await em().execute(
        `insert into customer_credential (customer_id, password_hash, created_at, updated_at, updated_by) values (?, ?, ?, ?, ?)
         on duplicate key update password_hash = values(password_hash), updated_at = values(updated_at), updated_by = values(updated_by)`,
        [customerId.toLowerCase(), hash, now, now, actor],
      );
    },

    /** Gives customers that have no password yet this one (the demo customers, outside production); a reset stays. */
    async setIfMissing(customerIds: readonly string[], password: string): Promise<void> {
      if (customerIds.length === 0) return;
      const ids = customerIds.map((id) => id.toLowerCase());
      const present = await em().execute<{ customer_id: string }[]>(
        `select customer_id from customer_credential where customer_id in (${ids.map(() => '?').join(', ')})`,
        ids,
      );
      const have = new Set(present.map((row) => row.customer_id));
      const now = deps.clock.now();
      for (const customerId of ids.filter((id) => !have.has(id))) {
        await em().execute(
          `insert ignore into customer_credential (customer_id, password_hash, created_at, updated_at, updated_by) values (?, ?, ?, ?, null)`,
          [customerId, await hashPassword(password), now, now],
        );
      }
    },
  };
}

export type CustomerCredentials = ReturnType<typeof createCustomerCredentials>;
