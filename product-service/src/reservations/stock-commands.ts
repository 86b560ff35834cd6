import type { Registry } from 'prom-client';
import type { ProductReservationRequest, ProductReservationResponse } from '#shared/contracts/product-reservation.ts';
import { topics } from '#shared/contracts/topics.ts';
import type { Em } from '#shared/db/orm.ts';
import { PoisonMessageError } from '#shared/db/retryable-errors.ts';
import { route, type Route } from '#shared/inbox/message-consumer.ts';
import { counter } from '#shared/observability/metrics.ts';
import type { Outbox } from '#shared/outbox/outbox.ts';
import type { OutboxRelay } from '#shared/outbox/outbox-relay.ts';
import type { ConfirmStock } from './confirm-stock.ts';
import type { ReleaseStock } from './release-stock.ts';
import type { ReserveStock } from './reserve-stock.ts';
import type { StockDecision, WriteReply } from './stock-decision.ts';

type CommandType = ProductReservationRequest['type'];
type ReplyType = ProductReservationResponse['type'];

/** Which reply answers which command, when it was carried out and when it was refused. */
export const replyTypes = {
  ReserveStock: { done: 'StockReserved', refused: 'StockRejected' },
  ConfirmStock: { done: 'StockConfirmed', refused: 'StockConfirmRejected' },
  ReleaseStock: { done: 'StockReleased', refused: 'StockReleaseRefused' },
} as const satisfies Record<CommandType, { done: ReplyType; refused: ReplyType }>;

export interface StockCommandDeps {
  reserveStock: ReserveStock;
  confirmStock: ConfirmStock;
  releaseStock: ReleaseStock;
  outbox: Outbox;
  relay: OutboxRelay;
  metrics: Registry;
}

/**
 * The product service's part in the order saga: each command on product-reservation-request is
 * carried out and answered on product-reservation-response in the same transaction as its inbox row
 * (causation = the command, same order and saga). Refusals are replies, not errors.
 */
export function stockCommandRoute(deps: StockCommandDeps): Route {
  const handled = counter(deps.metrics, 'stock_commands_total', 'Stock commands by outcome', ['type', 'outcome']);

  function decide(em: Em, orderId: string, command: ProductReservationRequest, reply: WriteReply): Promise<StockDecision> {
    switch (command.type) {
      case 'ReserveStock':
        return deps.reserveStock(em, { orderId, items: command.payload.items }, reply);
      case 'ConfirmStock':
        return deps.confirmStock(em, { orderId }, reply);
      case 'ReleaseStock':
        return deps.releaseStock(em, { orderId, reason: command.payload.reason }, reply);
    }
  }

  return route(topics.productReservationRequest, async (command, { em, envelope, afterCommit }) => {
    // The envelope schema allows a null order id (catalog events have none); a stock command without
    // one can never be answered, so it goes straight to the dead-letter topic.
    const orderId = envelope.orderId;
    if (!orderId) throw new PoisonMessageError(`${command.type} ${envelope.messageId} carries no order id`);
    const replies = replyTypes[command.type];
    let replied = null as StockDecision | null;
    // The use case writes the reply itself, before it touches product rows (see WriteReply).
    const reply: WriteReply = async (replyEm, decision) => {
      deps.outbox.add(replyEm, {
        type: decision.ok ? replies.done : replies.refused,
        orderId,
        sagaId: envelope.sagaId,
        causationId: envelope.messageId,
        payload: decision.ok ? {} : { code: decision.code, reason: decision.reason },
      });
      await replyEm.flush();
      replied = decision;
    };
    const decision = await decide(em, orderId, command, reply);
    if (replied !== decision) throw new Error(`bug: ${command.type} for order ${orderId} did not reply with its decision`);
    afterCommit(() => {
      handled.inc({ type: command.type, outcome: decision.ok ? 'done' : decision.code });
      deps.relay.nudge();
    });
  });
}
