import { authEnvSchema } from '../http/auth/auth-env.ts';
import { describedShape } from './described-shape.ts';

/** How every service checks bearer tokens (shared/src/http/auth/auth-env.ts), with the descriptions the docs show. */
export const verificationEnvShape = describedShape(authEnvSchema.shape, {
  AUTH_MODE: 'on: every /api route needs a valid token. off: the open API of old, for local experiments only (logged as a warning).',
  AUTH_ISSUER: 'iss of the tokens the order service issues and every service accepts.',
  AUTH_AUDIENCE: 'aud of the tokens the order service issues and every service accepts.',
  AUTH_JWKS_URL: "The order service's published keys, fetched and cached by product and payment.",
  AUTH_JWKS_FILE: 'A JWKS file to verify with instead of AUTH_JWKS_URL (no HTTP at all).',
  AUTH_JWKS_MAX_AGE_MS: 'How long a fetched key set is used before it is fetched again.',
  AUTH_JWKS_MAX_STALE_MS: 'The longest a key set is used while it cannot be fetched again; then tokens are refused (503) until the JWKS answers.',
  AUTH_JWKS_COOLDOWN_MS: 'Least time between two fetches caused by tokens with a key id the cached set does not have.',
  AUTH_CLOCK_TOLERANCE_S: "Leeway for exp / nbf between the issuer's clock and ours.",
} as Record<string, string>);
