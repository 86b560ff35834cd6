import type { Orm } from '#shared/db/orm.ts';
import type { KafkaProducer } from '#shared/kafka/kafka-client.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import { mayWrite, topicAccess } from '#shared/contracts/topic-access.ts';
import type { Topic } from '#shared/contracts/topics.ts';
import type { DeadLetterRow } from './dead-letter.entity.ts';
import { lockDeadLetter } from './dead-letter-store.ts';

export type RedriveResult =
  | { kind: 'redriven'; deadLetter: DeadLetterRow }
  | { kind: 'unknown' }
  | { kind: 'already-redriven'; deadLetter: DeadLetterRow }
  /** Its original topic is another service's: the broker lets only that service write it. */
  | { kind: 'not-ours'; deadLetter: DeadLetterRow; owner: string };

/** Marks where a redriven record came from; the dead-letter headers of its first failure are dropped. */
export const redrivenFromHeader = 'x-redriven-from';

/**
 * Publishes a dead letter's original key and value back to its original topic and marks it
 * REDRIVEN. The row stays locked while publishing, so two operators cannot redrive it twice; if
 * the commit fails after the publish, the record may go out again, which the consumers' inboxes
 * absorb (same message id).
 *
 * Only the order service's own topics (the two request topics) can be redriven from here: the
 * others (replies, the catalog) are written only by the service that owns them (Kafka ACLs), so
 * publishing them here would be a forgery the broker refuses. Such a dead letter stays NEW.
 */
export function createRedriveDeadLetter(deps: { orm: Orm; producer: KafkaProducer; clock: Clock }) {
  return async function redriveDeadLetter(id: number): Promise<RedriveResult> {
    return deps.orm.em.fork().transactional(async (em) => {
      const deadLetter = await lockDeadLetter(em, id);
      if (!deadLetter) return { kind: 'unknown' };
      if (deadLetter.status === 'REDRIVEN') return { kind: 'already-redriven', deadLetter };
      if (!mayWrite('order-service', deadLetter.originalTopic)) {
        return { kind: 'not-ours', deadLetter, owner: topicAccess[deadLetter.originalTopic as Topic]?.writer ?? 'no service' };
      }
      const headers = Object.fromEntries(Object.entries(deadLetter.headers).filter(([name]) => !name.startsWith('x-dlq-')));
      headers[redrivenFromHeader] = `${deadLetter.topic}/${deadLetter.partition}/${deadLetter.offset}`;
      await deps.producer.send([{ topic: deadLetter.originalTopic, key: deadLetter.key ?? null, value: deadLetter.value, headers }]);
      deadLetter.status = 'REDRIVEN';
      deadLetter.redrivenAt = deps.clock.now();
      await em.flush();
      return { kind: 'redriven', deadLetter };
    });
  };
}
