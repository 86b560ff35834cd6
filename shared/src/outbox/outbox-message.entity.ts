import { defineEntity, p } from '@mikro-orm/core';

/**
 * A message waiting to be published, written in the same transaction as the business change that
 * caused it. `id` is the insertion order the relay publishes in.
 */
export const OutboxMessage = defineEntity({
  name: 'OutboxMessage',
  tableName: 'outbox_message',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    messageId: p.string().length(36).unique(),
    topic: p.string().length(200),
    messageKey: p.string().length(100).nullable(),
    type: p.string().length(100),
    body: p.text(),
    headers: p.json<Record<string, string>>().nullable(),
    createdAt: p.datetime(3),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime(3),
    lastError: p.string().length(1000).nullable(),
    sentAt: p.datetime(3).nullable(),
  },
});
export type OutboxMessageRow = InstanceType<typeof OutboxMessage.class>;
