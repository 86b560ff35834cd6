import type { MigrationObject } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';

/** The outbox and inbox tables every service includes as its first migration. */
class CreateMessagingTables extends Migration {
  override up(): void {
    this.addSql(`
      create table if not exists outbox_message (
        id bigint unsigned not null auto_increment primary key,
        message_id varchar(36) not null,
        topic varchar(200) not null,
        message_key varchar(100) null,
        type varchar(100) not null,
        body text not null,
        headers json null,
        created_at datetime(3) not null,
        attempts int not null default 0,
        next_attempt_at datetime(3) not null,
        last_error varchar(1000) null,
        sent_at datetime(3) null,
        unique key outbox_message_message_id_unique (message_id),
        key outbox_message_pending_idx (sent_at, next_attempt_at, id),
        key outbox_message_key_idx (message_key, sent_at, id)
      ) default character set utf8mb4 engine = InnoDB`);
    this.addSql(`
      create table if not exists inbox_message (
        message_id varchar(36) not null primary key,
        topic varchar(200) not null,
        type varchar(100) not null,
        received_at datetime(3) not null,
        key inbox_message_received_at_idx (received_at)
      ) default character set utf8mb4 engine = InnoDB`);
  }
}

export const messagingMigration: MigrationObject = { name: '0001-messaging-tables', class: CreateMessagingTables };
