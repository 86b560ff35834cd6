import { Migration } from '@mikro-orm/migrations';

/**
 * Each customer's own password (scrypt hash, salt and parameters in one string: see
 * auth/passwords.ts); no row, no login. `updated_by` is the operator who set it last.
 */
export class CreateCustomerCredentials extends Migration {
  override up(): void {
    this.addSql(`
      create table if not exists customer_credential (
        customer_id varchar(36) not null primary key,
        password_hash varchar(255) not null,
        created_at datetime(3) not null,
        updated_at datetime(3) not null,
        updated_by varchar(64) null
      ) default character set utf8mb4 engine = InnoDB`);
  }
}
