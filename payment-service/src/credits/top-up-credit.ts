import { LockMode } from '@mikro-orm/core';
import type { Orm } from '#shared/db/orm.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import { appendToLedger, CreditHistory, type CreditHistoryRow } from './credit-history.entity.ts';
import { CustomerCredit, maxBalance } from './customer-credit.entity.ts';

/** The most one top-up may add (KRW). */
export const maxTopUp = 100_000_000;

export interface TopUpRequest {
  customerId: string;
  amount: number;
  /** Same key, same amount → the first top-up is answered again; nothing is added twice. */
  idempotencyKey: string | null;
  /** The operator who asks (their admin token's subject), recorded on the ledger row. */
  actor: string;
}

export type TopUpOutcome =
  | { kind: 'toppedUp'; entry: CreditHistoryRow; replayed: boolean }
  | { kind: 'unknownCustomer' }
  | { kind: 'balanceLimitExceeded'; balance: number; limit: number }
  | { kind: 'idempotencyKeyReused'; firstAmount: number };

/** Admin top-up: adds credit with a TOP_UP ledger row, under the credit row's lock. */
export function createTopUpCredit(deps: { orm: Orm; clock: Clock }) {
  return function topUpCredit(request: TopUpRequest): Promise<TopUpOutcome> {
    return deps.orm.em.fork().transactional(async (em): Promise<TopUpOutcome> => {
      const credit = await em.findOne(CustomerCredit, request.customerId, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!credit) return { kind: 'unknownCustomer' };
      if (request.idempotencyKey) {
        // Under the credit row's lock, so a retry racing its original waits and then finds it.
        const first = await em.findOne(CreditHistory, { customerId: credit.customerId, idempotencyKey: request.idempotencyKey });
        if (first) {
          return first.amount === request.amount
            ? { kind: 'toppedUp', entry: first, replayed: true }
            : { kind: 'idempotencyKeyReused', firstAmount: first.amount };
        }
      }
      if (!credit.canReceive(request.amount)) return { kind: 'balanceLimitExceeded', balance: credit.balance, limit: maxBalance };
      const entry = appendToLedger(em, credit.topUp(request.amount, request.idempotencyKey, deps.clock.now()));
      entry.actor = request.actor;
      return { kind: 'toppedUp', entry, replayed: false };
    });
  };
}
