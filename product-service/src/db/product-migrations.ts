import type { MigrationObject } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';

/**
 * The catalog with its stock, the per-order stock record (which also remembers releases that came
 * before any reserve) and one reservation line per (order, product). The check constraints are the
 * last line of defence: stock can never go negative or be reserved beyond what is on hand.
 */
class CreateCatalogAndStockTables extends Migration {
  override up(): void {
    this.addSql(`
      create table if not exists product (
        id varchar(36) not null primary key,
        name varchar(200) not null,
        price bigint not null,
        on_hand int not null,
        reserved int not null default 0,
        active tinyint(1) not null default 1,
        revision int not null,
        version int not null default 1,
        created_at datetime(3) not null,
        updated_at datetime(3) not null,
        constraint product_price_positive check (price > 0),
        constraint product_on_hand_not_negative check (on_hand >= 0),
        constraint product_reserved_within_on_hand check (reserved >= 0 and reserved <= on_hand),
        key product_name_idx (name)
      ) default character set utf8mb4 engine = InnoDB`);
    this.addSql(`
      create table if not exists order_stock (
        order_id varchar(36) not null primary key,
        status varchar(16) not null,
        rejection_code varchar(40) null,
        rejection_reason varchar(500) null,
        release_reason varchar(500) null,
        created_at datetime(3) not null,
        updated_at datetime(3) not null,
        constraint order_stock_status_known check (status in ('RESERVED', 'REJECTED', 'CONFIRMED', 'RELEASED'))
      ) default character set utf8mb4 engine = InnoDB`);
    this.addSql(`
      create table if not exists product_reservation (
        order_id varchar(36) not null,
        product_id varchar(36) not null,
        quantity int not null,
        unit_price bigint not null,
        status varchar(16) not null,
        created_at datetime(3) not null,
        updated_at datetime(3) not null,
        primary key (order_id, product_id),
        key product_reservation_product_idx (product_id, created_at),
        constraint product_reservation_quantity_positive check (quantity > 0),
        constraint product_reservation_status_known check (status in ('RESERVED', 'CONFIRMED', 'RELEASED'))
      ) default character set utf8mb4 engine = InnoDB`);
  }
}

export const productMigrations: MigrationObject[] = [{ name: 'product-0001-catalog-and-stock', class: CreateCatalogAndStockTables }];
