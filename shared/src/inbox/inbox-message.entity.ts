import { defineEntity, p } from '@mikro-orm/core';

/** A consumed message id, committed with the handler's effects: a second delivery finds it and is skipped. */
export const InboxMessage = defineEntity({
  name: 'InboxMessage',
  tableName: 'inbox_message',
  properties: {
    messageId: p.string().length(36).primary(),
    topic: p.string().length(200),
    type: p.string().length(100),
    receivedAt: p.datetime(3),
  },
});
