// Every query on `dead_letter`: the collector's idempotent insert, the operators' list and count,
// and the row a redrive locks. The dead letters' one repository.
import { LockMode } from '@mikro-orm/core';
import type { Em } from '#shared/db/orm.ts';
import { DeadLetter, type DeadLetterRow } from './dead-letter.entity.ts';

export interface DeadLetterRecordFields {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
  reason: string;
  originalTopic: string;
  originalPartition: number | null;
  originalOffset: string | null;
  consumerGroup: string | null;
  failedAt: Date;
  receivedAt: Date;
}

/** Stores a dead letter as NEW; a record stored before (same topic, partition, offset) is left as it is. */
export async function storeDeadLetter(em: Em, row: DeadLetterRecordFields): Promise<void> {
  await em.fork().execute(
    `insert into dead_letter (topic, kafka_partition, kafka_offset, message_key, value, headers, reason, original_topic,
       original_partition, original_offset, consumer_group, failed_at, received_at, status)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'NEW')
     on duplicate key update id = id`,
    [
      row.topic,
      row.partition,
      row.offset,
      row.key,
      row.value,
      JSON.stringify(row.headers),
      row.reason,
      row.originalTopic,
      row.originalPartition,
      row.originalOffset,
      row.consumerGroup,
      row.failedAt,
      row.receivedAt,
    ],
    'run',
  );
}

export async function findDeadLetterPage(
  em: Em,
  query: { topic?: string; status?: DeadLetterRow['status']; page: number; size: number },
): Promise<{ rows: DeadLetterRow[]; total: number }> {
  const where = { ...(query.topic ? { topic: query.topic } : {}), ...(query.status ? { status: query.status } : {}) };
  const [rows, total] = await em
    .fork()
    .findAndCount(DeadLetter, where, { orderBy: { id: 'desc' }, limit: query.size, offset: query.page * query.size });
  return { rows, total };
}

export async function countNewDeadLetters(em: Em): Promise<number> {
  const [row] = await em.fork().execute<{ n: number | string }[]>("select count(*) as n from dead_letter where status = 'NEW'");
  return Number(row?.n ?? 0);
}

/** The dead letter, locked for the rest of `tx` (a redrive marks it once). */
export function lockDeadLetter(tx: Em, id: number): Promise<DeadLetterRow | null> {
  return tx.findOne(DeadLetter, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
}
