// Brings every service's database up to date once, then exits:
//   node scripts/migrate.ts                     order, product and payment databases
//   node scripts/migrate.ts order-service       only some
// Each service also migrates on start; replicas starting together take turns (migrate() holds the
// database's named lock, GET_LOCK), so the second finds nothing to do. compose.yaml still runs this
// first, alone, as the one process with the rights to change the schema (root).
// Reads the same environment as the services (DB_DRIVER, DB_HOST, DB_PORT, DB_USER, DB_PASSWORD) and,
// like build-and-run.sh, DB_NAME_PREFIX (databases <prefix>order_db, <prefix>product_db, …).
import { baseEnvSchema, parseEnv } from '#shared/config/env.ts';
import { messagingMigration } from '#shared/db/messaging-migration.ts';
import { migrate, openOrm } from '#shared/db/orm.ts';
import { InboxMessage } from '#shared/inbox/inbox-message.entity.ts';
import { OutboxMessage } from '#shared/outbox/outbox-message.entity.ts';
import type { ServiceDefinition } from '#shared/runtime/service-host.ts';
import { orderService } from '../order-service/src/order-service.ts';
import { paymentService } from '../payment-service/src/payment-service.ts';
import { productService } from '../product-service/src/product-service.ts';

export const serviceDefinitions: readonly ServiceDefinition[] = [orderService, productService, paymentService];

/** The ORM a service opens on start (service-host.ts): the messaging tables first, then its own. */
export function ormOptionsOf(definition: ServiceDefinition) {
  return {
    entities: [OutboxMessage, InboxMessage, ...definition.entities],
    migrations: [messagingMigration, ...definition.migrations],
  };
}

async function main(): Promise<void> {
  const env = parseEnv(baseEnvSchema);
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !serviceDefinitions.some((d) => d.name === name));
  if (unknown.length > 0) throw new Error(`unknown service(s): ${unknown.join(', ')}`);
  for (const definition of serviceDefinitions) {
    if (wanted.length > 0 && !wanted.includes(definition.name)) continue;
    const dbName = `${process.env.DB_NAME_PREFIX ?? ''}${definition.defaultDbName}`;
    const orm = await openOrm({ env, dbName, ...ormOptionsOf(definition) });
    try {
      const pending = await orm.migrator.getPending();
      await migrate(orm);
      console.log(
        `${definition.name}: ${dbName} on ${env.DB_DRIVER} ${env.DB_HOST}:${env.DB_PORT} up to date (${pending.length} migration(s) applied)`,
      );
    } finally {
      await orm.close(true);
    }
  }
}

if (import.meta.main) {
  await main();
}
