import { createRoute, z } from '@hono/zod-openapi';
import { problemResponses } from '#shared/http/problem.ts';
import { ROLES } from '#shared/http/auth/principal.ts';

const password = z.string().min(1).max(200).openapi({ example: 'customer-password' });

/** An operator's name in admin tokens, the saga history and the ledger. */
export const operatorName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'letters, digits and . _ @ - (at most 64)')
  .openapi({ example: 'ops-1' });

export const tokenRequestSchema = z
  .union([
    z.strictObject({
      customerId: z.guid().openapi({ example: '3fa85f64-5717-4562-b3fc-2c963f66afa6' }),
      password,
    }),
    z.strictObject({
      admin: z.literal(true),
      password: password.openapi({ example: 'admin-password' }),
      operator: operatorName.optional().openapi({ description: "The operator's name: the token's subject (default admin)" }),
    }),
  ])
  .openapi('TokenRequest', {
    description:
      "A customer (their own password; the seeded customers' is DEMO_CUSTOMER_PASSWORD outside production) or an operator (ADMIN_PASSWORD and their name). " +
      'Failed sign-ins are counted per account and per client address: 429 with Retry-After once an account is locked or an address blocked.',
  });

export const tokenSchema = z
  .object({
    accessToken: z.string().openapi({ description: 'ES256 JWT: send it as `Authorization: Bearer <accessToken>`' }),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().openapi({ description: 'Seconds' }),
    expiresAt: z.string(),
    role: z.enum(ROLES),
    subject: z.string(),
  })
  .openapi('AccessToken');

export const signingKeySchema = z
  .object({
    kid: z.string(),
    active: z.boolean().openapi({ description: 'The key that signs new tokens' }),
    createdAt: z.string(),
    retiredAt: z.string().nullable(),
    expiresAt: z.string().nullable().openapi({ description: 'When it stops verifying; null while it signs' }),
    verifying: z.boolean(),
  })
  .openapi('SigningKey');

export const issueToken = createRoute({
  method: 'post',
  operationId: 'issueToken',
  path: '/api/v1/auth/tokens',
  tags: ['Auth'],
  summary: 'Get an access token (local and demo use)',
  request: { body: { content: { 'application/json': { schema: tokenRequestSchema } }, required: true } },
  responses: {
    200: { description: 'A token', content: { 'application/json': { schema: tokenSchema } } },
    ...problemResponses(400, 401, 413, 415, 429, 503),
  },
});

export const setCustomerPassword = createRoute({
  method: 'put',
  operationId: 'setCustomerPassword',
  path: '/api/v1/customers/{customerId}/password',
  tags: ['Auth'],
  summary: "Set or reset a customer's password (operators)",
  description:
    'The customer must exist (the payment service knows them). The password is stored as an scrypt hash; the customer signs in with it from now on, and a lockout is lifted.',
  request: {
    params: z.object({ customerId: z.guid().openapi({ example: '3fa85f64-5717-4562-b3fc-2c963f66afa6' }) }),
    body: {
      content: { 'application/json': { schema: z.strictObject({ password: z.string().min(12).max(200) }).openapi('CustomerPassword') } },
      required: true,
    },
  },
  responses: {
    204: { description: 'Set' },
    ...problemResponses(400, 404, 413, 415, 503),
  },
});

export const listSigningKeys = createRoute({
  method: 'get',
  operationId: 'listSigningKeys',
  path: '/api/v1/auth/keys',
  tags: ['Auth'],
  summary: 'The signing keys: the active one and retired ones (no key material)',
  responses: {
    200: { description: 'Newest first', content: { 'application/json': { schema: z.object({ items: z.array(signingKeySchema) }) } } },
    ...problemResponses(503),
  },
});

export const rotateSigningKey = createRoute({
  method: 'post',
  operationId: 'rotateSigningKey',
  path: '/api/v1/auth/keys/rotation',
  tags: ['Auth'],
  summary: 'Rotate the signing key',
  description:
    'A new key signs from now on; the previous one keeps verifying until the tokens it signed have expired. ' +
    '`revokePrevious: true` (a leaked key): every earlier key, and every token it signed, stops verifying now ' +
    '(in the other services once their cached key set is refreshed, AUTH_JWKS_MAX_AGE_MS).',
  request: {
    body: {
      content: { 'application/json': { schema: z.strictObject({ revokePrevious: z.boolean().default(false) }).openapi('KeyRotation') } },
      required: true,
    },
  },
  responses: {
    200: {
      description: 'Rotated',
      content: { 'application/json': { schema: z.object({ kid: z.string(), retired: z.array(z.string()), keys: z.array(signingKeySchema) }) } },
    },
    ...problemResponses(400, 413, 415, 503),
  },
});

export const jwks = createRoute({
  method: 'get',
  operationId: 'getJwks',
  path: '/.well-known/jwks.json',
  tags: ['Auth'],
  summary: 'Public keys that verify the platform tokens (RFC 7517 JWK Set)',
  responses: {
    200: {
      description: 'The signing key and retired keys not yet expired',
      content: {
        'application/json': {
          schema: z
            .object({ keys: z.array(z.object({ kid: z.string(), kty: z.string(), alg: z.string() }).catchall(z.unknown())) })
            .openapi('JwkSet'),
        },
      },
    },
    ...problemResponses(503),
  },
});
