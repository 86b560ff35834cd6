import type { Em } from '#shared/db/orm.ts';

/**
 * Queues the reply to a saga command in the caller's unit of work (the outbox: published if and
 * only if the transaction commits). The handler builds the reply from the use case's outcome.
 */
export type Answer<TOutcome> = (outcome: TOutcome) => void;

/**
 * Queues the reply for `outcome` and writes it at once, so a use case has its reply in the database
 * before it goes on to lock the customer's credit row (see balance-moves.ts). Returns `outcome`.
 */
export async function answered<TOutcome>(em: Em, answer: Answer<TOutcome>, outcome: TOutcome): Promise<TOutcome> {
  answer(outcome);
  await em.flush();
  return outcome;
}
