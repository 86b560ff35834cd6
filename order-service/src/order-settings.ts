import { z } from 'zod';
import { describedShape } from '#shared/config/described-shape.ts';
import { serviceEnvSchema, SHARED_SETTING_PREFIXES } from '#shared/config/service-env.ts';
import type { ServiceSettings } from '#shared/config/service-settings.ts';
import { authEnvSchema } from '#shared/http/auth/auth-env.ts';
import { DEFAULT_ADMIN_PASSWORD, issuerEnvSchema } from './identity/auth-settings.ts';
import { orderService } from './order-service.ts';
import { reconcilerEnvSchema } from './console/reconciler/reconciler-env.ts';
import { sagaEnvShape } from './saga/saga-env.ts';

const issuerOnly = Object.fromEntries(Object.entries(issuerEnvSchema.shape).filter(([name]) => !(name in authEnvSchema.shape))) as Omit<
  typeof issuerEnvSchema.shape,
  keyof typeof authEnvSchema.shape
>;

/** Every variable the order service reads: the platform's, the token issuer's (identity/auth-settings.ts), the saga's. */
export const orderSettings = {
  service: orderService.name,
  schema: serviceEnvSchema(orderService)
    .extend(
      describedShape(issuerOnly, {
        ADMIN_PASSWORD:
          'Password that signs an operator in as admin (POST /api/v1/auth/tokens, /sagas), under the name they give. Set your own outside a laptop; NODE_ENV=production refuses the default.',
        AUTH_TOKEN_TTL_S: 'Lifetime of customer and admin tokens; also how long a retired key keeps verifying.',
        AUTH_SERVICE_TOKEN_TTL_S: "Lifetime of the order service's own tokens to other services.",
        AUTH_KEY_ROTATE_AFTER_S: 'A signing key older than this is rotated when the next token is issued (0: only by hand).',
        AUTH_KEY_CACHE_MS: "How long this process trusts its copy of the key table (other replicas' rotations show up within this).",
        PAYMENT_SERVICE_URL:
          "Where customers are checked to exist before a customer token is issued, and where the reconciler reads orders' money records (GET /api/v1/order-payments).",
      }),
    )
    .extend(sagaEnvShape)
    .extend(reconcilerEnvSchema.shape)
    .extend({
      TRACE_UI_URL: z
        .string()
        .includes('{traceId}', { message: 'expected a URL with {traceId} in it' })
        .optional()
        .meta({ description: 'Link from a saga page to its trace; {traceId} is replaced.', examples: ['http://localhost:16686/trace/{traceId}'] }),
    }),
  ownedPrefixes: [...SHARED_SETTING_PREFIXES, 'AUTH_', 'SAGA_'],
  // The demo customer password is not listed: in production no customer gets it (npm run password sets each one).
  secrets: [{ name: 'ADMIN_PASSWORD', defaults: [DEFAULT_ADMIN_PASSWORD] }],
} satisfies ServiceSettings;
