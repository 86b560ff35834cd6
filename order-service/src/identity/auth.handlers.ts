import type { RouteHandler } from '@hono/zod-openapi';
import { principalOf } from '#shared/http/auth/principal.ts';
import { notFound, ProblemError } from '#shared/http/problem.ts';
import type * as routes from './auth.routes.ts';
import { clientAddressOf } from './client-address.ts';
import { CustomerDirectoryUnavailable } from './customer-directory.ts';
import { signInProblem, type OrderAuth } from './identity.ts';
import { accountOf } from './sign-in.ts';

export function createAuthHandlers(auth: OrderAuth) {
  const { settings } = auth;

  const issueToken: RouteHandler<typeof routes.issueToken> = async (c) => {
    const outcome = await auth.signIn(c.req.valid('json'), clientAddressOf(c, settings.AUTH_TRUSTED_PROXIES));
    if (outcome.kind !== 'signed-in') throw signInProblem(outcome);
    const { role, subject } = outcome;
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
  };

  const setCustomerPassword: RouteHandler<typeof routes.setCustomerPassword> = async (c) => {
    const { customerId } = c.req.valid('param');
    try {
      if (!(await auth.customers.exists(customerId))) throw notFound('customer');
    } catch (error) {
      if (error instanceof CustomerDirectoryUnavailable) throw new ProblemError(503, 'Service Unavailable', error.message);
      throw error;
    }
    await auth.credentials.set(customerId, c.req.valid('json').password, principalOf(c).subject);
    await auth.throttle.succeeded(accountOf({ customerId, password: '' }));
    return c.body(null, 204);
  };

  const listSigningKeys: RouteHandler<typeof routes.listSigningKeys> = async (c) => {
    return c.json({ items: await auth.keys.list() }, 200);
  };

  const rotateSigningKey: RouteHandler<typeof routes.rotateSigningKey> = async (c) => {
    const rotated = (await auth.keys.rotate({ revokePrevious: c.req.valid('json').revokePrevious }))!;
    auth.issuer.forgetKey();
    await auth.reloadKeys();
    return c.json({ ...rotated, keys: await auth.keys.list() }, 200);
  };

  const jwks: RouteHandler<typeof routes.jwks> = async (c) => {
    c.header('cache-control', 'public, max-age=60');
    return c.json({ keys: (await auth.keys.verificationKeys()) as { kid: string; kty: string; alg: string }[] }, 200);
  };

  return { issueToken, setCustomerPassword, listSigningKeys, rotateSigningKey, jwks };
}
