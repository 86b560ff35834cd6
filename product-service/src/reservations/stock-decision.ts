import type { StockRejectionCode } from '#shared/contracts/product-reservation.ts';
import { reason as reasonSchema } from '#shared/contracts/envelope.ts';
import type { Em } from '#shared/db/orm.ts';

/** A business refusal: travels back to the saga as a reply with this code and reason. */
export interface Refusal {
  ok: false;
  code: StockRejectionCode;
  reason: string;
}

/** What a stock command decided: done (or already done), or refused with a code and a reason. */
export type StockDecision = { ok: true } | Refusal;

/** A status change on an order's stock: allowed (and whether stock has to move now), or refused. */
export type Transition = { ok: true; changed: boolean } | Refusal;

export const accepted: StockDecision = { ok: true };

/**
 * Writes the reply to the command being handled (its outbox row) into the transaction of `em`, at
 * once. A stock command calls it before it touches any product row, so the product row locks are
 * the last ones its transaction takes (see product-stock.ts).
 */
export type WriteReply = (em: Em, decision: StockDecision) => Promise<void>;

const maxReasonLength = reasonSchema.maxLength ?? 500;

export function refuse(code: StockRejectionCode, reason: string): Refusal {
  return { ok: false, code, reason: reason.slice(0, maxReasonLength) };
}

export function decisionOf(transition: Transition): StockDecision {
  return transition.ok ? accepted : transition;
}
