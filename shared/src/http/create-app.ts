import { errorMessage, isRetryable } from '../db/retryable-errors.ts';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { IncomingMessage } from 'node:http';
import type { Context, Env } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Registry } from 'prom-client';
import type { Logger } from '../observability/logger.ts';
import { httpServerSpans } from '../observability/http-tracing.ts';
import type { Tracing } from '../observability/tracing.ts';
import { counter, histogram } from '../observability/metrics.ts';
import { accessLog } from './access-log.ts';
import { pageSecurityHeaders } from './page-security-headers.ts';
import { problemContentType, ProblemError, type Problem } from './problem.ts';

export const maxBodyBytes = 64 * 1024;

export function problemResponse(c: Context, problem: Problem & Record<string, unknown>): Response {
  const headers: Record<string, string> = { 'content-type': problemContentType };
  if (typeof problem.retryAfterSeconds === 'number') headers['retry-after'] = String(problem.retryAfterSeconds);
  return c.body(JSON.stringify({ ...problem, instance: c.req.path }), problem.status as ContentfulStatusCode, headers);
}

/** A route's validation failures: 400 with one entry per field, never a 500. */
function validationProblem(c: Context, issues: { path: PropertyKey[]; message: string }[]): Response {
  return problemResponse(c, {
    type: 'about:blank',
    title: 'Bad Request',
    status: 400,
    detail: 'The request is invalid',
    errors: issues.map((issue) => ({ field: issue.path.map(String).join('.') || '(body)', message: issue.message })),
  });
}

export interface CreateAppOptions {
  logger: Logger;
  metrics: Registry;
  /** A server span per request when tracing is on. */
  tracing?: Tracing;
}

/**
 * The HTTP app every service starts from: request ids, one access-log line per request, browser security headers (CSP and
 * friends), a body size limit, JSON-only bodies, RED metrics, and every error — validation, not found, unexpected — as application/problem+json.
 */
export function createApp<E extends Env = Env>(options: CreateAppOptions): OpenAPIHono<E> {
  const { logger } = options;
  const requests = counter(options.metrics, 'http_requests_total', 'HTTP requests', ['method', 'route', 'status']);
  const duration = histogram(options.metrics, 'http_request_duration_seconds', 'HTTP request time', ['method', 'route']);

  const app = new OpenAPIHono<E>({
    defaultHook: (result, c) => {
      if (!result.success) return validationProblem(c, result.error.issues);
    },
  });

  if (options.tracing?.enabled) app.use('*', httpServerSpans(options.tracing));
  app.use('*', requestId());
  app.use('*', accessLog(logger));
  app.use('*', pageSecurityHeaders());
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const route = c.req.routePath || 'unmatched';
    requests.inc({ method: c.req.method, route, status: String(c.res.status) });
    duration.observe({ method: c.req.method, route }, (performance.now() - started) / 1000);
  });
  const tooLarge = (c: Context) =>
    problemResponse(c, {
      type: 'about:blank',
      title: 'Content Too Large',
      status: 413,
      detail: `bodies are limited to ${maxBodyBytes} bytes`,
    });
  // A declared length is checked from the header alone: the body stream stays unopened, so
  // @hono/node-server reads the body straight from the socket when the route parses it (no web
  // Request and ReadableStream per request: that costs more CPU than the rest of a placement), and
  // an oversized body is refused before anything opened it. A chunked body has no length: it is read
  // here from the socket, counted, and handed to the route as text; one over the limit is read to its
  // end (up to a bound) and then refused, so the keep-alive connection the 413 advertises stays
  // usable (hono's bodyLimit, which only served where there is no Node request, as in app.request(),
  // left the unread body to @hono/node-server, which closed the connection 500 ms after the 413:
  // tests/chaos/bad-input.chaos.test.ts).
  const limitChunked = bodyLimit({ maxSize: maxBodyBytes, onError: tooLarge });
  app.use('*', async (c, next) => {
    if (c.req.header('transfer-encoding') !== undefined) {
      const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
      if (!incoming) return limitChunked(c, next);
      const body = await readChunkedBody(incoming, maxBodyBytes);
      if (body === null) return tooLarge(c);
      // hono keeps the body's promise in its cache (declared as the plain value): json() and text() read it from there.
      (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(body);
      return next();
    }
    const length = c.req.header('content-length');
    if (length !== undefined && Number(length) > maxBodyBytes) return tooLarge(c);
    await next();
  });
  app.use('*', async (c, next) => {
    const method = c.req.method;
    const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
    const contentType = c.req.header('content-type') ?? '';
    if (hasBody && c.req.header('content-length') !== '0' && !/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
      if (contentType || c.req.header('content-length') || c.req.header('transfer-encoding')) {
        return problemResponse(c, {
          type: 'about:blank',
          title: 'Unsupported Media Type',
          status: 415,
          detail: 'request bodies must be application/json',
        });
      }
    }
    await next();
  });

  app.notFound((c) =>
    problemResponse(c, { type: 'about:blank', title: 'Not Found', status: 404, detail: `no route for ${c.req.method} ${c.req.path}` }),
  );
  app.onError((error, c) => {
    if (error instanceof ProblemError) {
      return problemResponse(c, { type: 'about:blank', title: error.title, status: error.status, ...error.extra } as Problem);
    }
    if (error instanceof HTTPException) {
      const status = error.status;
      const detail = error.message || 'request could not be processed';
      return problemResponse(c, { type: 'about:blank', title: titleOf(status), status, detail });
    }
    // A passing infrastructure failure (database or broker unavailable, deadlock): the one place it becomes a 503.
    if (isRetryable(error)) {
      logger.warn({ err: errorMessage(error), path: c.req.path, requestId: c.get('requestId' as never) }, 'transient failure answered 503');
      return problemResponse(c, {
        type: 'about:blank',
        title: 'Service Unavailable',
        status: 503,
        detail: 'a dependency is unavailable right now; retry shortly',
        retryAfterSeconds: 1,
      });
    }
    logger.error({ err: error, path: c.req.path, requestId: c.get('requestId' as never) }, 'unhandled error');
    return problemResponse(c, {
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'unexpected error; see the service log for the request id',
    });
  });
  return app;
}

/** How much of an oversized chunked body is read (and dropped) so its connection stays usable; past it, the connection is closed. */
const maxDrainedBytes = 16 * 1024 * 1024;

/**
 * A chunked request body as text, or null when it is over `limit` (read to its end all the same,
 * up to maxDrainedBytes more, so the connection can carry the next request) or the client went away.
 */
function readChunkedBody(incoming: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > limit + maxDrainedBytes) incoming.destroy();
    });
    incoming.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks).toString('utf8')));
    incoming.on('close', () => resolve(null)); // after 'end' this changes nothing; before it, the client is gone
    incoming.on('error', () => resolve(null));
  });
}

function titleOf(status: number): string {
  const titles: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    409: 'Conflict',
    413: 'Content Too Large',
    415: 'Unsupported Media Type',
    422: 'Unprocessable Content',
    503: 'Service Unavailable',
  };
  return titles[status] ?? 'Error';
}
