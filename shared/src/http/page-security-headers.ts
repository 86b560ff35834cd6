import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/**
 * The browser-facing headers of every response (the saga pages, Swagger UI, and the API alike):
 * a Content-Security-Policy that runs only scripts served by this service (no inline script, no
 * eval), so a string that slips into a page as markup cannot execute; no framing
 * (frame-ancestors 'none', clickjacking); nosniff; no referrer. Inline style attributes stay
 * allowed: Swagger UI sets them, and a style cannot run code.
 */
export function pageSecurityHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    xFrameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    // HSTS belongs to whoever terminates TLS (a proxy); over plain HTTP on a laptop it means nothing.
    strictTransportSecurity: false,
  });
}
