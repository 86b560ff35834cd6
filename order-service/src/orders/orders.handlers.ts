import type { RouteHandler } from '@hono/zod-openapi';
import type { Orm } from '#shared/db/orm.ts';
import { canActFor, principalOf } from '#shared/http/auth/principal.ts';
import { notFound, ProblemError, unprocessable } from '#shared/http/problem.ts';
import type { CustomerOrderRow } from '../saga/order.entity.ts';
import { findOrder, findOrderPage } from '../saga/saga-reads.ts';
import type * as routes from './orders.routes.ts';
import type { createPlaceOrder } from './place-order.ts';
import type { TerminalWaiters } from './terminal-waiters.ts';

const view = (order: Pick<CustomerOrderRow, 'id' | 'status' | 'failureMessages' | 'createdAt' | 'updatedAt' | 'terminalAt'>) => ({
  orderTrackingId: order.id,
  orderStatus: order.status,
  failureMessages: order.failureMessages,
  createdAt: order.createdAt.toISOString(),
  updatedAt: order.updatedAt.toISOString(),
  terminalAt: order.terminalAt?.toISOString() ?? null,
});

export interface OrderHandlerDeps {
  orm: Orm;
  placeOrder: ReturnType<typeof createPlaceOrder>;
  waiters: TerminalWaiters;
}

export function createOrderHandlers(deps: OrderHandlerDeps) {
  const createOrder: RouteHandler<typeof routes.createOrder> = async (c) => {
    const order = c.req.valid('json');
    // Checked before anything is stored: a customer orders for themselves (an admin for anyone).
    if (!canActFor(principalOf(c), order.customerId)) {
      throw new ProblemError(403, 'Forbidden', 'a customer may only place orders for themselves');
    }
    const result = await deps.placeOrder(order, c.req.valid('header')['idempotency-key'] ?? null);
    if (!result.ok) {
      switch (result.reason) {
        case 'idempotency-conflict':
          throw new ProblemError(409, 'Conflict', 'you used this Idempotency-Key with a different request body');
        case 'rejected':
          throw unprocessable('the order does not match the catalog', result.problems);
        case 'not-stored':
          throw new ProblemError(503, 'Service Unavailable', 'the database connection was lost during the commit; the order was not stored, retry', {
            retryAfterSeconds: 1,
          });
        case 'outcome-unknown':
          throw new ProblemError(
            503,
            'Service Unavailable',
            `the database connection was lost during the commit and the outcome is not known yet: order ${result.orderId} may exist (GET it), or retry with the same Idempotency-Key`,
            { retryAfterSeconds: 1, orderTrackingId: result.orderId },
          );
      }
    }
    if (result.replayed) c.header('idempotent-replayed', 'true');
    return c.json({ orderTrackingId: result.order.id, orderStatus: result.order.status, message: 'Order created successfully' }, 201);
  };

  const getOrder: RouteHandler<typeof routes.getOrder> = async (c) => {
    const order = await findOrder(deps.orm.em, c.req.valid('param').orderTrackingId);
    // Another customer's order is answered as missing, so order ids cannot be probed.
    if (!order || !canActFor(principalOf(c), order.customerId)) throw notFound('order');
    return c.json(view(order), 200);
  };

  const awaitOrderOutcome: RouteHandler<typeof routes.awaitOrderOutcome> = async (c) => {
    const { orderTrackingId } = c.req.valid('param');
    const deadline = performance.now() + c.req.valid('query').timeoutMs;
    for (;;) {
      const order = await findOrder(deps.orm.em, orderTrackingId);
      if (!order || !canActFor(principalOf(c), order.customerId)) throw notFound('order');
      const left = deadline - performance.now();
      if (order.terminalAt || left <= 0) return c.json(view(order), 200);
      await deps.waiters.wait(orderTrackingId, left);
    }
  };

  const listOrders: RouteHandler<typeof routes.listOrders> = async (c) => {
    const { status, updatedSince, page, size } = c.req.valid('query');
    let { customerId } = c.req.valid('query');
    const principal = principalOf(c);
    if (principal.role !== 'admin') {
      if (customerId !== undefined && !canActFor(principal, customerId)) {
        throw new ProblemError(403, 'Forbidden', 'a customer may only list their own orders');
      }
      customerId = principal.subject;
    }
    const { orders, total } = await findOrderPage(deps.orm.em, {
      customerId,
      status,
      updatedSince: updatedSince ? new Date(updatedSince) : undefined,
      page,
      size,
    });
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
  };

  return { createOrder, getOrder, awaitOrderOutcome, listOrders };
}
