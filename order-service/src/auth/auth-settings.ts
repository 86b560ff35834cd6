import { z } from 'zod';
import { authEnvSchema } from '#shared/http/auth/auth-env.ts';
import { parseEnv } from '#shared/config/env.ts';

const seconds = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

/** The demo passwords a fresh checkout starts with (README, Security); set your own outside a laptop. */
export const DEFAULT_ADMIN_PASSWORD = 'admin-password';
export const DEFAULT_DEMO_CUSTOMER_PASSWORD = 'customer-password';

/** What the order service needs to issue tokens, on top of what every service needs to verify them. */
export const issuerEnvSchema = authEnvSchema.extend({
  ADMIN_PASSWORD: z.string().min(1).default(DEFAULT_ADMIN_PASSWORD),
  /** One demo password for every seeded customer (there is no user store yet). */
  DEMO_CUSTOMER_PASSWORD: z.string().min(1).default(DEFAULT_DEMO_CUSTOMER_PASSWORD),
  /** Lifetime of customer and admin tokens; also how long a retired key keeps verifying. */
  AUTH_TOKEN_TTL_S: seconds(3600),
  /** Lifetime of the order service's own tokens to other services. */
  AUTH_SERVICE_TOKEN_TTL_S: seconds(60),
  /** A signing key older than this is rotated when the next token is issued (0: only by hand). */
  AUTH_KEY_ROTATE_AFTER_S: z.coerce.number().int().min(0).default(30 * 24 * 3600),
  /** How long this process trusts its copy of the key table (other replicas' rotations show up within this). */
  AUTH_KEY_CACHE_MS: z.coerce.number().int().min(0).default(5_000),
  /** Where customers are checked to exist before a customer token is issued. */
  PAYMENT_SERVICE_URL: z.url().default('http://127.0.0.1:8183'),
});

export type IssuerEnv = z.infer<typeof issuerEnvSchema>;

export const issuerEnvFrom = (rawEnv: Record<string, string | undefined>): IssuerEnv => parseEnv(issuerEnvSchema, rawEnv);
