import type { OpenAPIHono } from '@hono/zod-openapi';
import { reservationHandlers, type ReservationApiDeps } from './reservations.handlers.ts';
import * as routes from './reservations.routes.ts';

/** Orders' stock, read by the order service's reconciler. */
export function addReservationRoutes(app: OpenAPIHono, deps: ReservationApiDeps): void {
  const handlers = reservationHandlers(deps);
  app.openapi(routes.listOrderStock, handlers.listOrderStock);
}
