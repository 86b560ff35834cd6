import type { Logger } from '../../observability/logger.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { AuthEnv } from './auth-env.ts';
import { createCachedKeySource, fileJwksLoader, httpJwksLoader } from './key-source.ts';
import { createTokenVerifier, type TokenVerifier } from './token-verifier.ts';

/**
 * How the product and payment services verify: with the order service's published keys, fetched
 * from AUTH_JWKS_URL and cached (or read from AUTH_JWKS_FILE). Nothing is fetched at start-up, so
 * the services start in any order; the first request with a token loads the keys.
 */
export function jwksTokenVerifier(env: AuthEnv, deps: { clock: Clock; logger: Logger; fetch?: typeof fetch }): TokenVerifier {
  const source = env.AUTH_JWKS_FILE ?? env.AUTH_JWKS_URL;
  const keys = createCachedKeySource({
    load: env.AUTH_JWKS_FILE ? fileJwksLoader(env.AUTH_JWKS_FILE) : httpJwksLoader(env.AUTH_JWKS_URL, deps.fetch),
    maxAgeMs: env.AUTH_JWKS_MAX_AGE_MS,
    maxStaleMs: env.AUTH_JWKS_MAX_STALE_MS,
    cooldownMs: env.AUTH_JWKS_COOLDOWN_MS,
    onReloadFailed: (error) => deps.logger.warn({ err: error, source }, 'could not load the token verification keys'),
  });
  return createTokenVerifier({
    getKey: keys.getKey,
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE,
    clockToleranceS: env.AUTH_CLOCK_TOLERANCE_S,
    clock: deps.clock,
  });
}
