import { SignJWT } from 'jose';
import type { Role } from '#shared/http/auth/principal.ts';
import { TOKEN_ALGORITHM } from '#shared/http/auth/token-verifier.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import type { Ids } from '#shared/runtime/ids.ts';
import type { SigningKey, SigningKeys } from './signing-keys.ts';

export interface IssuedToken {
  token: string;
  kid: string;
  role: Role;
  subject: string;
  issuedAt: Date;
  expiresAt: Date;
}

export interface TokenIssuerSettings {
  issuer: string;
  audience: string;
  /** A signing key older than this is rotated before it signs again (0: never by age). */
  rotateAfterMs: number;
  /** How long the signing key read from the database is reused before reading it again. */
  keyCacheMs: number;
}

/**
 * Signs access tokens with the active key: ES256, `kid` in the header; `iss`, `aud`, `sub`, `role`,
 * `iat` = `nbf`, `exp`, and a `jti`.
 */
export function createTokenIssuer(deps: { keys: SigningKeys; clock: Clock; ids: Ids; settings: TokenIssuerSettings; onRotated?: () => void }) {
  let cached: { key: SigningKey; readAt: number } | null = null;

  async function signingKey(): Promise<SigningKey> {
    const now = deps.clock.now().getTime();
    if (cached && now - cached.readAt <= deps.settings.keyCacheMs) return cached.key;
    let key = await deps.keys.active();
    if (deps.settings.rotateAfterMs > 0 && now - key.createdAt.getTime() > deps.settings.rotateAfterMs) {
      if (await deps.keys.rotate({ onlyIfActive: key.kid })) deps.onRotated?.();
      key = await deps.keys.active();
    }
    cached = { key, readAt: now };
    return key;
  }

  async function sign(claims: Record<string, unknown>, subject: string, audience: string, ttlS: number) {
    const key = await signingKey();
    const issuedAt = deps.clock.now();
    const iat = Math.floor(issuedAt.getTime() / 1000);
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: key.kid, typ: 'JWT' })
      .setIssuer(deps.settings.issuer)
      .setAudience(audience)
      .setSubject(subject)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + ttlS)
      .setJti(deps.ids.next())
      .sign(key.privateKey);
    return { token, kid: key.kid, issuedAt, expiresAt: new Date((iat + ttlS) * 1000) };
  }

  return {
    /** An access token of the API (the platform's audience, a role). */
    async issue(claims: { subject: string; role: Role; ttlS: number }): Promise<IssuedToken> {
      const signed = await sign({ role: claims.role }, claims.subject, deps.settings.audience, claims.ttlS);
      return { ...signed, role: claims.role, subject: claims.subject };
    },
    /**
     * A token that is not for the API: another audience and a scope instead of a role, so every
     * API verifier refuses it (the saga pages' read-only session, see saga-pages-session.ts).
     */
    async issueScoped(claims: { subject: string; audience: string; scope: string; ttlS: number }) {
      return sign({ scope: claims.scope }, claims.subject, claims.audience, claims.ttlS);
    },
    /** Forget the cached signer (after a rotation on this process). */
    forgetKey() {
      cached = null;
    },
  };
}

export type TokenIssuer = ReturnType<typeof createTokenIssuer>;
