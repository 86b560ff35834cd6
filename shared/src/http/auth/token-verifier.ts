import { decodeProtectedHeader, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../../runtime/clock.ts';
import { KeySourceUnavailable } from './key-source.ts';
import { ROLES, type Principal, type Role } from './principal.ts';

/** The one signature algorithm the platform issues and accepts (no `none`, no HMAC confusion). */
export const TOKEN_ALGORITHM = 'ES256';

export type VerifyOutcome =
  | { ok: true; principal: Principal }
  /** 401: the token is missing something, expired, not yet valid, or not ours. */
  | { ok: false; kind: 'invalid'; reason: string }
  /** 503: the keys to check it with could not be had. */
  | { ok: false; kind: 'unavailable'; reason: string };

export interface TokenVerifier {
  verify(token: string): Promise<VerifyOutcome>;
}

export interface TokenVerifierOptions {
  getKey: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  clockToleranceS: number;
  clock: Clock;
}

/**
 * Checks a bearer token: ES256 signature by a key of the issuer's set (chosen by `kid`), `exp`
 * and `nbf` (both required) against the injected clock with a small tolerance, `iss`, `aud`, and a
 * known `role` with a non-empty `sub`.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  // A client sends the same token with every request until it expires: its signature is checked
  // once (an ES256 verification costs more than the rest of a request), and every later request
  // checks only what can change — the time window, and that its key is still one the issuer's set
  // verifies with (revoked or retired: the cached result is dropped and the token refused).
  const verified = new Map<string, { principal: Principal; key: unknown; notBeforeS: number; expiresS: number }>();
  const maxCached = 10_000;

  async function fromCache(token: string): Promise<VerifyOutcome | null> {
    const entry = verified.get(token);
    if (!entry) return null;
    const nowS = options.clock.now().getTime() / 1000;
    const tolerance = options.clockToleranceS;
    if (nowS < entry.notBeforeS - tolerance || nowS > entry.expiresS + tolerance) {
      verified.delete(token);
      return null; // the full check says why
    }
    let key: unknown;
    try {
      key = await (options.getKey as (header: unknown, token: unknown) => Promise<unknown>)(decodeProtectedHeader(token), {
        payload: '',
        signature: '',
      });
    } catch {
      verified.delete(token);
      return null;
    }
    if (key !== entry.key) {
      verified.delete(token);
      return null;
    }
    return { ok: true, principal: entry.principal };
  }

  return {
    async verify(token) {
      const cached = await fromCache(token);
      if (cached) return cached;
      try {
        let key: unknown;
        const getKey: JWTVerifyGetKey = async (header, jws) => (key = await options.getKey(header, jws));
        const { payload } = await jwtVerify(token, getKey, {
          algorithms: [TOKEN_ALGORITHM],
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: options.clockToleranceS,
          currentDate: options.clock.now(),
          requiredClaims: ['exp', 'nbf', 'sub'],
        });
        const role = payload.role;
        if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
          return { ok: false, kind: 'invalid', reason: 'the token has no known role' };
        }
        if (!payload.sub) return { ok: false, kind: 'invalid', reason: 'the token has no subject' };
        const principal: Principal = { role: role as Role, subject: payload.sub, tokenId: payload.jti, expiresAt: new Date(payload.exp! * 1000) };
        if (verified.size >= maxCached) verified.delete(verified.keys().next().value!);
        verified.set(token, { principal, key, notBeforeS: payload.nbf!, expiresS: payload.exp! });
        return { ok: true, principal };
      } catch (error) {
        if (error instanceof KeySourceUnavailable) return { ok: false, kind: 'unavailable', reason: error.message };
        return { ok: false, kind: 'invalid', reason: reasonOf(error) };
      }
    },
  };
}

function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' && error.reason === 'check_failed') return 'the token is not valid yet';
    return `the token's "${error.claim}" claim is ${error.reason === 'missing' ? 'missing' : 'not accepted here'}`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey) return 'the token was not signed by a known key';
  if (error instanceof errors.JWKSMultipleMatchingKeys) return 'the token does not name its key';
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return 'the token algorithm is not accepted';
  return 'the token is malformed';
}
