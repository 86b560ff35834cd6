import { randomUUID } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { baseEnvSchema, parseEnv } from '#shared/config/env.ts';
import { createKafkajsClient } from '#shared/kafka/kafkajs-client.ts';
import { kafkaSecurityOf } from '#shared/kafka/kafka-security.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { summarize, type Summary } from './stats.ts';

export interface Floor {
  dbCommit: Summary;
  kafkaRoundTrip: Summary;
}

/**
 * This machine's floor, measured in the same run as the saga numbers: one MariaDB transaction with
 * one insert, committed; and one record produced (acks=all, idempotent, as the relay does) and
 * consumed back (as the services do). A saga is 7 commits and 6 such hops at least.
 */
export async function measureFloor(iterations = 200): Promise<Floor> {
  const env = parseEnv(baseEnvSchema);
  return { dbCommit: await dbCommitFloor(env, iterations), kafkaRoundTrip: await kafkaFloor(env, iterations) };
}

async function dbCommitFloor(env: ReturnType<typeof parseEnv<typeof baseEnvSchema>>, iterations: number): Promise<Summary> {
  const connection = await createConnection({ host: env.DB_HOST, port: env.DB_PORT, user: env.DB_USER, password: env.DB_PASSWORD });
  try {
    await connection.query('create database if not exists bench_floor');
    await connection.query('create table if not exists bench_floor.commit_probe (id bigint auto_increment primary key, v varchar(36) not null)');
    const samples: number[] = [];
    for (let i = 0; i < iterations + 20; i++) {
      const started = performance.now();
      await connection.query('begin');
      await connection.query('insert into bench_floor.commit_probe (v) values (?)', [randomUUID()]);
      await connection.query('commit');
      if (i >= 20) samples.push(performance.now() - started);
    }
    await connection.query('truncate table bench_floor.commit_probe');
    return summarize(samples);
  } finally {
    await connection.end();
  }
}

async function kafkaFloor(env: ReturnType<typeof parseEnv<typeof baseEnvSchema>>, iterations: number): Promise<Summary> {
  const logger = createLogger('floor', 'error');
  const kafka = createKafkajsClient({ clientId: 'floor', brokers: env.KAFKA_BROKERS, ...kafkaSecurityOf(env) }, logger);
  const admin = await kafka.admin();
  await admin.createTopics([{ name: 'bench-floor', partitions: 1, compacted: false }]);
  await admin.disconnect();
  const producer = await kafka.producer();
  const waiting = new Map<string, () => void>();
  const consumer = await kafka.consumer({ groupId: `floor-${randomUUID()}`, topics: ['bench-floor'], fromBeginning: false });
  await consumer.run(async (record) => {
    waiting.get(record.value?.toString() ?? '')?.();
  });
  try {
    const samples: number[] = [];
    for (let i = 0; i < iterations + 20; i++) {
      const id = randomUUID();
      const arrived = new Promise<void>((resolve) => waiting.set(id, resolve));
      const started = performance.now();
      await producer.send([{ topic: 'bench-floor', key: id, value: id }]);
      await arrived;
      waiting.delete(id);
      if (i >= 20) samples.push(performance.now() - started);
    }
    return summarize(samples);
  } finally {
    await consumer.stop();
    await producer.disconnect();
  }
}
