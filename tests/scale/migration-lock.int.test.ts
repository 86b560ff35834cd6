import { afterAll, describe, expect, it } from 'vitest';
import { migrate, openOrm, type Orm } from '#shared/db/orm.ts';
import { ormOptionsOf, serviceDefinitions } from '../../scripts/migrate.ts';
import { freshDatabase, testEnv } from '../support/test-infra.ts';

const opened: Orm[] = [];

afterAll(async () => {
  await Promise.all(opened.map((orm) => orm.close(true)));
});

// Replicas of one service starting at the same moment on a database nobody migrated yet.
describe('migrations of replicas that start together (real MariaDB)', () => {
  for (const definition of serviceDefinitions) {
    it(`${definition.name}: two runs at once both succeed, and every migration is applied once`, async () => {
      const dbName = `migration_lock_${definition.name.replace('-service', '')}_test`;
      await freshDatabase(dbName);
      const options = ormOptionsOf(definition);
      const replicas = await Promise.all([1, 2].map(() => openOrm({ env: testEnv, dbName, ...options })));
      opened.push(...replicas);

      const results = await Promise.allSettled(replicas.map((orm) => migrate(orm)));

      expect(results.map((result) => (result.status === 'rejected' ? String(result.reason) : 'ok'))).toEqual(['ok', 'ok']);
      const applied = await replicas[0].em.fork().execute<{ name: string }[]>('select name from mikro_orm_migrations order by id');
      expect(applied.map((row) => row.name)).toEqual(options.migrations.map((migration) => migration.name));
      for (const orm of replicas) expect(await orm.migrator.getPending()).toEqual([]);
    }, 60_000);
  }
});
