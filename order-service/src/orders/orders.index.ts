import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Orm } from '#shared/db/orm.ts';
import { notFound, ProblemError, unprocessable } from '#shared/http/problem.ts';
import { CustomerOrder, type CustomerOrderRow } from './order.entity.ts';
import * as routes from './orders.routes.ts';
import type { createPlaceOrder } from './place-order.ts';

const view = (order: CustomerOrderRow) => ({
  orderTrackingId: order.id,
  orderStatus: order.status,
  failureMessages: order.failureMessages,
  createdAt: order.createdAt.toISOString(),
  updatedAt: order.updatedAt.toISOString(),
  terminalAt: order.terminalAt?.toISOString() ?? null,
});

export function addOrderRoutes(app: OpenAPIHono, deps: { orm: Orm; placeOrder: ReturnType<typeof createPlaceOrder> }): void {
  app.openapi(routes.createOrder, async (c) => {
    const result = await deps.placeOrder(c.req.valid('json'), c.req.valid('header')['idempotency-key'] ?? null);
    if (!result.ok) {
      if (result.reason === 'idempotency-conflict') {
        throw new ProblemError(409, 'Conflict', 'this Idempotency-Key was used with a different request body');
      }
      throw unprocessable('the order does not match the catalog', result.problems);
    }
    if (result.replayed) c.header('idempotent-replayed', 'true');
    return c.json(
      { orderTrackingId: result.order.id, orderStatus: result.order.status, message: 'Order created successfully' },
      201,
    );
  });

  app.openapi(routes.getOrder, async (c) => {
    const order = await deps.orm.em.fork().findOne(CustomerOrder, { id: c.req.valid('param').orderTrackingId });
    if (!order) throw notFound('order');
    return c.json(view(order), 200);
  });

  app.openapi(routes.listOrders, async (c) => {
    const { customerId, status, updatedSince, page, size } = c.req.valid('query');
    const where = {
      ...(customerId ? { customerId } : {}),
      ...(status ? { status } : {}),
      ...(updatedSince ? { updatedAt: { $gte: new Date(updatedSince) } } : {}),
    };
    const orderBy = updatedSince ? ({ updatedAt: 'asc', id: 'asc' } as const) : ({ createdAt: 'desc' } as const);
    const [orders, total] = await deps.orm.em
      .fork()
      .findAndCount(CustomerOrder, where, { orderBy, limit: size, offset: page * size });
    return c.json(
      {
        items: orders.map((order) => ({
          ...view(order),
          customerId: order.customerId,
          price: order.price,
        })),
        page,
        size,
        total,
      },
      200,
    );
  });
}
