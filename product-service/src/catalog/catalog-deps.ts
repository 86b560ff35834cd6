import type { Orm } from '#shared/db/orm.ts';
import type { OrmUnitOfWork } from '#shared/outbox/orm-unit-of-work.ts';
import type { Clock } from '#shared/runtime/clock.ts';

/** What the catalog's use cases write with: each runs one unit of work whose catalog events go out on commit. */
export interface CatalogDeps {
  orm: Orm;
  unitOfWork: OrmUnitOfWork;
  clock: Clock;
}
