import type { Registry } from 'prom-client';
import type { ProductReservationRequest, ProductReservationResponse } from '#shared/contracts/product-reservation.ts';
import { topics } from '#shared/contracts/topics.ts';
import { commandRoute } from '#shared/inbox/command-route.ts';
import type { Route } from '#shared/inbox/route.ts';
import { counter } from '#shared/observability/metrics.ts';
import type { Outbox } from '#shared/outbox/outbox.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import { confirmStock } from './confirm-stock.ts';
import { releaseStock } from './release-stock.ts';
import { reserveStock } from './reserve-stock.ts';
import { loadOrders, lockProducts, saveStockBook, stockBookOf, type StockBook } from './stock-book.ts';
import type { StockDecision } from './stock-decision.ts';

type CommandType = ProductReservationRequest['type'];
type ReplyType = ProductReservationResponse['type'];

/** Which reply answers which command, when it was carried out and when it was refused. */
export const replyTypes = {
  ReserveStock: { done: 'StockReserved', refused: 'StockRejected' },
  ConfirmStock: { done: 'StockConfirmed', refused: 'StockConfirmRejected' },
  ReleaseStock: { done: 'StockReleased', refused: 'StockReleaseRefused' },
} as const satisfies Record<CommandType, { done: ReplyType; refused: ReplyType }>;

interface StockBatch {
  book: StockBook;
  now: Date;
  itemProductIds: string[];
}

function decide(book: StockBook, orderId: string, command: ProductReservationRequest, now: Date): StockDecision {
  switch (command.type) {
    case 'ReserveStock':
      return reserveStock(book, { orderId, items: command.payload.items }, now);
    case 'ConfirmStock':
      return confirmStock(book, { orderId }, now);
    case 'ReleaseStock':
      return releaseStock(book, { orderId, reason: command.payload.reason }, now);
  }
}

function replyOf(command: CommandType, decision: StockDecision): ProductReservationResponse {
  const replies = replyTypes[command];
  return (
    decision.ok ? { type: replies.done, payload: {} } : { type: replies.refused, payload: { code: decision.code, reason: decision.reason } }
  ) as ProductReservationResponse;
}

/**
 * The product service's part in the order saga: the commands on product-reservation-request, a
 * batch at a time — the batch's orders and products read and locked once, each command decided in
 * arrival order on them, every change written once — and each answered on
 * product-reservation-response in the same transaction (causation = the command, same order and
 * saga). Refusals are replies, not errors.
 */
export function stockCommandRoute(deps: { outbox: Outbox; clock: Clock; metrics: Registry }): Route {
  const handled = counter(deps.metrics, 'stock_commands_total', 'Stock commands by outcome', ['type', 'outcome']);
  return commandRoute<typeof topics.productReservationRequest, StockBatch, ProductReservationResponse>(
    topics.productReservationRequest,
    deps.outbox,
    {
      load: (commands) => loadOrders(commands.map((command) => command.orderId)),
      state: (loaded, commands) => ({
        book: stockBookOf(loaded),
        now: deps.clock.now(),
        itemProductIds: commands.flatMap((command) =>
          command.message.type === 'ReserveStock' ? command.message.payload.items.map((item) => item.productId) : [],
        ),
      }),
      prepare: (batch, tx) => lockProducts(batch.book, batch.itemProductIds, tx),
      decide: (command, batch) => replyOf(command.message.type, decide(batch.book, command.orderId, command.message, batch.now)),
      save: (batch, tx) => saveStockBook(batch.book, tx, batch.now),
      onDecided: (command, reply) => handled.inc({ type: command.message.type, outcome: 'code' in reply.payload ? reply.payload.code : 'done' }),
    },
  );
}
