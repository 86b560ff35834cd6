import { z } from '@hono/zod-openapi';
import { pagingFields, withinPagingWindow } from '#shared/http/paging.ts';

// The contracts' `entityId` rule (any 8-4-4-4-12 hex, no version check), built from the OpenAPI-aware z.
const entityId = z.guid();
const customerExample = '3fa85f64-5717-4562-b3fc-2c963f66afa6';

export const customerIdParams = z.object({
  customerId: entityId.openapi({ param: { name: 'customerId', in: 'path' }, example: customerExample }),
});

export const orderIdParams = z.object({
  orderId: entityId.openapi({ param: { name: 'orderId', in: 'path' }, example: 'd2b9c1f4-3e8a-4c7b-9f10-2a6e5d4c3b21' }),
});

export const pageQuery = withinPagingWindow(z.object(pagingFields({ maxSize: 100 })));

export const timestamp = z.iso.datetime().openapi({ example: '2026-01-01T09:00:00.000Z' });
