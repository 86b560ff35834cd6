import type { OpenAPIHono } from '@hono/zod-openapi';
import { createCachedKeySource } from '#shared/http/auth/key-source.ts';
import { createTokenVerifier, type TokenVerifier } from '#shared/http/auth/token-verifier.ts';
import { ProblemError } from '#shared/http/problem.ts';
import type { ServiceDeps } from '#shared/runtime/service-host.ts';
import { DEFAULT_ADMIN_PASSWORD, DEFAULT_DEMO_CUSTOMER_PASSWORD, issuerEnvFrom, type IssuerEnv } from './auth-settings.ts';
import * as routes from './auth.routes.ts';
import { createCustomerDirectory, CustomerDirectoryUnavailable, type CustomerDirectory } from './customer-directory.ts';
import { samePassword } from './passwords.ts';
import { createSigningKeys, type SigningKeys } from './signing-keys.ts';
import { createTokenIssuer, type TokenIssuer } from './token-issuer.ts';

export interface OrderAuth {
  settings: IssuerEnv;
  keys: SigningKeys;
  issuer: TokenIssuer;
  verifier: TokenVerifier;
  customers: CustomerDirectory;
  /** Read the key table again now (after a rotation on this process). */
  reloadKeys(): Promise<void>;
}

/**
 * The order service as the platform's token issuer: signing keys in its database, tokens for
 * customers that exist and for admins, the JWKS the other services verify with, and its own
 * verifier reading the same keys (no HTTP round trip to itself).
 */
export function createOrderAuth(deps: Pick<ServiceDeps, 'orm' | 'clock' | 'ids' | 'logger' | 'rawEnv'>): OrderAuth {
  const settings = issuerEnvFrom(deps.rawEnv);
  const keys = createSigningKeys({
    orm: deps.orm,
    clock: deps.clock,
    logger: deps.logger,
    // A retired key verifies as long as the longest-lived token it may have signed, plus the clock leeway.
    retiredKeyLifetimeMs: (settings.AUTH_TOKEN_TTL_S + settings.AUTH_CLOCK_TOLERANCE_S) * 1000,
  });
  const keySource = createCachedKeySource({
    load: async () => ({ keys: await keys.verificationKeys() }),
    maxAgeMs: settings.AUTH_KEY_CACHE_MS,
    cooldownMs: 200,
    onReloadFailed: (error) => deps.logger.warn({ err: error }, 'could not read the signing keys'),
  });
  const issuer = createTokenIssuer({
    keys,
    clock: deps.clock,
    ids: deps.ids,
    settings: {
      issuer: settings.AUTH_ISSUER,
      audience: settings.AUTH_AUDIENCE,
      rotateAfterMs: settings.AUTH_KEY_ROTATE_AFTER_S * 1000,
      keyCacheMs: settings.AUTH_KEY_CACHE_MS,
    },
    onRotated: () => void keySource.reload().catch(() => {}),
  });
  const verifier = createTokenVerifier({
    getKey: keySource.getKey,
    issuer: settings.AUTH_ISSUER,
    audience: settings.AUTH_AUDIENCE,
    clockToleranceS: settings.AUTH_CLOCK_TOLERANCE_S,
    clock: deps.clock,
  });
  const customers = createCustomerDirectory({
    paymentUrl: settings.PAYMENT_SERVICE_URL,
    issuer,
    serviceTokenTtlS: settings.AUTH_SERVICE_TOKEN_TTL_S,
  });
  if (settings.AUTH_MODE === 'on' && (settings.ADMIN_PASSWORD === DEFAULT_ADMIN_PASSWORD || settings.DEMO_CUSTOMER_PASSWORD === DEFAULT_DEMO_CUSTOMER_PASSWORD)) {
    deps.logger.warn('the demo passwords are in use (ADMIN_PASSWORD / DEMO_CUSTOMER_PASSWORD): fine on a laptop, not anywhere else');
  }

  return { settings, keys, issuer, verifier, customers, reloadKeys: () => keySource.reload() };
}

const invalidCredentials = () => new ProblemError(401, 'Unauthorized', 'invalid credentials');

export function addAuthRoutes(app: OpenAPIHono, auth: OrderAuth): void {
  const { settings } = auth;

  app.openapi(routes.issueToken, async (c) => {
    const request = c.req.valid('json');
    let subject: string;
    let role: 'admin' | 'customer';
    if ('admin' in request) {
      if (!samePassword(request.password, settings.ADMIN_PASSWORD)) throw invalidCredentials();
      subject = 'admin';
      role = 'admin';
    } else {
      if (!samePassword(request.password, settings.DEMO_CUSTOMER_PASSWORD)) throw invalidCredentials();
      // Only a real member gets a token: the customer must exist (have a credit account).
      let exists: boolean;
      try {
        exists = await auth.customers.exists(request.customerId);
      } catch (error) {
        if (error instanceof CustomerDirectoryUnavailable) throw new ProblemError(503, 'Service Unavailable', error.message);
        throw error;
      }
      if (!exists) throw invalidCredentials();
      subject = request.customerId.toLowerCase();
      role = 'customer';
    }
    const issued = await auth.issuer.issue({ subject, role, ttlS: settings.AUTH_TOKEN_TTL_S });
    c.header('cache-control', 'no-store');
    return c.json(
      {
        accessToken: issued.token,
        tokenType: 'Bearer' as const,
        expiresIn: settings.AUTH_TOKEN_TTL_S,
        expiresAt: issued.expiresAt.toISOString(),
        role,
        subject,
      },
      200,
    );
  });

  app.openapi(routes.listSigningKeys, async (c) => c.json({ items: await auth.keys.list() }, 200));

  app.openapi(routes.rotateSigningKey, async (c) => {
    const rotated = (await auth.keys.rotate({ revokePrevious: c.req.valid('json').revokePrevious }))!;
    auth.issuer.forgetKey();
    await auth.reloadKeys();
    return c.json({ ...rotated, keys: await auth.keys.list() }, 200);
  });

  app.openapi(routes.jwks, async (c) => {
    c.header('cache-control', 'public, max-age=60');
    return c.json({ keys: (await auth.keys.verificationKeys()) as { kid: string; kty: string; alg: string }[] }, 200);
  });
}
