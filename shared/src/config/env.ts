import { z } from 'zod';
import { describeEnvIssues } from './env-issues.ts';

const intFromEnv = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

/** pino's levels; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** What every service reads from the environment, parsed once at start-up. */
export const baseEnvSchema = z.object({
  NODE_ENV: z
    .string()
    .optional()
    .describe(
      'production: the service refuses to start with AUTH_MODE=off, an empty or default password, or Kafka without credentials, and the demo customers get no password (docs/security.md).',
    ),
  DB_DRIVER: z.enum(['mariadb', 'mysql']).default('mariadb').describe('Database driver: MariaDB locally, MySQL 8 in compose (infra/compose.yaml).'),
  DB_HOST: z.string().default('127.0.0.1').describe('Database server host.'),
  DB_PORT: intFromEnv(3306).describe('Database server port.'),
  DB_SOCKET: z
    .string()
    .optional()
    .describe(
      'Unix socket of a database server on the same machine (e.g. /run/mysqld/mysqld.sock); when set, the message handlers connect through it instead of DB_HOST:DB_PORT (cheaper round trips).',
    ),
  DB_USER: z.string().default('root').describe('Database user (it creates and migrates its database).'),
  DB_PASSWORD: z.string().default('').describe('Database password.'),
  DB_POOL_MAX: intFromEnv(24).describe("Connections in this process's pool; all replicas together must stay below the server's max_connections."),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .describe('Kafka bootstrap brokers, comma separated (host:port,host:port).')
    .transform((value) =>
      value
        .split(',')
        .map((broker) => broker.trim())
        .filter(Boolean),
    ),
  KAFKA_SSL: z
    .enum(['true', 'false'])
    .default('false')
    .describe('TLS to the brokers.')
    .transform((value) => value === 'true'),
  KAFKA_SASL_MECHANISM: z
    .enum(['plain', 'scram-sha-256', 'scram-sha-512'])
    .optional()
    .describe('SASL mechanism; with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (all three or none).'),
  KAFKA_SASL_USERNAME: z.string().optional().describe('SASL user name.'),
  KAFKA_SASL_PASSWORD: z.string().optional().describe('SASL password.'),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379').describe('Redis for the BullMQ timer and sweep jobs.'),
  HOST: z.string().default('127.0.0.1').describe('Address the HTTP server listens on (0.0.0.0 in containers).'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info').describe('Least level logged.'),
  LOG_FORMAT: z
    .enum(['json', 'pretty'])
    .default('json')
    .describe('json: one JSON object per line, for machines; pretty: coloured lines for a person at a terminal (pino-pretty).'),
  KAFKA_GROUP_ID: z.string().optional().describe("Consumer group of the service's saga handlers (default: the service name). Tests use their own."),
  KAFKA_NEW_GROUP_FROM: z
    .enum(['earliest', 'latest'])
    .default('earliest')
    .describe('Where a consumer group with no committed offset starts: every record or only new ones.'),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .max(100)
    .regex(/^[A-Za-z0-9._-]*$/)
    .default('')
    .describe('Prefix of every topic name (isolated environments on one broker, e.g. an e2e run).'),
  QUEUE_PREFIX: z
    .string()
    .max(100)
    .regex(/^[A-Za-z0-9._-]+$/)
    .default('bull')
    .describe('BullMQ key prefix in Redis (isolated environments on one Redis).'),
  SHUTDOWN_DRAIN_MS: intFromEnv(10_000).describe(
    'On SIGTERM, how long requests in flight may take to finish (no new connections are taken meanwhile) before the remaining connections are closed.',
  ),
  OUTBOX_RETENTION_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(3_600_000)
    .describe(
      "How long a sent outbox row is kept (unsent rows always stay); older ones are deleted every quarter of this, at most every minute. Keep it above the longest saga deadline: a firing timer reads its command's row to tell a late send.",
    ),
  INBOX_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .default(7)
    .describe(
      'Days a consumed message id stays in the inbox: a redelivery within them is skipped. Older rows are deleted in small chunks every 10 minutes.',
    ),
  INBOX_RETENTION_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .optional()
    .describe(
      'The inbox retention in milliseconds instead of INBOX_RETENTION_DAYS (not both), for windows shorter than a day (a soak); the cleanup then runs every quarter of it, at most every 10 minutes. A redelivery older than this is handled again.',
    ),
  INSTANCE_ID: z
    .string()
    .default(String(process.pid))
    .meta({ description: 'Tells replicas of one service apart (Kafka client id, logs).', 'x-default': 'the process id' }),
});

export type BaseEnv = z.infer<typeof baseEnvSchema>;

/** Variables that say one thing two ways: a service refuses to start with both of a pair set (settingsProblems). */
export const EXCLUSIVE_SETTINGS: readonly (readonly [string, string])[] = [['INBOX_RETENTION_DAYS', 'INBOX_RETENTION_MS']];

/** One problem per pair of EXCLUSIVE_SETTINGS both set in `source`. */
export const exclusiveSettingProblems = (source: Record<string, string | undefined>): string[] =>
  EXCLUSIVE_SETTINGS.filter(([a, b]) => source[a] !== undefined && source[b] !== undefined).map(
    ([a, b]) => `${a} and ${b}: set one of them, not both`,
  );

/** How long the inbox keeps a consumed message id: INBOX_RETENTION_MS, else INBOX_RETENTION_DAYS. */
export const inboxRetentionMsOf = (env: Pick<BaseEnv, 'INBOX_RETENTION_DAYS' | 'INBOX_RETENTION_MS'>): number =>
  env.INBOX_RETENTION_MS ?? env.INBOX_RETENTION_DAYS * 24 * 60 * 60 * 1000;

/** Parse the environment with a service's own schema; a bad variable stops the process with one line naming it. */
export function parseEnv<TSchema extends z.ZodType>(schema: TSchema, source: Record<string, string | undefined> = process.env): z.infer<TSchema> {
  const result = schema.safeParse(source);
  if (!result.success) throw new Error(`invalid environment: ${describeEnvIssues(result.error.issues, source)}`);
  return result.data;
}
