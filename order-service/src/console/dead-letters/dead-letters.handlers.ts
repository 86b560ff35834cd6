import type { RouteHandler } from '@hono/zod-openapi';
import type { Orm } from '#shared/db/orm.ts';
import { conflict, notFound } from '#shared/http/problem.ts';
import { deadLetterTopicOf, isDeadLetterTopic } from '#shared/contracts/topics.ts';
import type { DeadLetterRow } from './dead-letter.entity.ts';
import { findDeadLetterPage } from './dead-letter-store.ts';
import type * as routes from './dead-letters.routes.ts';
import type { createRedriveDeadLetter } from './redrive-dead-letter.ts';

export const deadLetterView = (row: DeadLetterRow) => ({
  id: row.id,
  topic: row.topic,
  partition: row.partition,
  offset: row.offset,
  key: row.key ?? null,
  value: row.value,
  headers: row.headers,
  reason: row.reason,
  originalTopic: row.originalTopic,
  originalPartition: row.originalPartition ?? null,
  originalOffset: row.originalOffset ?? null,
  consumerGroup: row.consumerGroup ?? null,
  failedAt: row.failedAt.toISOString(),
  receivedAt: row.receivedAt.toISOString(),
  status: row.status,
  redrivenAt: row.redrivenAt?.toISOString() ?? null,
});

export interface DeadLetterHandlerDeps {
  orm: Orm;
  redriveDeadLetter: ReturnType<typeof createRedriveDeadLetter>;
}

export function createDeadLetterHandlers(deps: DeadLetterHandlerDeps) {
  const listDeadLetters: RouteHandler<typeof routes.listDeadLetters> = async (c) => {
    const { topic, status, page, size } = c.req.valid('query');
    const deadLetterTopic = topic === undefined ? undefined : isDeadLetterTopic(topic) ? topic : deadLetterTopicOf(topic);
    const { rows, total } = await findDeadLetterPage(deps.orm.em, { topic: deadLetterTopic, status, page, size });
    return c.json({ items: rows.map(deadLetterView), page, size, total }, 200);
  };

  const redriveDeadLetter: RouteHandler<typeof routes.redriveDeadLetter> = async (c) => {
    const result = await deps.redriveDeadLetter(c.req.valid('param').id);
    if (result.kind === 'unknown') throw notFound('dead letter');
    if (result.kind === 'already-redriven') {
      throw conflict(`dead letter ${result.deadLetter.id} was already redriven at ${result.deadLetter.redrivenAt?.toISOString()}`);
    }
    if (result.kind === 'not-ours') {
      throw conflict(
        `dead letter ${result.deadLetter.id} is a record of ${result.deadLetter.originalTopic}, which only ${result.owner} may write (Kafka ACLs): the order service cannot publish it again`,
      );
    }
    return c.json(deadLetterView(result.deadLetter), 200);
  };

  return { listDeadLetters, redriveDeadLetter };
}
