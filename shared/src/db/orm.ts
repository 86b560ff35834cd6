import type { EntitySchema, MigrationObject } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { CompiledQuery } from 'kysely';
import type { MikroORM as SqlMikroORM, SqlEntityManager } from '@mikro-orm/sql';
import type { RowDataPacket } from 'mysql2/promise';
import type { BaseEnv } from '../config/env.ts';

export type Orm = SqlMikroORM;
export type Em = SqlEntityManager;

export interface OpenOrmOptions {
  env: Pick<BaseEnv, 'DB_DRIVER' | 'DB_HOST' | 'DB_PORT' | 'DB_USER' | 'DB_PASSWORD' | 'DB_POOL_MAX'>;
  dbName: string;
  entities: EntitySchema<any, any>[];
  migrations: MigrationObject[];
  debug?: boolean;
}

/**
 * Opens MikroORM on MariaDB (default) or MySQL 8 (`DB_DRIVER=mysql`: the mariadb driver misreads
 * MySQL's JSON columns and vice versa). The database is created if missing.
 */
export async function openOrm(options: OpenOrmOptions): Promise<Orm> {
  const { MikroORM } = options.env.DB_DRIVER === 'mysql' ? await import('@mikro-orm/mysql') : await import('@mikro-orm/mariadb');
  const orm = await MikroORM.init({
    dbName: options.dbName,
    host: options.env.DB_HOST,
    port: options.env.DB_PORT,
    user: options.env.DB_USER,
    password: options.env.DB_PASSWORD,
    entities: options.entities,
    extensions: [Migrator],
    migrations: { migrationsList: options.migrations, transactional: true, allOrNothing: true, snapshot: false, silent: true },
    pool: { min: 1, max: options.env.DB_POOL_MAX },
    allowGlobalContext: false,
    ensureDatabase: true,
    debug: options.debug ?? false,
    timezone: '+00:00',
    forceUtcTimezone: true,
    // Datetimes are written in UTC and some statements compare them with the server's clock: every
    // session works in UTC whatever the server's own time zone.
    onCreateConnection: async (connection) => {
      await (connection as { executeQuery(query: unknown): Promise<unknown> }).executeQuery(CompiledQuery.raw("set time_zone = '+00:00'"));
    },
  });
  return orm as unknown as Orm;
}

/**
 * Brings the schema up to date; safe to run on every start and from several replicas starting
 * together: a run holds the database's named lock (GET_LOCK, on a session of its own) while it
 * migrates, so the next one waits, then finds every migration applied and does nothing. Without
 * it both would read "not applied" and the second ALTER of a column would fail.
 */
export async function migrate(orm: Orm, options: { lockTimeoutSeconds?: number } = {}): Promise<void> {
  const { createConnection } = await import('mysql2/promise');
  const dbName = orm.config.get('dbName');
  const password = orm.config.get('password');
  const lock = await createConnection({
    host: orm.config.get('host'),
    port: orm.config.get('port'),
    user: orm.config.get('user'),
    password: typeof password === 'function' ? await password() : password,
  });
  // Lock names are server-wide: one per database.
  const name = `migrate:${dbName}`;
  try {
    const timeout = options.lockTimeoutSeconds ?? 120;
    const [rows] = await lock.query<RowDataPacket[]>('select get_lock(?, ?) as got', [name, timeout]);
    if (Number(rows[0]?.got) !== 1) throw new Error(`another process has been migrating ${dbName} for more than ${timeout} s (lock ${name})`);
    try {
      await orm.migrator.up();
    } finally {
      await lock.query('select release_lock(?)', [name]);
    }
  } finally {
    await lock.end().catch(() => lock.destroy());
  }
}
