import { LockMode } from '@mikro-orm/core';
import type { Orm } from '#shared/db/orm.ts';
import type { KafkaProducer } from '#shared/kafka/kafka-client.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import { DeadLetter, type DeadLetterRow } from './dead-letter.entity.ts';

export type RedriveResult =
  | { kind: 'redriven'; deadLetter: DeadLetterRow }
  | { kind: 'unknown' }
  | { kind: 'already-redriven'; deadLetter: DeadLetterRow };

/** Marks where a redriven record came from; the dead-letter headers of its first failure are dropped. */
export const redrivenFromHeader = 'x-redriven-from';

/**
 * Publishes a dead letter's original key and value back to its original topic and marks it
 * REDRIVEN. The row stays locked while publishing, so two operators cannot redrive it twice; if
 * the commit fails after the publish, the record may go out again, which the consumers' inboxes
 * absorb (same message id).
 */
export function createRedriveDeadLetter(deps: { orm: Orm; producer: KafkaProducer; clock: Clock }) {
  return async function redriveDeadLetter(id: number): Promise<RedriveResult> {
    return deps.orm.em.fork().transactional(async (em) => {
      const deadLetter = await em.findOne(DeadLetter, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!deadLetter) return { kind: 'unknown' };
      if (deadLetter.status === 'REDRIVEN') return { kind: 'already-redriven', deadLetter };
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
