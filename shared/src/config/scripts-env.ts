import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

/**
 * What the scripts and the local infrastructure read (scripts/*.sh, infra/*.sh, infra/kafka/kafka.sh
 * and the CLIs). The services ignore these, but know their names: a shell that exports them for a
 * script can start a service too.
 */
export const scriptsEnvSchema = z.object({
  ORDER_PORT: port(8181).describe('Port of the order service (replica 1) that build-and-run.sh starts and the CLIs call.'),
  PRODUCT_PORT: port(8182).describe('Port of the product service (replica 1).'),
  PAYMENT_PORT: port(8183).describe('Port of the payment service (replica 1).'),
  ORDER_SERVICE_URL: z.url().optional().describe('Order service the saga and token CLIs call (default: http://127.0.0.1:$ORDER_PORT).'),
  ORDER_SERVICE_TOKEN: z.string().optional().describe('Admin token the saga CLI sends (else it signs in with ADMIN_PASSWORD).'),
  OPERATOR_NAME: z
    .string()
    .optional()
    .describe(
      "The operator's name in the admin tokens the CLIs get (npm run token, saga, password; default admin): the saga history and the ledger record it.",
    ),
  LOAD_TOKEN: z.string().optional().describe('Admin token the load test uses (same as its --token).'),
  LB_BIND: z.string().default('127.0.0.1').describe('Address the local HAProxy listens on (--replicas N, --haproxy).'),
  LB_ORDER_PORT: port(8080).describe('HAProxy port in front of the order service replicas.'),
  LB_PRODUCT_PORT: port(8090).describe('HAProxy port in front of the product service replicas.'),
  LB_PAYMENT_PORT: port(8100).describe('HAProxy port in front of the payment service replicas.'),
  LB_STATS_PORT: port(9000).describe("HAProxy's stats page."),
  DB_NAME_PREFIX: z
    .string()
    .default('')
    .describe('Prefix of the three database names (order_db, product_db, payment_db): a second copy of the platform on one server.'),
  KAFKA_PORT: port(9092).describe('Port of the local Kafka broker that infra/kafka/kafka.sh runs (default: the port of KAFKA_BROKERS).'),
  KAFKA_CONTROLLER_PORT: z.coerce.number().int().min(1).max(65535).optional().describe('Its KRaft controller port (default: KAFKA_PORT + 1).'),
  KAFKA_BOOTSTRAP: z.string().optional().describe('Broker that kafka.sh creates topics on (default: 127.0.0.1:$KAFKA_PORT).'),
  KAFKA_DATA_DIR: z.string().optional().describe("The local broker's data directory (default: .data/kafka)."),
  KAFKA_LIBS: z.string().optional().describe('Directory of the Kafka jars (default: infra/kafka/libs, fetched by Maven).'),
  KAFKA_PID_FILE: z.string().optional().describe("The local broker's pid file (default: .run/kafka.pid)."),
  KAFKA_LOG_FILE: z.string().optional().describe("The local broker's log (default: .run/kafka.log)."),
  KAFKA_LOCK_FILE: z.string().optional().describe('Lock that keeps two kafka.sh from starting one broker (default: .run/kafka.lock).'),
  KAFKA_HEAP: z.string().default('-Xmx512m -Xms512m').describe("The local broker's JVM heap options."),
  KAFKA_START_TIMEOUT: z.coerce.number().int().min(1).default(60).describe('Seconds kafka.sh waits for the broker to answer.'),
  KAFKA_STOP_TIMEOUT: z.coerce.number().int().min(1).default(20).describe('Seconds kafka.sh waits for the broker to stop before it kills it.'),
  KAFKA_LISTEN_HOST: z.string().default('127.0.0.1').describe('Address the local broker listens on.'),
  KAFKA_ADVERTISED_HOST: z.string().optional().describe('Host the local broker tells clients to use (default: KAFKA_LISTEN_HOST).'),
  KAFKA_CREDENTIALS_DIR: z
    .string()
    .optional()
    .describe("Where kafka.sh keeps each principal's generated SCRAM password (default: .data/kafka-credentials)."),
  KAFKA_ACLS: z.enum(['skip']).optional().describe('skip: the broker starts without creating its ACLs (a harness that grants its own).'),
  KAFKAJS_NO_PARTITIONER_WARNING: z.string().optional().describe("kafkajs's own switch for its partitioner notice (the tests set it)."),
});

/** Names the scripts read that follow a pattern: KAFKA_<PRINCIPAL>_PASSWORD (e.g. KAFKA_ORDER_SERVICE_PASSWORD) for kafka.sh's SCRAM users. */
export const SCRIPT_SETTING_PATTERNS: readonly RegExp[] = [/^KAFKA_[A-Z0-9_]+_PASSWORD$/];
