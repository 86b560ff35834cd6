import { defineEntity, p } from '@mikro-orm/core';
import type { SagaTimer } from '#statecharts/saga-types.ts';

/**
 * A deadline the saga set. The database row is the truth; the BullMQ delayed job only makes it
 * fire on time, and the sweep fires rows whose job was lost.
 */
export const SagaTimerRow = defineEntity({
  name: 'SagaTimerRow',
  tableName: 'saga_timer',
  primaryKeys: ['orderId', 'timer'],
  properties: {
    orderId: p.string().length(36).primary(),
    timer: p.string().length(20).primary().$type<SagaTimer>(),
    attempt: p.integer(),
    deadlineAt: p.datetime(3),
    createdAt: p.datetime(3),
  },
});
