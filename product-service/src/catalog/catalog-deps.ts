import type { Orm } from '#shared/db/orm.ts';
import type { Outbox } from '#shared/outbox/outbox.ts';
import type { OutboxRelay } from '#shared/outbox/outbox-relay.ts';
import type { Clock } from '#shared/runtime/clock.ts';

/** What the catalog's use cases write with: each opens its own transaction and nudges the relay after commit. */
export interface CatalogDeps {
  orm: Orm;
  outbox: Outbox;
  relay: OutboxRelay;
  clock: Clock;
}
