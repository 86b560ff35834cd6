import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet } from 'jose';
import { describe, expect, it } from 'vitest';
import { createCachedKeySource } from '../../src/http/auth/key-source.ts';
import { createTokenVerifier, type VerifyOutcome } from '../../src/http/auth/token-verifier.ts';
import { createTestIssuer, signTestToken, type TokenSpec } from '../../../tests/support/test-issuer.ts';

const issuer = 'urn:commerce-platform:order-service';
const audience = 'urn:commerce-platform:api';
const fixedClock = (at: Date) => ({ now: () => at });

async function verifierFor(jwks: JSONWebKeySet, options: { now?: Date; toleranceS?: number } = {}) {
  const keys = createCachedKeySource({ load: async () => jwks, maxAgeMs: 60_000, cooldownMs: 0 });
  return createTokenVerifier({
    getKey: keys.getKey,
    issuer,
    audience,
    clockToleranceS: options.toleranceS ?? 5,
    clock: fixedClock(options.now ?? new Date()),
  });
}

const reasonOf = (outcome: VerifyOutcome) => (outcome.ok ? 'ok' : `${outcome.kind}: ${outcome.reason}`);

describe('token verifier (ES256, iss, aud, exp, nbf, role)', async () => {
  const platform = await createTestIssuer('platform-key');
  const stranger = await createTestIssuer('stranger-key');
  const verifier = await verifierFor(platform.jwks);

  it('accepts a token of the platform key and tells who is calling', async () => {
    const token = await platform.sign({ role: 'customer', subject: '3fa85f64-5717-4562-b3fc-2c963f66afa6' });
    const outcome = await verifier.verify(token);
    expect(outcome).toMatchObject({ ok: true, principal: { role: 'customer', subject: '3fa85f64-5717-4562-b3fc-2c963f66afa6' } });
  });

  it.each<[string, Partial<TokenSpec>, RegExp]>([
    ['expired', { expiresInS: -60 }, /expired/],
    ['not valid yet', { notBeforeInS: 120 }, /not valid yet/],
    ['another issuer', { issuer: 'urn:someone-else' }, /"iss" claim/],
    ['another audience', { audience: 'urn:another-api' }, /"aud" claim/],
    ['without exp', { omit: ['exp'] }, /"exp" claim is missing/],
    ['without nbf', { omit: ['nbf'] }, /"nbf" claim is missing/],
    ['without a subject', { omit: ['sub'] }, /"sub" claim is missing/],
    ['with an unknown role', { role: 'superuser' }, /no known role/],
  ])('refuses a token %s', async (_, spec, reason) => {
    const token = await platform.sign({ role: 'admin', subject: 'admin', ...spec });
    const outcome = await verifier.verify(token);
    expect(outcome.ok).toBe(false);
    expect(reasonOf(outcome)).toMatch(reason);
  });

  it('allows the configured clock skew on exp and nbf, and no more', async () => {
    const token = await platform.sign({ role: 'admin', subject: 'admin', expiresInS: 10 });
    const in13s = await verifierFor(platform.jwks, { now: new Date(Date.now() + 13_000) });
    const in20s = await verifierFor(platform.jwks, { now: new Date(Date.now() + 20_000) });
    expect((await in13s.verify(token)).ok).toBe(true);
    expect(reasonOf(await in20s.verify(token))).toMatch(/expired/);
  });

  it("refuses a stranger's signature, also under the platform key's kid", async () => {
    expect(reasonOf(await verifier.verify(await stranger.sign({ role: 'admin', subject: 'admin' })))).toMatch(/not signed by a known key/);
    const forged = await signTestToken(stranger.privateKey, 'platform-key', { role: 'admin', subject: 'admin' });
    expect(reasonOf(await verifier.verify(forged))).toMatch(/signature does not verify/);
  });

  it('refuses unsigned tokens, HMAC tokens and garbage', async () => {
    const claims = { role: 'admin', sub: 'admin', iss: issuer, aud: audience, exp: Math.floor(Date.now() / 1000) + 60, nbf: 0 };
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${b64({ alg: 'none', kid: 'platform-key' })}.${b64(claims)}.`;
    // HMAC with the public key as the secret: the classic algorithm confusion.
    const secret = new TextEncoder().encode(JSON.stringify(platform.jwks.keys[0]));
    const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'platform-key' }).sign(secret);
    for (const token of [unsigned, hmac, 'not-a-jwt', `${b64({ alg: 'ES256' })}.e30.AAAA`]) {
      const outcome = await verifier.verify(token);
      expect(outcome.ok, token).toBe(false);
      expect(outcome.ok ? '' : outcome.kind).toBe('invalid');
    }
  });
});

describe('cached key source', () => {
  async function keyPair(kid: string) {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } };
  }

  it('loads again for an unknown kid (a rotation), keeps the retired key, and waits out the cooldown instead of refusing', async () => {
    const first = await keyPair('k1');
    const second = await keyPair('k2');
    let published: JSONWebKeySet = { keys: [first.jwk] };
    const loadedAt: number[] = [];
    const keys = createCachedKeySource({
      load: async () => {
        loadedAt.push(Date.now());
        return published;
      },
      maxAgeMs: 60_000,
      cooldownMs: 150,
    });
    const verifier = createTokenVerifier({ getKey: keys.getKey, issuer, audience, clockToleranceS: 0, clock: { now: () => new Date() } });
    const oldToken = await signTestToken(first.privateKey, 'k1', { role: 'admin', subject: 'admin' });
    expect((await verifier.verify(oldToken)).ok).toBe(true);
    expect(loadedAt).toHaveLength(1);

    published = { keys: [second.jwk, first.jwk] }; // rotated: k2 signs, k1 still verifies
    const newToken = await signTestToken(second.privateKey, 'k2', { role: 'admin', subject: 'admin' });
    expect((await verifier.verify(newToken)).ok).toBe(true);
    expect(loadedAt).toHaveLength(2);
    expect(loadedAt[1]! - loadedAt[0]!).toBeGreaterThanOrEqual(145); // waited out the cooldown, then loaded
    expect((await verifier.verify(oldToken)).ok).toBe(true);
    expect(loadedAt).toHaveLength(2);
  });

  it('shares one load between concurrent requests and keeps a stale set (within maxStaleMs) when a reload fails', async () => {
    const key = await keyPair('k1');
    let loads = 0;
    let failing = false;
    let now = 0;
    const keys = createCachedKeySource({
      load: async () => {
        loads++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (failing) throw new Error('issuer down');
        return { keys: [key.jwk] };
      },
      maxAgeMs: 1_000,
      cooldownMs: 0,
      now: () => now,
    });
    const verifier = createTokenVerifier({ getKey: keys.getKey, issuer, audience, clockToleranceS: 0, clock: { now: () => new Date() } });
    const token = await signTestToken(key.privateKey, 'k1', { role: 'admin', subject: 'admin' });
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => verifier.verify(token)));
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(loads).toBe(1);
    failing = true;
    now = 1_500; // stale, within the default bound (2 × maxAgeMs): loads again, fails, goes on with what it had
    expect((await verifier.verify(token)).ok).toBe(true);
    expect(loads).toBe(2);
  });

  it('answers "unavailable" (503), not "invalid", when no key set could ever be loaded', async () => {
    const keys = createCachedKeySource({ load: async () => Promise.reject(new Error('connection refused')), maxAgeMs: 1_000, cooldownMs: 0 });
    const verifier = createTokenVerifier({ getKey: keys.getKey, issuer, audience, clockToleranceS: 0, clock: { now: () => new Date() } });
    const key = await keyPair('k1');
    const outcome = await verifier.verify(await signTestToken(key.privateKey, 'k1', { role: 'admin', subject: 'admin' }));
    expect(outcome).toMatchObject({ ok: false, kind: 'unavailable' });
  });
});

describe('cached key source: revocation fails closed', () => {
  async function keyPair(kid: string) {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } };
  }

  it('stops verifying a stale set once it is maxStaleMs old while the issuer is down, retrying with backoff, not per request', async () => {
    const key = await keyPair('k1');
    let loads = 0;
    let down = false;
    let now = 0;
    const keys = createCachedKeySource({
      load: async () => {
        loads++;
        if (down) throw new Error('connection refused');
        return { keys: [key.jwk] };
      },
      maxAgeMs: 1_000,
      maxStaleMs: 5_000,
      cooldownMs: 0,
      retryDelayMs: 400,
      maxRetryDelayMs: 400,
      now: () => now,
    });
    const verifier = createTokenVerifier({ getKey: keys.getKey, issuer, audience, clockToleranceS: 0, clock: { now: () => new Date() } });
    const token = await signTestToken(key.privateKey, 'k1', { role: 'admin', subject: 'admin' });
    expect((await verifier.verify(token)).ok).toBe(true);
    down = true;
    now = 2_000; // stale, within the bound: goes on verifying while it tries again
    for (let i = 0; i < 20; i++) expect((await verifier.verify(token)).ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(loads).toBe(2); // one retry, then the backoff: not one load per request
    now = 2_500;
    await verifier.verify(token);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(loads).toBe(3);
    now = 5_001; // past maxStaleMs: refused as unavailable, whatever the token
    expect(await verifier.verify(token)).toMatchObject({ ok: false, kind: 'unavailable' });
    down = false;
    now = 6_000; // the issuer answers again: verifies again
    expect((await verifier.verify(token)).ok).toBe(true);
  });

  it('refuses a retired key at its published exp, without a new load', async () => {
    const key = await keyPair('k1');
    let now = 1_000_000;
    const keys = createCachedKeySource({
      load: async () => ({ keys: [{ ...key.jwk, exp: 1_010 }] }),
      maxAgeMs: 60_000,
      cooldownMs: 0,
      now: () => now,
    });
    const verifier = createTokenVerifier({ getKey: keys.getKey, issuer, audience, clockToleranceS: 0, clock: { now: () => new Date() } });
    const token = await signTestToken(key.privateKey, 'k1', { role: 'admin', subject: 'admin' });
    expect((await verifier.verify(token)).ok).toBe(true);
    now = 1_010_000;
    expect(await verifier.verify(token)).toMatchObject({ ok: false, kind: 'invalid' });
  });
});
