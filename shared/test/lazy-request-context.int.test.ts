import { RequestContext } from '@mikro-orm/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freshDatabase, testEnv } from '../../tests/support/test-infra.ts';
import { withRequestContext } from '../src/db/lazy-request-context.ts';
import { messagingMigration } from '../src/db/messaging-migration.ts';
import { migrate, openOrm, type Orm } from '../src/db/orm.ts';
import { InboxMessage } from '../src/inbox/inbox-message.entity.ts';
import { OutboxMessage } from '../src/outbox/outbox-message.entity.ts';

const dbName = 'lazy_request_context_test';
let orm: Orm;

describe("a request's EntityManager, forked on first use (real MariaDB)", () => {
  beforeAll(async () => {
    await freshDatabase(dbName);
    orm = await openOrm({ env: testEnv, dbName, entities: [OutboxMessage, InboxMessage], migrations: [messagingMigration] });
    await migrate(orm);
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await orm?.close();
  });

  it('forks nothing for a request that never uses the ORM', async () => {
    const fork = vi.spyOn(orm.em, 'fork');
    await withRequestContext(orm.em, async () => {
      await Promise.resolve();
    });
    expect(fork).not.toHaveBeenCalled();
    fork.mockRestore();
  });

  it('gives a request one fork of its own, the same for every use within it, through the global EntityManager', async () => {
    const seen = await Promise.all(
      [1, 2].map((request) =>
        withRequestContext(orm.em, async () => {
          const first = orm.em.getContext();
          await orm.em.find(OutboxMessage, {});
          const again = orm.em.getContext();
          return { request, first, again, current: RequestContext.getEntityManager() };
        }),
      ),
    );
    for (const { first, again, current } of seen) {
      expect(first).not.toBe(orm.em);
      expect(again).toBe(first);
      expect(current).toBe(first);
    }
    expect(seen[0].first).not.toBe(seen[1].first);
    expect(RequestContext.getEntityManager()).toBeUndefined();
  });

  it('keeps what a request loaded in its own identity map', async () => {
    await orm.em
      .fork()
      .getConnection()
      .execute(
        "insert into outbox_message (message_id, topic, type, body, created_at, next_attempt_at) values ('00000000-0000-7000-8000-000000000001', 't', 'T', '{}', now(3), now(3))",
      );
    const loadedTwice = await withRequestContext(orm.em, async () => {
      const [a] = await orm.em.find(OutboxMessage, {});
      const [b] = await orm.em.find(OutboxMessage, {});
      return a === b && a !== undefined;
    });
    expect(loadedTwice).toBe(true);
  });
});
