import { z } from 'zod';

const optionalText = z.preprocess((value) => (value === '' ? undefined : value), z.string().min(1).optional());
const msFromEnv = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

/**
 * How every service checks bearer tokens, parsed once at start-up next to the base environment.
 * Tokens are ES256 JWTs issued by the order service; the other services verify them with the keys
 * the order service publishes at `/.well-known/jwks.json`.
 */
export const authEnvSchema = z.object({
  /** `on` (default): every /api route needs a valid token. `off`: the open API of old, for local experiments only. */
  AUTH_MODE: z.enum(['on', 'off']).default('on'),
  AUTH_ISSUER: z.string().min(1).default('urn:commerce-platform:order-service'),
  AUTH_AUDIENCE: z.string().min(1).default('urn:commerce-platform:api'),
  /** The order service's key set, fetched over HTTP and cached (the default key source). */
  AUTH_JWKS_URL: z.url().default('http://127.0.0.1:8181/.well-known/jwks.json'),
  /** A JWKS file to verify with instead of AUTH_JWKS_URL (a shared public-key file: no HTTP at all). */
  AUTH_JWKS_FILE: optionalText,
  /** How long a fetched key set is used before it is fetched again. */
  AUTH_JWKS_MAX_AGE_MS: msFromEnv(300_000),
  /**
   * The longest a key set is used while it cannot be fetched again: then every token is refused
   * (503) until the JWKS answers. The bound on how long a revoked key verifies while the issuer is down.
   */
  AUTH_JWKS_MAX_STALE_MS: msFromEnv(600_000),
  /** Least time between two fetches caused by tokens with a key id the cached set does not have. */
  AUTH_JWKS_COOLDOWN_MS: msFromEnv(1_000),
  /** Leeway for exp / nbf between the issuer's clock and ours. */
  AUTH_CLOCK_TOLERANCE_S: z.coerce.number().int().min(0).max(300).default(5),
});

export type AuthEnv = z.infer<typeof authEnvSchema>;
