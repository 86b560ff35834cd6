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
  DEMO_CUSTOMER_PASSWORD: z
    .string()
    .min(1)
    .default(DEFAULT_DEMO_CUSTOMER_PASSWORD)
    .describe(
      "The seeded customers' first password, set once outside production (each customer's own is in customer_credential; npm run password resets one).",
    ),
  AUTH_LOGIN_MAX_FAILURES: z.coerce
    .number()
    .int()
    .min(1)
    .default(5)
    .describe('Wrong passwords for one account (a customer, or the admin) within AUTH_LOGIN_WINDOW_S before it is locked.'),
  AUTH_LOGIN_MAX_ADDRESS_FAILURES: z.coerce
    .number()
    .int()
    .min(1)
    .default(20)
    .describe('Wrong passwords from one client address within AUTH_LOGIN_WINDOW_S before the address is blocked.'),
  AUTH_LOGIN_MAX_ATTEMPTS_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(1)
    .default(60)
    .describe('Sign-in attempts of any outcome from one client address per minute.'),
  AUTH_LOGIN_WINDOW_S: seconds(900).describe('The window in which failed sign-ins are counted.'),
  AUTH_LOGIN_LOCKOUT_S: seconds(900).describe('How long a locked account or a blocked address waits (429 with Retry-After meanwhile).'),
  AUTH_TRUSTED_PROXIES: z
    .string()
    .default('')
    .describe(
      'Proxies whose X-Forwarded-For names the client of a sign-in: comma separated addresses, or * where only a proxy can reach the service.',
    )
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    ),
  AUTH_SAGA_PAGES_TTL_S: seconds(900).describe("Lifetime of the saga pages' read-only session cookie."),
  /** Lifetime of customer and admin tokens; also how long a retired key keeps verifying. */
  AUTH_TOKEN_TTL_S: seconds(3600),
  /** Lifetime of the order service's own tokens to other services. */
  AUTH_SERVICE_TOKEN_TTL_S: seconds(60),
  /** A signing key older than this is rotated when the next token is issued (0: only by hand). */
  AUTH_KEY_ROTATE_AFTER_S: z.coerce
    .number()
    .int()
    .min(0)
    .default(30 * 24 * 3600),
  /** How long this process trusts its copy of the key table (other replicas' rotations show up within this). */
  AUTH_KEY_CACHE_MS: z.coerce.number().int().min(0).default(5_000),
  /** Where customers are checked to exist before a customer token is issued (and the reconciler reads orders' money). */
  PAYMENT_SERVICE_URL: z.url().default('http://127.0.0.1:8183'),
});

export type IssuerEnv = z.infer<typeof issuerEnvSchema>;

export const issuerEnvFrom = (rawEnv: Record<string, string | undefined>): IssuerEnv => parseEnv(issuerEnvSchema, rawEnv);
