import { defineEntity, p } from '@mikro-orm/core';
import type { SagaEffect } from '#statecharts/saga-effects.ts';

export type SagaEventSource = 'http' | 'kafka' | 'timer' | 'operator';

/** One handled event of one order's saga: the history that timelines, audits and replays read. */
export const SagaEvent = defineEntity({
  name: 'SagaEvent',
  tableName: 'saga_event',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    orderId: p.string().length(36),
    sequence: p.integer(),
    eventType: p.string().length(60),
    event: p.json<Record<string, unknown>>(),
    source: p.string().length(20).$type<SagaEventSource>(),
    messageId: p.string().length(36).nullable(),
    /** Who asked, for an operator's event (the subject of their admin token); null for every other source. */
    actor: p.string().length(64).nullable(),
    stateBefore: p.string().length(60).nullable(),
    stateAfter: p.string().length(60),
    effects: p.json<SagaEffect[]>(),
    changed: p.boolean(),
    machineVersion: p.string().length(20),
    occurredAt: p.datetime(3),
  },
});

export type StoredSagaEvent = InstanceType<typeof SagaEvent.class>;
