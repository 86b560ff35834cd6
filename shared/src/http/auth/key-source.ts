import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

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
  /** A loaded set is used this long, then loaded again on the next verification. */
  maxAgeMs: number;
  /** A token with an unknown key id loads the set again, but not sooner than this after the last load. */
  cooldownMs: number;
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
 * never turns good tokens away. Concurrent loads are shared. When a reload fails, the stale set
 * goes on verifying (availability over freshness); with no set at all, verification is unavailable.
 */
export function createCachedKeySource(options: CachedKeySourceOptions): CachedKeySource {
  const now = options.now ?? Date.now;
  let keys: ReturnType<typeof createLocalJWKSet> | null = null;
  let loadedAt = -Infinity;
  /** Bumped by every successful load: tells whether the set changed since a lookup missed. */
  let generation = 0;
  let loading: Promise<void> | null = null;

  function reload(): Promise<void> {
    loading ??= (async () => {
      try {
        const jwks = await options.load();
        if (!jwks || !Array.isArray(jwks.keys)) throw new Error('not a JSON Web Key Set (no "keys" array)');
        keys = createLocalJWKSet(jwks);
        loadedAt = now();
        generation++;
      } finally {
        loading = null;
      }
    })();
    return loading;
  }

  async function reloadOrExplain(): Promise<void> {
    try {
      await reload();
    } catch (error) {
      options.onReloadFailed?.(error);
      if (!keys) throw new KeySourceUnavailable(`verification keys unavailable: ${(error as Error).message}`, { cause: error });
    }
  }

  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (!keys || now() - loadedAt > options.maxAgeMs) await reloadOrExplain();
    const looked = generation;
    try {
      return await keys!(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      if (generation === looked) {
        const wait = loadedAt + options.cooldownMs - now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        // Unless another request loaded meanwhile, load now.
        if (generation === looked) await reloadOrExplain();
      }
      return keys!(header, token);
    }
  };

  return { getKey, reload };
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
