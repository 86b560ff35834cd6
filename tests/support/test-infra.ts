import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { baseEnvSchema, parseEnv, type BaseEnv } from '#shared/config/env.ts';
import { topicLayout } from '#shared/contracts/topics.ts';
import { createKafkajsClient } from '#shared/kafka/kafkajs-client.ts';
import { kafkaSecurityOf } from '#shared/kafka/kafka-security.ts';
import type { KafkaClient } from '#shared/kafka/kafka-client.ts';
import { createLogger } from '#shared/observability/logger.ts';

export const testEnv: BaseEnv = parseEnv(baseEnvSchema, { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });

export const testLogger = createLogger('test');

/** TLS and SASL of the tests' own Kafka clients: the admin principal (tests/kafka-credentials.setup.ts). */
export const testKafkaSecurity = kafkaSecurityOf(testEnv);

/** Drops and re-creates a database so every test file starts from an empty schema. */
export async function freshDatabase(name: string): Promise<void> {
  const connection = await createConnection({
    host: testEnv.DB_HOST,
    port: testEnv.DB_PORT,
    user: testEnv.DB_USER,
    password: testEnv.DB_PASSWORD,
  });
  try {
    await connection.query(`drop database if exists \`${name}\``);
    await connection.query(`create database \`${name}\` character set utf8mb4`);
  } finally {
    await connection.end();
  }
}

export function testKafka(clientId = 'test'): KafkaClient {
  return createKafkajsClient({ clientId, brokers: testEnv.KAFKA_BROKERS, ...testKafkaSecurity }, testLogger);
}

/** Polls until the check passes or the timeout is reached; returns the last value. */
export async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!accept(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    value = await probe();
  }
  return value;
}

/** A port nothing listens on right now (the OS picks it), for a server a test starts. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** After a test of its own topics and queue prefix: the topics deleted, the queue keys gone. */
export async function dropTopicsAndQueues(kafka: KafkaClient, queuePrefix: string): Promise<void> {
  const admin = await kafka.admin();
  await admin.deleteTopics(topicLayout.map((topic) => topic.name)).catch(() => {});
  await admin.disconnect();
  const redis = new Redis(testEnv.REDIS_URL);
  const keys = await redis.keys(`${queuePrefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
