import type { EntityMetadata } from '@mikro-orm/core';
import { afterAll, describe, expect, it } from 'vitest';
import { baseEnvSchema, parseEnv } from '#shared/config/env.ts';
import { migrate, openOrm, type Orm } from '#shared/db/orm.ts';
import { ormOptionsOf, serviceDefinitions } from '../../scripts/migrate.ts';
import { freshDatabase, testEnv } from '../support/test-infra.ts';

/**
 * compose.yaml runs the services on MySQL 8 with the `@mikro-orm/mysql` driver (DB_DRIVER=mysql);
 * this machine has MariaDB only (Debian ships no MySQL server). So this runs every service's
 * migrations through BOTH drivers against the local MariaDB, then asks each driver's schema tooling
 * (`orm.schema.getUpdateSchemaSQL()`: entity metadata vs the schema it reads back) what differs.
 *
 * What that shows: the migrations execute through the mysql driver's connection and migrator; the
 * tables and columns they create are the ones the entities map (no missing table or column, no type
 * the metadata disagrees with); and the only differences are explained, rule by rule, below. What it
 * does not show: that a MySQL 8 server accepts every statement — for that, the migrations' SQL is also
 * checked for MariaDB-only syntax, and compose.yaml is where a real MySQL 8 runs.
 */

const runId = Date.now().toString(36);
const created: string[] = [];
const drivers = ['mariadb', 'mysql'] as const;
type Driver = (typeof drivers)[number];

/** Known differences between a migration's column definition and the entity's, on purpose. */
const declaredInSqlOnly = new Set([
  'alter table `dead_letter` modify `value` text not null', // mediumtext in SQL: a dead letter may be large
  'alter table `product` modify `reserved` int not null', // "default 0" in SQL
  'alter table `product` modify `active` tinyint(1) not null', // "default 1" in SQL
]);

interface Migrated {
  executed: string[];
  pending: number;
  diff: string[];
  entities: EntityMetadata[];
  sql: string;
}

async function migrateWith(driver: Driver, definition: (typeof serviceDefinitions)[number]): Promise<Migrated> {
  const dbName = `dialect_${runId}_${driver}_${definition.name.replace('-service', '')}`;
  await freshDatabase(dbName);
  created.push(dbName);
  const env = parseEnv(baseEnvSchema, { ...process.env, DB_DRIVER: driver });
  const options = ormOptionsOf(definition);
  const orm: Orm = await openOrm({ env, dbName, ...options });
  try {
    await migrate(orm);
    const executed = (await orm.migrator.getExecuted()).map((m) => m.name);
    const pending = (await orm.migrator.getPending()).length;
    const diff = (await orm.schema.getUpdateSchemaSQL({ wrap: false, safe: false, dropTables: false }))
      .split(/;\s*\n/)
      .map((statement) => statement.trim().replace(/;$/, ''))
      .filter(Boolean);
    const sql = migrationSql(orm, options.migrations);
    return { executed, pending, diff, entities: [...orm.getMetadata().getAll().values()], sql };
  } finally {
    await orm.close(true);
  }
}

/** Every statement the migrations add, as the driver would send them. */
function migrationSql(orm: Orm, migrations: ReturnType<typeof ormOptionsOf>['migrations']): string {
  return migrations
    .map((migration) => {
      const MigrationClass = migration.class as unknown as new (
        driver: unknown,
        config: unknown,
      ) => {
        up(): void | Promise<void>;
        getQueries(): unknown[];
      };
      const instance = new MigrationClass(orm.em.getDriver(), orm.config);
      void instance.up();
      return instance.getQueries().map(String).join(';\n');
    })
    .join(';\n');
}

const statement = /^alter table `(\w+)` (drop index|drop constraint|modify) `(\w+)`(.*)$/;

