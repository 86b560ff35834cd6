import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JSONWebKeySet } from 'jose';
import { authEnvSchema } from '#shared/http/auth/auth-env.ts';
import type { Role } from '#shared/http/auth/principal.ts';

const defaults = authEnvSchema.parse({});

export interface TokenSpec {
  /** A role, or any other string (tokens with roles nobody knows must be refused). */
  role: Role | (string & {});
  subject: string;
  /** Seconds from now; negative: already expired. Default 300. */
  expiresInS?: number;
  /** Seconds from now the token becomes valid (nbf); default now. */
  notBeforeInS?: number;
  issuer?: string;
  audience?: string;
  /** Header key id; default the issuer's own. */
  kid?: string;
  /** Claims left out (to test that they are required). */
  omit?: ('exp' | 'nbf' | 'sub' | 'role')[];
}

/** Signs a token with any ES256 private key: the platform's own (read from its database) or a stranger's. */
export async function signTestToken(privateKey: CryptoKey, kid: string, spec: TokenSpec): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const omit = new Set(spec.omit ?? []);
  const jwt = new SignJWT(omit.has('role') ? {} : { role: spec.role })
    .setProtectedHeader({ alg: 'ES256', kid: spec.kid ?? kid, typ: 'JWT' })
    .setIssuer(spec.issuer ?? defaults.AUTH_ISSUER)
    .setAudience(spec.audience ?? defaults.AUTH_AUDIENCE)
    .setIssuedAt(now)
    .setJti(crypto.randomUUID());
  if (!omit.has('sub')) jwt.setSubject(spec.subject);
  if (!omit.has('nbf')) jwt.setNotBefore(now + (spec.notBeforeInS ?? 0));
  if (!omit.has('exp')) jwt.setExpirationTime(now + (spec.expiresInS ?? 300));
  return jwt.sign(privateKey);
}

export async function privateKeyOf(jwk: JWK): Promise<CryptoKey> {
  return (await importJWK(jwk, 'ES256')) as CryptoKey;
}

export interface TestIssuer {
  kid: string;
  jwks: JSONWebKeySet;
  privateKey: CryptoKey;
  sign(spec: TokenSpec): Promise<string>;
  /** Env for an in-process service that should trust this issuer (a JWKS file; no order service needed). */
  env: Record<string, string>;
  /** `Authorization` header with a token of this role (cached). */
  headers(role?: Role, subject?: string): Promise<Record<string, string>>;
}

/** A key pair of the test's own, published as a JWKS file: for services tested without the order service. */
export async function createTestIssuer(kid = `test-${crypto.randomUUID().slice(0, 8)}`): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwks: JSONWebKeySet = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  const file = join(mkdtempSync(join(tmpdir(), 'test-jwks-')), 'jwks.json');
  writeFileSync(file, JSON.stringify(jwks));
  const cached = new Map<string, Promise<string>>();
  return {
    kid,
    jwks,
    privateKey,
    sign: (spec) => signTestToken(privateKey, kid, spec),
    env: { AUTH_JWKS_FILE: file, AUTH_MODE: 'on' },
    async headers(role = 'admin', subject = role) {
      const key = `${role}:${subject}`;
      if (!cached.has(key)) cached.set(key, signTestToken(privateKey, kid, { role, subject, expiresInS: 3600 }));
      return { authorization: `Bearer ${await cached.get(key)!}` };
    },
  };
}

let shared: Promise<TestIssuer> | null = null;

/** One test issuer per test process. */
export const sharedTestIssuer = (): Promise<TestIssuer> => (shared ??= createTestIssuer());
