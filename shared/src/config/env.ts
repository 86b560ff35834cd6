import { z } from 'zod';

const intFromEnv = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

/** What every service reads from the environment, parsed once at start-up. */
export const baseEnvSchema = z.object({
  DB_DRIVER: z.enum(['mariadb', 'mysql']).default('mariadb'),
  DB_HOST: z.string().default('127.0.0.1'),
  DB_PORT: intFromEnv(3306),
  DB_USER: z.string().default('root'),
  DB_PASSWORD: z.string().default(''),
  DB_POOL_MAX: intFromEnv(24),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((value) =>
      value
        .split(',')
        .map((broker) => broker.trim())
        .filter(Boolean),
    ),
  KAFKA_SSL: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.string().default('info'),
  /** Consumer group of the service's saga handlers; defaults to the service name. Tests use their own. */
  KAFKA_GROUP_ID: z.string().optional(),
  /** Where a consumer group with no committed offset starts: every record (default) or only new ones. */
  KAFKA_NEW_GROUP_FROM: z.enum(['earliest', 'latest']).default('earliest'),
  /** Prefix of every topic name (isolated environments on one broker, e.g. an e2e run). */
  KAFKA_TOPIC_PREFIX: z
    .string()
    .max(100)
    .regex(/^[A-Za-z0-9._-]*$/)
    .default(''),
  /** BullMQ key prefix in Redis (isolated environments on one Redis). */
  QUEUE_PREFIX: z
    .string()
    .max(100)
    .regex(/^[A-Za-z0-9._-]+$/)
    .default('bull'),
  /** Distinguishes replicas of one service (Kafka client id, logs). */
  INSTANCE_ID: z.string().default(String(process.pid)),
});

export type BaseEnv = z.infer<typeof baseEnvSchema>;

/** Parse the environment with a service's own schema; a bad variable stops the process with a clear message. */
export function parseEnv<TSchema extends z.ZodType>(schema: TSchema, source = process.env): z.infer<TSchema> {
  const result = schema.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`invalid environment: ${problems}`);
  }
  return result.data;
}
