import type { MessageOnTopic, MessageType, PayloadOf } from '../contracts/families.ts';
import type { Topic } from '../contracts/topics.ts';
import type { Statement } from '../db/sql-pool.ts';
import type { SqlTransaction } from '../db/sql-transaction.ts';
import type { Outbox } from '../outbox/outbox.ts';
import { batchRoute, type Inbound, type Route } from './route.ts';

/** The answer to a command: a message of the service's reply topic. */
export type Reply<T extends MessageType = MessageType> = { [K in T]: { type: K; payload: PayloadOf<K> } }[T];

/** A command that names its order (a command without one can never be answered and is refused). */
export type Command<TMessage> = Inbound<TMessage> & { orderId: string };

/**
 * A participant's part in the saga, for one command topic: how a batch of commands is turned into
 * replies. The state the commands act on (e.g. products and their reservations) is read and locked
 * once for the whole batch, each command is decided on it in memory in arrival order (so a hot row
 * is locked once and decided order by order, and the decisions see each other), and what changed
 * is written once, with the commit.
 */
export interface CommandHandling<T extends Topic, TState, TReply extends Reply> {
  /** Reads (and locks) the rows the batch's commands act on; sent with the inbox lookup. */
  load(commands: readonly Command<MessageOnTopic<T>>[]): Statement[];
  /** The aggregates those rows make. `loaded`: one result per statement of `load`. */
  state(loaded: unknown[], commands: readonly Command<MessageOnTopic<T>>[]): TState;
  /** Completes the state when part of it can only be read once the first reads are in (a second round trip). */
  prepare?(state: TState, tx: SqlTransaction): Promise<void>;
  /** Decides one command on the current state (and changes it); business refusals are replies too. */
  decide(command: Command<MessageOnTopic<T>>, state: TState): TReply;
  /** Writes what the batch changed; runs once, after every command was decided. */
  save(state: TState, tx: SqlTransaction): void;
  /** Told about each decision once the batch committed (metrics). */
  onDecided?: (command: Command<MessageOnTopic<T>>, reply: TReply) => void;
}

/**
 * A batch-aware command → reply route. Each reply goes into the outbox of the batch's transaction
 * (same order and saga, caused by the command, continuing its trace) and is published when the
 * transaction commits — nobody nudges anything by hand.
 */
export function commandRoute<T extends Topic, TState, TReply extends Reply>(
  topic: T,
  outbox: Outbox,
  handling: CommandHandling<T, TState, TReply>,
): Route<T> {
  const commandsOf = (messages: readonly Inbound<MessageOnTopic<T>>[]) =>
    messages
      .filter((message): message is Command<MessageOnTopic<T>> => message.envelope.orderId !== null)
      .map((message) => {
        (message as Command<MessageOnTopic<T>>).orderId = message.envelope.orderId!;
        return message as Command<MessageOnTopic<T>>;
      });
  return batchRoute(topic, {
    load: (messages) => {
      const commands = commandsOf(messages);
      return commands.length > 0 ? handling.load(commands) : [];
    },
    async handle(messages, loaded, { tx, refuse }) {
      for (const message of messages) {
        if (message.envelope.orderId === null) refuse(message, `${message.envelope.type} ${message.envelope.messageId} carries no order id`);
      }
      const commands = commandsOf(messages);
      if (commands.length === 0) return;
      const state = handling.state(loaded, commands);
      await handling.prepare?.(state, tx);
      const decided: [Command<MessageOnTopic<T>>, TReply][] = [];
      for (const command of commands) {
        const reply = handling.decide(command, state);
        outbox.add(tx, {
          type: reply.type,
          payload: reply.payload,
          orderId: command.orderId,
          sagaId: command.envelope.sagaId ?? command.orderId,
          causationId: command.envelope.messageId,
          traceparent: command.traceparent ?? undefined,
        } as Parameters<Outbox['add']>[1]);
        decided.push([command, reply]);
      }
      handling.save(state, tx);
      const { onDecided } = handling;
      if (onDecided) tx.afterCommit(() => decided.forEach(([command, reply]) => onDecided(command, reply)));
    },
  });
}
