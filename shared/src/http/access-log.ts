import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../observability/logger.ts';

// Probed every second or so by HAProxy, Prometheus and the scripts: at info they would drown the requests people make.
const probePaths = new Set(['/health', '/metrics']);

/**
 * One line per request once it is answered: method, path, status, milliseconds and the request id
 * (the same id the response's X-Request-Id header and any error line carry). Info level; the
 * health and metrics probes at debug.
 */
export function accessLog(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const ms = Math.round((performance.now() - started) * 10) / 10;
    const { method, path } = c.req;
    const status = c.res.status;
    const line = { method, path, status, ms, requestId: c.get('requestId' as never) as string | undefined };
    const message = `${method} ${path} ${status} ${ms} ms`;
    if (probePaths.has(path)) logger.debug(line, message);
    else logger.info(line, message);
  };
}
