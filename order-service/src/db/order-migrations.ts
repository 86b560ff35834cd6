import type { MigrationObject } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';
import { CreateDeadLettersIndexRecentOrders } from './order-0002-dead-letters.ts';
import { OrderTraceParent } from './order-0006-trace-parent.ts';
import { CreateSigningKeys } from './order-0005-signing-keys.ts';
import { CreateCustomerCredentials } from './order-0008-customer-credentials.ts';
import { OwedCompensationTimers } from './order-0010-owed-compensation-timers.ts';
import { IndexOrdersByFinish } from './order-0011-finished-orders-index.ts';
import { SagaEventActor } from './order-0009-saga-event-actor.ts';
import { IdempotencyKeyPerCustomer } from './order-0007-idempotency-per-customer.ts';

class CreateOrderTables extends Migration {
  override up(): void {
    this.addSql(`
      create table if not exists customer_order (
        id varchar(36) not null primary key,
        customer_id varchar(36) not null,
        price bigint not null,
        items json not null,
        address json not null,
        status varchar(20) not null,
        failure_messages json not null,
        snapshot json not null,
        machine_version varchar(20) not null,
        event_count int not null,
        idempotency_key varchar(200) null,
        request_hash varchar(64) null,
        created_at datetime(3) not null,
        updated_at datetime(3) not null,
        terminal_at datetime(3) null,
        unique key customer_order_idempotency_key_unique (idempotency_key),
        key customer_order_customer_idx (customer_id, created_at),
        key customer_order_status_idx (status, updated_at)
      ) default character set utf8mb4 engine = InnoDB`);
    this.addSql(`
      create table if not exists saga_event (
        id bigint unsigned not null auto_increment primary key,
        order_id varchar(36) not null,
        sequence int not null,
        event_type varchar(60) not null,
        event json not null,
        source varchar(20) not null,
        message_id varchar(36) null,
        state_before varchar(60) null,
        state_after varchar(60) not null,
        effects json not null,
        changed tinyint(1) not null,
        machine_version varchar(20) not null,
        occurred_at datetime(3) not null,
        unique key saga_event_order_sequence_unique (order_id, sequence)
      ) default character set utf8mb4 engine = InnoDB`);
    this.addSql(`
      create table if not exists saga_timer (
        order_id varchar(36) not null,
        timer varchar(20) not null,
        attempt int not null,
        deadline_at datetime(3) not null,
        created_at datetime(3) not null,
        primary key (order_id, timer),
        key saga_timer_deadline_idx (deadline_at)
      ) default character set utf8mb4 engine = InnoDB`);
    this.addSql(`
      create table if not exists catalog_product (
        id varchar(36) not null primary key,
        name varchar(200) not null,
        price bigint not null,
        active tinyint(1) not null,
        revision int not null,
        updated_at datetime(3) not null
      ) default character set utf8mb4 engine = InnoDB`);
  }
}

/** For the incremental order feed (`updatedSince`). */
class IndexOrdersByUpdate extends Migration {
  override up(): void {
    this.addSql('create index customer_order_updated_idx on customer_order (updated_at, id)');
  }
}

/**
 * Timers move into the order row: a step then writes one row instead of three, and the sweep reads
 * one index. Pending timers are carried over.
 */
class TimersInOrderRow extends Migration {
  override up(): void {
    this.addSql(`alter table customer_order
      add column timers json null,
      add column next_deadline_at datetime(3) null,
      add key customer_order_next_deadline_idx (next_deadline_at)`);
    this.addSql(`update customer_order o set
      timers = (select json_objectagg(t.timer, json_object('attempt', t.attempt, 'deadlineAt',
                  concat(date_format(t.deadline_at, '%Y-%m-%dT%H:%i:%s.'), lpad(floor(microsecond(t.deadline_at) / 1000), 3, '0'), 'Z')))
                from saga_timer t where t.order_id = o.id),
      next_deadline_at = (select min(t.deadline_at) from saga_timer t where t.order_id = o.id)`);
    this.addSql(`update customer_order set timers = json_object() where timers is null`);
    this.addSql(`alter table customer_order modify timers json not null`);
    this.addSql(`drop table saga_timer`);
  }
}

export const orderMigrations: MigrationObject[] = [
  { name: 'order-0001-orders-sagas-timers-catalog', class: CreateOrderTables },
  { name: 'order-0002-dead-letters-recent-orders', class: CreateDeadLettersIndexRecentOrders },
  { name: 'order-0003-orders-by-update', class: IndexOrdersByUpdate },
  { name: 'order-0004-timers-in-order-row', class: TimersInOrderRow },
  { name: 'order-0005-signing-keys', class: CreateSigningKeys },
  { name: 'order-0006-order-trace-parent', class: OrderTraceParent },
  { name: 'order-0007-idempotency-per-customer', class: IdempotencyKeyPerCustomer },
  { name: 'order-0008-customer-credentials', class: CreateCustomerCredentials },
  { name: 'order-0009-saga-event-actor', class: SagaEventActor },
  { name: 'order-0010-owed-compensation-timers', class: OwedCompensationTimers },
  { name: 'order-0011-finished-orders-index', class: IndexOrdersByFinish },
];
