import type { Em } from '#shared/db/orm.ts';
import { settleOrder, type KnownOrder } from './order-records.ts';
import type { StockMove } from './product-stock.ts';
import { decisionOf, type StockDecision, type Transition, type WriteReply } from './stock-decision.ts';

export type MoveUnits = (em: Em, moves: readonly StockMove[], now: Date) => Promise<void>;

/**
 * Carries out a confirm or a release of a known order and replies. When the transition moves stock,
 * the order's record and lines are written first, then the reply, and the product rows last, right
 * before COMMIT: a product row stays locked from its UPDATE to COMMIT, and other orders queue for it.
 */
export async function settle(
  em: Em,
  order: KnownOrder,
  transition: Transition,
  moveUnits: MoveUnits,
  reply: WriteReply,
  now: Date,
): Promise<StockDecision> {
  const decision = decisionOf(transition);
  const movesStock = transition.ok && transition.changed;
  if (movesStock) await settleOrder(em, order);
  await reply(em, decision);
  if (movesStock) await moveUnits(em, order.reservedLines, now);
  return decision;
}
