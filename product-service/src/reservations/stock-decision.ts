import type { StockRejectionCode } from '#shared/contracts/product-reservation.ts';
import { reason as reasonSchema } from '#shared/contracts/envelope.ts';

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

const maxReasonLength = reasonSchema.maxLength ?? 500;

export function refuse(code: StockRejectionCode, reason: string): Refusal {
  return { ok: false, code, reason: reason.slice(0, maxReasonLength) };
}

export function decisionOf(transition: Transition): StockDecision {
  return transition.ok ? accepted : transition;
}
