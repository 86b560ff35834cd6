import { defineEntity, p } from '@mikro-orm/core';

export const DEAD_LETTER_STATUSES = ['NEW', 'REDRIVEN'] as const;
export type DeadLetterStatus = (typeof DEAD_LETTER_STATUSES)[number];

/**
 * A record some consumer of the platform gave up on, as read from a `<topic>.dlq` topic. The
 * (topic, partition, offset) of the dead-letter record is unique, so reading a DLQ topic again
 * stores nothing twice.
 */
export const DeadLetter = defineEntity({
  name: 'DeadLetter',
  tableName: 'dead_letter',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    /** The `.dlq` topic the record was read from. */
    topic: p.string().length(255),
    partition: p.integer().fieldName('kafka_partition'),
    offset: p.string().length(20).fieldName('kafka_offset'),
    key: p.text().nullable().fieldName('message_key'),
    value: p.text(),
    headers: p.json<Record<string, string>>(),
    reason: p.text(),
    originalTopic: p.string().length(255),
    originalPartition: p.integer().nullable(),
    originalOffset: p.string().length(20).nullable(),
    consumerGroup: p.string().length(255).nullable(),
    failedAt: p.datetime(3),
    receivedAt: p.datetime(3),
    status: p.string().length(10).$type<DeadLetterStatus>(),
    redrivenAt: p.datetime(3).nullable(),
  },
});
export type DeadLetterRow = InstanceType<typeof DeadLetter.class>;
