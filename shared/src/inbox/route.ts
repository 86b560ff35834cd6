import type { z } from 'zod';
import type { Envelope } from '../contracts/envelope.ts';
import { messageFamilyByTopic, type MessageOnTopic } from '../contracts/families.ts';
import type { Topic } from '../contracts/topics.ts';
import type { Statement } from '../db/sql-pool.ts';
import type { SqlTransaction } from '../db/sql-transaction.ts';
import type { IncomingRecord } from '../kafka/kafka-client.ts';
import type { Logger } from '../observability/logger.ts';

/** A consumed message, validated against its topic's family. */
export interface Inbound<TMessage = unknown> {
  envelope: Envelope;
  message: TMessage;
  record: IncomingRecord;
  /** The traceparent of this message's consume span (null when tracing is off): what it causes continues it. */
  traceparent: string | null;
  /** A logger naming the message (created on first use). */
  readonly logger: Logger;
}

export interface BatchContext {
  /** The batch's transaction: the inbox rows and everything the handler writes commit together. */
  tx: SqlTransaction;
  /**
   * Refuses one message for good (e.g. a reply for an order this service does not know): it goes to
   * the dead-letter topic with this reason once the batch committed, and is not recorded as handled,
   * so a redriven copy is handled again. The rest of the batch goes on.
   */
  refuse: (message: Inbound, reason: string) => void;
  logger: Logger;
}

/**
 * How a service handles one topic: `load` names the reads its decisions need (sent in the batch's
 * first round trip, together with the inbox lookup, so locks are taken and rows read at once), and
 * `handle` decides the batch's new messages in offset order inside the batch's transaction.
 */
export interface Route<T extends Topic = Topic> {
  topic: T;
  schema: z.ZodType;
  load?(messages: readonly Inbound<MessageOnTopic<T>>[]): Statement[];
  /** `loaded`: one result per statement of `load` (rows for a SELECT). */
  handle(messages: readonly Inbound<MessageOnTopic<T>>[], loaded: unknown[], context: BatchContext): Promise<void>;
}

/** A batch route for `topic`. */
export function batchRoute<T extends Topic>(topic: T, spec: Pick<Route<T>, 'load' | 'handle'>): Route<T> {
  return { topic, schema: messageFamilyByTopic[topic], ...spec };
}

export interface MessageContext extends BatchContext {
  envelope: Envelope;
  record: IncomingRecord;
  inbound: Inbound;
}

/** A route whose handler takes one message at a time (inside the batch's transaction): for low-volume topics. */
export function route<T extends Topic>(topic: T, handle: (message: MessageOnTopic<T>, context: MessageContext) => Promise<void>): Route<T> {
  return batchRoute(topic, {
    async handle(messages, _loaded, context) {
      for (const inbound of messages) {
        await handle(inbound.message, { ...context, envelope: inbound.envelope, record: inbound.record, inbound, logger: inbound.logger });
      }
    },
  });
}
