import type { MiddlewareHandler } from 'hono';
import { contextFromHeaders, recordError, SpanKind, SpanStatusCode, type Tracing } from './tracing.ts';

/** Paths scraped or probed every few seconds: no trace for them. */
const untraced = (path: string) => path === '/metrics' || path === '/health' || path.startsWith('/health/') || path.startsWith('/sagas/assets/');

/**
 * A SERVER span per request, child of the caller's `traceparent` if it sent one. Named
 * "METHOD /route/{param}" once the route is known (never the raw path: it holds ids).
 * Only installed when tracing is on.
 */
export function httpServerSpans(tracing: Tracing): MiddlewareHandler {
  return async (c, next) => {
    if (untraced(c.req.path)) return next();
    const method = c.req.method;
    const traceparent = c.req.header('traceparent');
    const parent = contextFromHeaders(traceparent ? { traceparent, tracestate: c.req.header('tracestate') } : null);
    await tracing.inSpan(
      method,
      {
        kind: SpanKind.SERVER,
        parent,
        attributes: { 'http.request.method': method, 'url.path': c.req.path, 'url.scheme': 'http' },
      },
      async (span) => {
        await next();
        if (!span) return;
        const route = c.req.routePath || 'unmatched';
        span.updateName(`${method} ${route}`);
        span.setAttribute('http.route', route);
        span.setAttribute('http.response.status_code', c.res.status);
        if (c.error) recordError(span, c.error);
        else if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      },
    );
  };
}