/** Explains a statement of the diff, or returns null if nothing explains it. */
function explain(line: string, migrated: Migrated, driver: Driver): string | null {
  if (declaredInSqlOnly.has(line)) return 'column definition kept in SQL on purpose';
  const match = statement.exec(line);
  if (!match) return null;
  const [, table, action, name, rest] = match;
  if (action === 'drop index' && new RegExp(`\\b(key|index) ${name}\\b`, 'i').test(migrated.sql)) return 'index declared by a migration';
  if (action === 'drop constraint' && new RegExp(`\\bconstraint ${name}\\b`, 'i').test(migrated.sql)) return 'check declared by a migration';
  if (driver !== 'mysql') return null;
  const property = migrated.entities.find((meta) => meta.tableName === table)?.props.find((prop) => prop.fieldNames?.[0] === name);
  if (!property) return null;
  const isJson = property.columnTypes?.[0] === 'json';
  // MariaDB stores JSON as LONGTEXT with a CHECK (json_valid(col)) named after the column; MySQL 8
  // has a native JSON type. The mysql driver reading a MariaDB server sees the MariaDB form.
  if (isJson && action === 'drop constraint') return 'MariaDB json_valid check (not on MySQL)';
  if (isJson && action === 'modify' && /^ json (not )?null$/.test(rest)) return 'MariaDB LONGTEXT json (not on MySQL)';
  // MariaDB reports a nullable column's default as the text 'NULL', MySQL as SQL NULL.
  if (property.nullable && action === 'modify' && rest === ` ${property.columnTypes?.[0]} null`) return "MariaDB's 'NULL' default (not on MySQL)";
  return null;
}

afterAll(async () => {
  const { createConnection } = await import('mysql2/promise');
  const connection = await createConnection({ host: testEnv.DB_HOST, port: testEnv.DB_PORT, user: testEnv.DB_USER, password: testEnv.DB_PASSWORD });
  for (const name of created) await connection.query(`drop database if exists \`${name}\``);
  await connection.end();
});

describe('MySQL 8 dialect: every service migrated through the @mikro-orm/mysql driver', () => {
  for (const definition of serviceDefinitions) {
    it(`${definition.name}: migrations run through both drivers and leave only explained differences to the entities`, async () => {
      const byDriver = {} as Record<Driver, Migrated>;
      for (const driver of drivers) byDriver[driver] = await migrateWith(driver, definition);
      const names = ormOptionsOf(definition).migrations.map((m) => m.name);

      for (const driver of drivers) {
        const migrated = byDriver[driver];
        expect(migrated.executed, driver).toEqual(names);
        expect(migrated.pending, driver).toBe(0);
        const unexplained = migrated.diff.filter((line) => explain(line, migrated, driver) === null);
        expect(unexplained, `${driver}: differences between the migrated schema and the entities`).toEqual([]);
        // nothing the entities need is missing
        expect(
          migrated.diff.filter((line) => /create table|add `|add column|drop column|drop table/i.test(line)),
          driver,
        ).toEqual([]);
      }
      // Both drivers agree on everything that is not MariaDB's way of storing JSON and NULL defaults.
      const common = (driver: Driver) =>
        byDriver[driver].diff.filter((line) => !explain(line, byDriver[driver], driver)!.endsWith('(not on MySQL)')).sort();
      expect(common('mysql')).toEqual(common('mariadb'));
    }, 60_000);
  }

  it('the migrations use no MariaDB-only SQL', async () => {
    const migrated = await migrateWith('mysql', serviceDefinitions[0]);
    const all = [migrated.sql, ...(await Promise.all(serviceDefinitions.slice(1).map((d) => migrateWith('mysql', d)))).map((m) => m.sql)].join(';\n');
    expect(all.length).toBeGreaterThan(1000);
    const mariadbOnly: [string, RegExp][] = [
      ['IF [NOT] EXISTS on columns, indexes or constraints', /\b(add|drop|modify)\s+(column|index|key|constraint)\s+if\s+(not\s+)?exists/i],
      ['CREATE/DROP INDEX IF [NOT] EXISTS', /\b(create\s+(unique\s+)?index|drop\s+index)\s+if\b/i],
      ['RETURNING', /\breturning\b/i],
      ['CREATE OR REPLACE TABLE', /\bcreate\s+or\s+replace\s+table\b/i],
      ['MariaDB-only JSON functions', /\bjson_(detailed|loose|compact|exists|equals|normalize)\s*\(/i],
      ['sequences', /\b(create|drop)\s+sequence\b|\bnextval\s*\(/i],
    ];
    for (const [what, pattern] of mariadbOnly) expect(all.match(pattern)?.[0] ?? null, what).toBeNull();
  }, 60_000);
});
