import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { describe, expect, it } from 'vitest';
import {
  accessMatcher,
  adminOnly,
  adminOrService,
  anyRole,
  decide,
  ownCustomer,
  publicRoute,
  scopedToCustomer,
  type AccessRule,
} from '../../src/http/auth/access-rules.ts';
import { bearerAuth, bearerTokenOf } from '../../src/http/auth/bearer-auth.ts';
import { createCachedKeySource } from '../../src/http/auth/key-source.ts';
import { principalOf, type Principal } from '../../src/http/auth/principal.ts';
import { createTokenVerifier } from '../../src/http/auth/token-verifier.ts';
import { createApp } from '../../src/http/create-app.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetricsRegistry } from '../../src/observability/metrics.ts';
import { createTestIssuer } from '../../../tests/support/test-issuer.ts';

const customerA = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
const customerB = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const as = (role: Principal['role'], subject = role as string): Principal => ({ role, subject });

const rules: AccessRule[] = [
  { method: 'POST', path: '/api/v1/auth/tokens', access: publicRoute },
  { method: 'GET', path: '/api/v1/credits/ledger-check', access: adminOnly },
  { method: 'GET', path: '/api/v1/credits/{customerId}', access: ownCustomer('customerId') },
  { method: 'GET', path: '/api/v1/products', access: anyRole },
  { method: 'GET', path: '/api/v1/orders/{id}', access: scopedToCustomer },
  { method: 'GET', path: '/api/v1/customers/{customerId}', access: adminOrService },
];

describe('access rules', () => {
  const matcher = accessMatcher(rules);

  it('finds the first rule matching method and path; a literal path listed first wins over a parameter', () => {
    expect(matcher.match('GET', '/api/v1/credits/ledger-check').access).toBe(adminOnly);
    expect(matcher.match('GET', `/api/v1/credits/${customerA}`)).toMatchObject({
      access: { kind: 'own-customer' },
      params: { customerId: customerA },
    });
    expect(matcher.match('HEAD', '/api/v1/products').access).toBe(anyRole);
  });

  it('leaves a route without a rule to admins: other methods, trailing slashes, deeper paths', () => {
    for (const [method, path] of [
      ['POST', '/api/v1/products'],
      ['GET', '/api/v1/products/'],
      ['GET', `/api/v1/credits/${customerA}/extra`],
      ['GET', '/api/v1/unknown'],
    ] as const) {
      expect(matcher.match(method, path)).toMatchObject({ rule: null, access: adminOnly });
    }
  });

  it('decodes parameters, so an encoded customer id is still that customer', () => {
    const encoded = `/api/v1/credits/${encodeURIComponent(customerA).replace('3', '%33')}`;
    expect(matcher.match('GET', encoded).params.customerId).toBe(customerA);
  });

  it('decides per kind of access', () => {
    const own = ownCustomer('customerId');
    expect(decide(own, as('customer', customerA), { customerId: customerA }).allowed).toBe(true);
    expect(decide(own, as('customer', customerA), { customerId: customerA.toUpperCase() }).allowed).toBe(true);
    expect(decide(own, as('customer', customerA), { customerId: customerB }).allowed).toBe(false);
    expect(decide(own, as('admin'), { customerId: customerB }).allowed).toBe(true);
    expect(decide(own, as('service'), { customerId: customerB }).allowed).toBe(false);
    expect(decide(adminOnly, as('customer', customerA), {}).allowed).toBe(false);
    expect(decide(adminOrService, as('service'), {}).allowed).toBe(true);
    expect(decide(adminOrService, as('customer', customerA), {}).allowed).toBe(false);
    expect(decide(scopedToCustomer, as('customer', customerA), {}).allowed).toBe(true);
    expect(decide(scopedToCustomer, as('service'), {}).allowed).toBe(false);
    expect(decide(anyRole, as('service'), {}).allowed).toBe(true);
  });

  it('reads only well-formed bearer headers', () => {
    expect(bearerTokenOf('Bearer abc.def-ghi_j')).toBe('abc.def-ghi_j');
    expect(bearerTokenOf('bearer abc')).toBe('abc');
    for (const header of [undefined, '', 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'Bearer "abc"']) expect(bearerTokenOf(header)).toBeNull();
  });
});

describe('bearer authentication middleware', async () => {
  const issuer = await createTestIssuer();
  const keys = createCachedKeySource({ load: async () => issuer.jwks, maxAgeMs: 60_000, cooldownMs: 0 });
  const verifier = createTokenVerifier({
    getKey: keys.getKey,
    issuer: 'urn:commerce-platform:order-service',
    audience: 'urn:commerce-platform:api',
    clockToleranceS: 0,
    clock: { now: () => new Date() },
  });

  function appWith(mode: 'on' | 'off') {
    const app = createApp({ logger: createLogger('auth-test', 'silent'), metrics: createMetricsRegistry('auth-test') }) as OpenAPIHono;
    app.use('/api/*', bearerAuth({ mode, verifier, rules }));
    const echo = (c: Context) => c.json(principalOf(c));
    app.get('/api/v1/credits/:customerId', echo);
    app.get('/api/v1/products', echo);
    app.post('/api/v1/auth/tokens', (c) => c.json({ public: true }));
    app.get('/api/v1/secret', echo);
    return app;
  }
  const on = appWith('on');

  it('401 without a token: problem+json and a bare Bearer challenge', async () => {
    const response = await on.request('/api/v1/products');
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="commerce-platform"');
    expect(await response.json()).toMatchObject({ status: 401, title: 'Unauthorized', instance: '/api/v1/products' });
  });

  it('401 with a bad token, naming the error in the challenge', async () => {
    const expired = await issuer.sign({ role: 'admin', subject: 'admin', expiresInS: -10 });
    const response = await on.request('/api/v1/products', { headers: { authorization: `Bearer ${expired}` } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="commerce-platform", error="invalid_token", error_description="the token has expired"$/,
    );
    const basic = await on.request('/api/v1/products', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.status).toBe(401);
  });

  it('403 for a valid token without the right, with insufficient_scope', async () => {
    const customer = await issuer.headers('customer', customerA);
    const other = await on.request(`/api/v1/credits/${customerB}`, { headers: customer });
    expect(other.status).toBe(403);
    expect(other.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect((await on.request('/api/v1/secret', { headers: customer })).status).toBe(403);
    expect(await (await on.request(`/api/v1/credits/${customerA}`, { headers: customer })).json()).toMatchObject({
      role: 'customer',
      subject: customerA,
    });
  });

  it('lets public routes through without a token, and everything through with AUTH_MODE=off', async () => {
    expect((await on.request('/api/v1/auth/tokens', { method: 'POST' })).status).toBe(200);
    const off = appWith('off');
    const response = await off.request('/api/v1/secret');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ role: 'admin' });
  });
});
