import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import kafkajs, { type SASLOptions } from 'kafkajs';
import { aclGrantsFor, type ServicePrincipal } from '#shared/contracts/topic-access.ts';

// kafkajs is CommonJS: Node's ESM loader finds only some of its exports by name (not the ACL enums).
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } = kafkajs;

/**
 * How tests reach a broker that requires SASL/SCRAM and ACLs (infra/kafka/kafka.sh): the admin
 * principal (a super user) for the tests' own clients, each service's own principal for the
 * services they start, and the ACLs of a run's prefixed topics, granted through the admin. The
 * passwords are the ones kafka.sh generated into KAFKA_CREDENTIALS_DIR; without them (a broker
 * from before authentication) everything here is plaintext, as it was.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
/** Where kafka.sh keeps the passwords of the broker the tests use (with its storage: none for a plaintext broker). */
export const credentialsDir = process.env.KAFKA_CREDENTIALS_DIR ?? `${process.env.KAFKA_DATA_DIR ?? `${root}.data/kafka`}/credentials`;

export type Principal = ServicePrincipal | 'admin' | 'kafka-ui';

/** KAFKA_SASL_MECHANISM / _USERNAME / _PASSWORD of a principal, from its credentials file ({} if there is none). */
export function kafkaCredentialsOf(principal: Principal, dir = credentialsDir): Record<string, string> {
  const file = `${dir}/${principal}.env`;
  if (!existsSync(file)) return {};
  const entries = readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => /^(KAFKA_SASL_[A-Z]+)=(.*)$/.exec(line.trim()))
    .filter((match) => match !== null)
    .map((match) => [match[1]!, match[2]!] as const);
  return Object.fromEntries(entries);
}

type ScramSettings = { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };

/**
 * TLS and SASL of a Kafka client (raw kafkajs or the platform's adapter) from KAFKA_SASL_* — the
 * tests' admin in the environment by default, as the services read theirs.
 */
export function testSasl(env: NodeJS.ProcessEnv | Record<string, string> = process.env): { sasl?: ScramSettings & SASLOptions; ssl?: boolean } {
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = env;
  if (!mechanism || !username || password === undefined) return {};
  return { ssl: env.KAFKA_SSL === 'true', sasl: { mechanism, username, password } as ScramSettings & SASLOptions };
}

const operations = { WRITE: AclOperationTypes.WRITE, READ: AclOperationTypes.READ, DESCRIBE: AclOperationTypes.DESCRIBE } as const;

/**
 * Grants the services the ACLs of a test environment's topics and groups (`prefix`…, the table of
 * shared/src/contracts/topic-access.ts) and returns what takes them away again. A no-op on a
 * broker without authentication.
 */
export async function grantEnvironmentAcls(
  brokers: string[],
  prefix: string,
  adminEnv: NodeJS.ProcessEnv = process.env,
): Promise<() => Promise<void>> {
  const admin = testSasl(adminEnv);
  if (!admin.sasl) return async () => {};
  const kafka = new Kafka({ clientId: 'test-acls', brokers, logLevel: logLevel.NOTHING, ...admin });
  const acl = aclGrantsFor(prefix).map((grant) => ({
    resourceType: grant.resource === 'TOPIC' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
    resourceName: grant.name,
    resourcePatternType: grant.pattern === 'LITERAL' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
    principal: `User:${grant.principal}`,
    host: '*',
    operation: operations[grant.operation],
    permissionType: AclPermissionTypes.ALLOW,
  }));
  const client = kafka.admin();
  await client.connect();
  try {
    await client.createAcls({ acl });
  } finally {
    await client.disconnect();
  }
  return async () => {
    const cleanup = kafka.admin();
    await cleanup.connect();
    try {
      await cleanup.deleteAcls({ filters: acl });
    } catch {
      // the broker may be gone already (a chaos run stops its own)
    } finally {
      await cleanup.disconnect();
    }
  };
}
