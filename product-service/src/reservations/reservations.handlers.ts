import type { RouteHandler } from '@hono/zod-openapi';
import type * as routes from './reservations.routes.ts';
import { readOrderStock, type SqlQuery } from './stock-book.ts';

export interface ReservationApiDeps {
  query: SqlQuery;
}

export function reservationHandlers(deps: ReservationApiDeps) {
  const listOrderStock: RouteHandler<typeof routes.listOrderStock> = async (c) => {
    return c.json({ items: await readOrderStock(deps.query, c.req.valid('query').orderIds) }, 200);
  };
  return { listOrderStock };
}
