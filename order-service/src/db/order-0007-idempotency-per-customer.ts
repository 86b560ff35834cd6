import { Migration } from '@mikro-orm/migrations';

/**
 * Idempotency keys belong to the customer who sent them: unique per (customer, key), so another
 * customer's use of the same string neither conflicts with nor reveals yours. The same index finds
 * a customer's key on the hot path.
 */
export class IdempotencyKeyPerCustomer extends Migration {
  override up(): void {
    this.addSql(`alter table customer_order
      drop index customer_order_idempotency_key_unique,
      add unique key customer_order_customer_idempotency_unique (customer_id, idempotency_key)`);
  }
}
