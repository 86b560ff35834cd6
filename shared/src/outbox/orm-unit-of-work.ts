import type { Envelope } from '../contracts/envelope.ts';
import type { MessageType } from '../contracts/families.ts';
import type { Em, Orm } from '../db/orm.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Ids } from '../runtime/ids.ts';
import { pendingRowOf, type NewMessage } from './outbox.ts';
import { OutboxMessage } from './outbox-message.entity.ts';
import type { OutboxRelay } from './outbox-relay.ts';

/** Queues a message in the unit of work at hand; it is published if and only if the transaction commits. */
export type Publish = <T extends MessageType>(message: NewMessage<T>) => Envelope;

export interface OrmUnitOfWork {
  /** Runs `work` in an ORM transaction; messages it publishes go out right after the commit. */
  run<T>(work: (em: Em, publish: Publish) => Promise<T>): Promise<T>;
}

/**
 * The outbox for the writes that go through the ORM (catalog and admin changes, not the hot path):
 * the rows join the entity changes in the unit of work, are claimable at once, and the relay is
 * told to publish them as soon as the transaction committed.
 */
export function createOrmUnitOfWork(deps: { orm: Orm; ids: Ids; clock: Clock; relay: OutboxRelay }): OrmUnitOfWork {
  return {
    async run(work) {
      let published = 0;
      const result = await deps.orm.em.fork().transactional((em) =>
        work(em, (message) => {
          const row = pendingRowOf(message, deps);
          em.create(OutboxMessage, {
            messageId: row.messageId,
            topic: row.topic,
            messageKey: row.key,
            type: row.type,
            body: row.body,
            headers: row.headers,
            createdAt: row.createdAt,
            attempts: 0,
            nextAttemptAt: row.createdAt,
            lastError: null,
            sentAt: null,
          });
          published++;
          return row.envelope;
        }),
      );
      if (published > 0) deps.relay.nudge();
      return result;
    },
  };
}
