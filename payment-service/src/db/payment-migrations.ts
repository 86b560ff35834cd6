import type { MigrationObject } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';

class CreatePaymentTables extends Migration {
  override up(): void {
    this.addSql(`
      create table if not exists customer_credit (
        customer_id varchar(36) not null primary key,
        opening_balance bigint not null,
        balance bigint not null,
        version int not null default 1,
        created_at datetime(3) not null,
        updated_at datetime(3) not null,
        constraint customer_credit_balance_non_negative check (balance >= 0)
      ) default character set utf8mb4 engine = InnoDB`);
    this.addSql(`
      create table if not exists payment (
        id varchar(36) not null primary key,
        order_id varchar(36) not null,
        customer_id varchar(36) not null,
        amount bigint not null,
        status varchar(20) not null,
        failure_code varchar(40) null,
        failure_reason varchar(500) null,
        created_at datetime(3) not null,
        updated_at datetime(3) not null,
        unique key payment_order_id_unique (order_id),
        key payment_customer_idx (customer_id, created_at)
      ) default character set utf8mb4 engine = InnoDB`);
    this.addSql(`
      create table if not exists credit_history (
        id bigint unsigned not null auto_increment primary key,
        customer_id varchar(36) not null,
        order_id varchar(36) null,
        kind varchar(10) not null,
        amount bigint not null,
        balance_after bigint not null,
        idempotency_key varchar(100) null,
        created_at datetime(3) not null,
        key credit_history_customer_idx (customer_id, id),
        key credit_history_order_idx (order_id),
        unique key credit_history_idempotency_unique (customer_id, idempotency_key)
      ) default character set utf8mb4 engine = InnoDB`);
  }
}

/** Who made a ledger movement by hand: the operator of a top-up (their admin token's subject); null for the saga's charges and refunds. */
class LedgerActor extends Migration {
  override up(): void {
    this.addSql('alter table credit_history add column actor varchar(64) null');
  }
}

/**
 * Idempotency-Keys of top-ups move off the ledger into a table of their own: a key answers for 24
 * hours and may then be used again (the ledger's unique key kept it for ever), and every top-up,
 * with a key or without, leaves a row named by its request id, so a request whose connection was
 * lost during COMMIT can find out whether it credited. Keys of earlier top-ups come along, their
 * body fingerprint as requestHash({ amount }) computes it.
 */
class TopUpRequests extends Migration {
  override up(): void {
    this.addSql(`
      create table if not exists top_up_request (
        id varchar(36) not null primary key,
        customer_id varchar(36) not null,
        idempotency_key varchar(100) null,
        request_hash char(64) not null,
        ledger_entry_id bigint unsigned not null,
        created_at datetime(3) not null,
        unique key top_up_request_idempotency_unique (customer_id, idempotency_key),
        key top_up_request_created_idx (created_at)
      ) default character set utf8mb4 engine = InnoDB`);
    this.addSql(`
      insert into top_up_request (id, customer_id, idempotency_key, request_hash, ledger_entry_id, created_at)
      select uuid(), customer_id, idempotency_key, sha2(concat('{"amount":', amount, '}'), 256), id, created_at
        from credit_history where kind = 'TOP_UP' and idempotency_key is not null`);
    this.addSql('alter table credit_history drop index credit_history_idempotency_unique');
  }
}

export const paymentMigrations: MigrationObject[] = [
  { name: 'payment-0001-credits-payments-ledger', class: CreatePaymentTables },
  { name: 'payment-0002-ledger-actor', class: LedgerActor },
  { name: 'payment-0003-top-up-requests', class: TopUpRequests },
];
