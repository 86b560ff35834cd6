import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWK, type JWTVerifyGetKey } from 'jose';

/** The keys could not be loaded at all: the caller answers 503, not 401 (the token may well be good). */
export class KeySourceUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeySourceUnavailable';
  }
}

export type JwksLoader = () => Promise<JSONWebKeySet>;

export interface CachedKeySourceOptions {
  load: JwksLoader;
  /** A loaded set is used this long, then loaded again (in the background while it is still usable). */
  maxAgeMs: number;
  /**
   * The longest a set is used while it cannot be loaded again (at least maxAgeMs): after that
   * every verification is refused as unavailable until a load succeeds. This bounds how long a
   * revoked key goes on verifying while the issuer is unreachable. Default: maxAgeMs × 2.
   */
  maxStaleMs?: number;
  /** A token with an unknown key id loads the set again, but not sooner than this after the last load. */
  cooldownMs: number;
  /** After a failed load the next one waits this long, doubling up to maxRetryDelayMs (never once per request). */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  now?: () => number;
  onReloadFailed?: (error: unknown) => void;
}

export interface CachedKeySource {
  /** For jose's `jwtVerify`: the verification key for a token's header. */
  getKey: JWTVerifyGetKey;
  /** Load now (after a rotation on this process). */
  reload(): Promise<void>;
}

/**
 * A key set loaded from somewhere (the order service's JWKS over HTTP, a file, the order database)
 * and cached. A token whose `kid` is not in the cached set makes it load again — the issuer rotated
 * to a key we have not seen — waiting out the cooldown instead of refusing, so a fresh rotation
 * never turns good tokens away. Concurrent loads are shared.
 *
 * Revocation fails closed: a set older than maxAgeMs is loaded again (the request goes on with
 * the set it has meanwhile); when loads fail they are retried with backoff, never once per
 * request, and a set older than maxStaleMs is no longer used at all: verification is unavailable
 * (503) until a load succeeds. A key published with `exp` (a retired key's end, seconds) stops
 * verifying at that moment even if the set is never loaded again.
 */
export function createCachedKeySource(options: CachedKeySourceOptions): CachedKeySource {
  const now = options.now ?? Date.now;
  const maxStaleMs = Math.max(options.maxStaleMs ?? options.maxAgeMs * 2, options.maxAgeMs);
  let keys: ReturnType<typeof createLocalJWKSet> | null = null;
  let expiryOf = new Map<string, number>();
  let loadedAt = -Infinity;
  /** Bumped by every successful load: tells whether the set changed since a lookup missed. */
  let generation = 0;
  let loading: Promise<void> | null = null;
  let failures = 0;
  let retryAt = -Infinity;

  function reload(): Promise<void> {
    loading ??= (async () => {
      try {
        const jwks = await options.load();
        if (!jwks || !Array.isArray(jwks.keys)) throw new Error('not a JSON Web Key Set (no "keys" array)');
        keys = createLocalJWKSet(jwks);
        expiryOf = new Map(
          (jwks.keys as (JWK & { exp?: unknown })[])
            .filter((key) => typeof key.kid === 'string' && typeof key.exp === 'number')
            .map((key) => [key.kid!, (key.exp as number) * 1000]),
        );
        loadedAt = now();
        generation++;
        failures = 0;
        retryAt = -Infinity;
      } catch (error) {
        failures++;
        retryAt = now() + retryDelay(failures, options.retryDelayMs ?? 500, options.maxRetryDelayMs ?? 30_000);
        options.onReloadFailed?.(error);
        throw error;
      } finally {
        loading = null;
      }
    })();
    return loading;
  }

  const usable = () => keys !== null && now() - loadedAt <= maxStaleMs;

  /** Loads if a load is due and allowed now; waits for it only when the set in hand cannot be used. */
  async function refreshIfDue(force: boolean): Promise<void> {
    const due = force || keys === null || now() - loadedAt > options.maxAgeMs;
    if (due && now() >= retryAt) {
      const load = reload();
      if (usable() && !force) load.catch(() => {});
      else await load.catch(() => {});
    } else if (loading && !usable()) {
      await loading.catch(() => {});
    }
    if (!usable()) {
      throw new KeySourceUnavailable(
        keys === null
          ? 'verification keys unavailable: the key set could not be loaded'
          : `verification keys unavailable: the key set could not be refreshed for ${Math.round((now() - loadedAt) / 1000)} s`,
      );
    }
  }

  async function lookup(header: Parameters<JWTVerifyGetKey>[0], token: Parameters<JWTVerifyGetKey>[1]) {
    const key = await keys!(header, token);
    const expiresAt = header.kid === undefined ? undefined : expiryOf.get(header.kid);
    if (expiresAt !== undefined && now() >= expiresAt) throw new errors.JWKSNoMatchingKey('the key of this token has expired');
    return key;
  }

  const getKey: JWTVerifyGetKey = async (header, token) => {
    await refreshIfDue(false);
    const looked = generation;
    try {
      return await lookup(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || expiryOf.has(header.kid ?? '')) throw error;
      if (generation === looked) {
        const wait = Math.max(loadedAt + options.cooldownMs, retryAt) - now();
        // A key we have never seen: the issuer may just have rotated. Wait out the cooldown (not a
        // long backoff: that answers the request as refused instead) and load again, unless
        // another request loaded meanwhile.
        if (wait > 0 && wait <= Math.max(options.cooldownMs, 1_000)) await new Promise((resolve) => setTimeout(resolve, wait));
        if (generation === looked && now() >= retryAt) await refreshIfDue(true);
      }
      return lookup(header, token);
    }
  };

  return { getKey, reload };
}

/** Doubling from baseMs up to capMs, with jitter that never shortens it below half (so never "right away"). */
function retryDelay(failures: number, baseMs: number, capMs: number): number {
  const delay = Math.min(capMs, baseMs * 2 ** (failures - 1));
  return Math.round(delay / 2 + (Math.random() * delay) / 2);
}

/** The issuer's JWKS over HTTP (a plain GET; 3 s at most). */
export function httpJwksLoader(url: string, fetchImpl: typeof fetch = fetch): JwksLoader {
  return async () => {
    const response = await fetchImpl(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(3_000) });
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
    return (await response.json()) as JSONWebKeySet;
  };
}

/** A JWKS file shared with the issuer (public keys only). */
export function fileJwksLoader(path: string): JwksLoader {
  return async () => JSON.parse(await readFile(path, 'utf8')) as JSONWebKeySet;
}
