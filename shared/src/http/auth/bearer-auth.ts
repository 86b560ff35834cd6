import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../../observability/logger.ts';
import { problemResponse } from '../create-app.ts';
import { accessMatcher, decide, type AccessRule } from './access-rules.ts';
import { authOffPrincipal, setPrincipal } from './principal.ts';
import type { TokenVerifier } from './token-verifier.ts';

export const AUTH_REALM = 'commerce-platform';

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 b64token), or null. */
export function bearerTokenOf(header: string | undefined | null): string | null {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header ?? '');
  return match ? match[1]! : null;
}

const quoted = (text: string) => text.replace(/["\\]/g, '');

/** 401 problem+json with the RFC 6750 challenge (no error code when no token was sent at all). */
export function unauthorized(c: Context, reason: string | null): Response {
  c.header(
    'WWW-Authenticate',
    reason === null ? `Bearer realm="${AUTH_REALM}"` : `Bearer realm="${AUTH_REALM}", error="invalid_token", error_description="${quoted(reason)}"`,
  );
  return problemResponse(c, {
    type: 'about:blank',
    title: 'Unauthorized',
    status: 401,
    detail: reason === null ? 'a bearer token is required (POST /api/v1/auth/tokens on the order service)' : reason,
  });
}

export function forbidden(c: Context, reason: string): Response {
  c.header('WWW-Authenticate', `Bearer realm="${AUTH_REALM}", error="insufficient_scope", error_description="${quoted(reason)}"`);
  return problemResponse(c, { type: 'about:blank', title: 'Forbidden', status: 403, detail: reason });
}

export function verificationUnavailable(c: Context, reason: string): Response {
  c.header('Retry-After', '5');
  return problemResponse(c, { type: 'about:blank', title: 'Service Unavailable', status: 503, detail: reason });
}

export interface BearerAuthOptions {
  mode: 'on' | 'off';
  verifier: TokenVerifier;
  rules: readonly AccessRule[];
  logger?: Logger;
}

/**
 * Authentication and the coarse authorization of every /api route in one place, before any
 * handler runs (so a refused request changes nothing): the route's rule is looked up (no rule →
 * admin only), the bearer token verified (401), and the rule applied to the caller (403). The
 * caller is left on the context for handlers that narrow what a customer sees.
 */
export function bearerAuth(options: BearerAuthOptions): MiddlewareHandler {
  const matcher = accessMatcher(options.rules);
  return async (c, next) => {
    const { access, params } = matcher.match(c.req.method, c.req.path);
    if (access.kind === 'public') return next();
    if (options.mode === 'off') {
      setPrincipal(c, authOffPrincipal);
      return next();
    }
    const token = bearerTokenOf(c.req.header('authorization'));
    if (token === null) return unauthorized(c, c.req.header('authorization') ? 'the Authorization header is not a bearer token' : null);
    const outcome = await options.verifier.verify(token);
    if (!outcome.ok) {
      options.logger?.debug({ path: c.req.path, reason: outcome.reason }, 'token refused');
      return outcome.kind === 'unavailable' ? verificationUnavailable(c, outcome.reason) : unauthorized(c, outcome.reason);
    }
    const decision = decide(access, outcome.principal, params);
    if (!decision.allowed) return forbidden(c, decision.reason);
    setPrincipal(c, outcome.principal);
    return next();
  };
}
