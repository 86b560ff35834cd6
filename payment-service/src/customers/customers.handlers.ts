import type { RouteHandler } from '@hono/zod-openapi';
import { notFound } from '#shared/http/problem.ts';
import type { CreditQueries } from '../credits/credit-queries.ts';
import type * as routes from './customers.routes.ts';

export function createCustomerHandlers(deps: { queries: Pick<CreditQueries, 'customerExists'> }) {
  const getCustomer: RouteHandler<typeof routes.getCustomer> = async (c) => {
    const { customerId } = c.req.valid('param');
    if (!(await deps.queries.customerExists(customerId))) throw notFound('customer');
    return c.json({ customerId, exists: true as const }, 200);
  };
  return { getCustomer };
}
