import { defineEntity, p } from '@mikro-orm/core';
import type { Em } from '#shared/db/orm.ts';
import type { LedgerEntryDraft, LedgerKind } from './customer-credit.entity.ts';

/**
 * The append-only credit ledger (table `credit_history`). Rows are inserted, never updated or
 * deleted; `id` is the order they happened in.
 */
export const CreditHistory = defineEntity({
  name: 'CreditHistory',
  tableName: 'credit_history',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    customerId: p.string().length(36),
    orderId: p.string().length(36).nullable(),
    kind: p.string().length(10).$type<LedgerKind>(),
    amount: p.bigint('number'),
    balanceAfter: p.bigint('number'),
    idempotencyKey: p.string().length(100).nullable(),
    /** The operator who topped up (null: a movement of the saga). */
    actor: p.string().length(64).nullable(),
    createdAt: p.datetime(3),
  },
});
export type CreditHistoryRow = InstanceType<typeof CreditHistory.class>;

/** Queues a movement's ledger row in the caller's unit of work. */
export function appendToLedger(em: Em, entry: LedgerEntryDraft): CreditHistoryRow {
  return em.create(CreditHistory, entry);
}
