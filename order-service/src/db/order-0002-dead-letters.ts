import { Migration } from '@mikro-orm/migrations';

/**
 * The platform's dead letters as the order service collects them from every `<topic>.dlq`
 * topic, and an index for the operators' "recent orders" list.
 */
export class CreateDeadLettersIndexRecentOrders extends Migration {
  override up(): void {
    this.addSql(`
      create table if not exists dead_letter (
        id bigint unsigned not null auto_increment primary key,
        topic varchar(255) not null,
        kafka_partition int not null,
        kafka_offset varchar(20) not null,
        message_key text null,
        value mediumtext not null,
        headers json not null,
        reason text not null,
        original_topic varchar(255) not null,
        original_partition int null,
        original_offset varchar(20) null,
        consumer_group varchar(255) null,
        failed_at datetime(3) not null,
        received_at datetime(3) not null,
        status varchar(10) not null,
        redriven_at datetime(3) null,
        unique key dead_letter_record_unique (topic, kafka_partition, kafka_offset),
        key dead_letter_status_idx (status, id),
        key dead_letter_topic_idx (topic, id)
      ) default character set utf8mb4 engine = InnoDB`);
    this.addSql('create index customer_order_created_idx on customer_order (created_at)');
  }
}
