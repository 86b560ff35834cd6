import { z } from '@hono/zod-openapi';

/** RFC 9457 problem details: every error response of every service has this shape. */
export const problemSchema = z
  .object({
    type: z.string().openapi({ example: 'about:blank' }),
    title: z.string().openapi({ example: 'Bad Request' }),
    status: z.number().int().openapi({ example: 400 }),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: 'One entry per invalid field' }),
  })
  .openapi('Problem');

export type Problem = z.infer<typeof problemSchema>;

export const problemContentType = 'application/problem+json';

/** Thrown by handlers for an expected failure that maps to an HTTP status. */
export class ProblemError extends Error {
  readonly status: number;
  readonly title: string;
  readonly extra: Partial<Problem> & Record<string, unknown>;
  constructor(status: number, title: string, detail?: string, extra: Partial<Problem> & Record<string, unknown> = {}) {
    super(detail ?? title);
    this.name = 'ProblemError';
    this.status = status;
    this.title = title;
    this.extra = { ...extra, detail };
  }
}

export const notFound = (what: string) => new ProblemError(404, 'Not Found', `${what} not found`);
export const conflict = (detail: string) => new ProblemError(409, 'Conflict', detail);
export const unprocessable = (detail: string, errors?: { field: string; message: string }[]) =>
  new ProblemError(422, 'Unprocessable Content', detail, errors ? { errors } : {});

/** The statuses whose answer says when to try again (Retry-After, in seconds). */
const retryAfterStatuses = new Set([429, 503]);

/** The Retry-After header of a 429 or 503 answer, as OpenAPI declares a response header. */
export const retryAfterHeader = {
  'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer' as const, minimum: 0 } },
};

/** OpenAPI `responses` entries for the problem statuses a route can answer (429 and 503 with their Retry-After header). */
export function problemResponses(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: 'Invalid request',
    401: 'Missing or invalid credentials',
    403: 'Not allowed',
    404: 'Not found',
    409: 'Conflict with the current state',
    413: 'Body too large',
    415: 'Body is not JSON',
    422: 'Request is well-formed but breaks a business rule',
    429: 'Too many attempts: wait Retry-After seconds',
    503: 'A dependency (database, broker, signing keys) is unavailable right now: retry after Retry-After seconds',
  };
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: descriptions[status] ?? 'Error',
        ...(retryAfterStatuses.has(status) ? { headers: retryAfterHeader } : {}),
        content: { [problemContentType]: { schema: problemSchema } },
      },
    ]),
  ) as Record<number, { description: string; headers?: typeof retryAfterHeader; content: Record<string, { schema: typeof problemSchema }> }>;
}
