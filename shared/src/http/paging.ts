import { z } from '@hono/zod-openapi';

/**
 * The deepest row a list endpoint pages to. Past it OFFSET makes the database read and throw away
 * every row before the page (and count them all); a client that needs more narrows the query with
 * its filters (a status, updatedSince, a customer) instead.
 */
export const maxPagedRows = 10_000;

const windowRule = `page × size + size may not exceed ${maxPagedRows} (deeper: narrow the query with its filters)`;

/** `page` and `size` of a list endpoint's query, with `size` up to `maxSize`. */
export function pagingFields(options: { maxSize: number; defaultSize?: number }) {
  return {
    page: z.coerce
      .number()
      .int()
      .min(0)
      .max(maxPagedRows)
      .default(0)
      .openapi({ description: `Page number, from 0; ${windowRule}`, example: 0 }),
    size: z.coerce
      .number()
      .int()
      .min(1)
      .max(options.maxSize)
      .default(options.defaultSize ?? 20)
      .openapi({ description: `Entries per page (1–${options.maxSize})`, example: options.defaultSize ?? 20 }),
  };
}

/** The one shape of a list endpoint's answer: the page's items, where it is, and how many there are in all. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    page: z.number().int().openapi({ description: 'This page, from 0' }),
    size: z.number().int().openapi({ description: 'Entries per page as asked' }),
    total: z.number().int().openapi({ description: 'Entries matching the query, on every page' }),
  });
}

/** Refines a list query so a page past the window is a 400 naming `page`, not a deep OFFSET. */
export function withinPagingWindow<T extends z.ZodType<{ page: number; size: number }>>(query: T): T {
  return query.refine((value) => (value.page + 1) * value.size <= maxPagedRows, { message: windowRule, path: ['page'] }) as T;
}
