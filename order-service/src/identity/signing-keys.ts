import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { Orm } from '#shared/db/orm.ts';
import { utcDateOrNull } from '#shared/db/sql-values.ts';
import { TOKEN_ALGORITHM } from '#shared/http/auth/token-verifier.ts';
import type { Logger } from '#shared/observability/logger.ts';
import type { Clock } from '#shared/runtime/clock.ts';

export interface SigningKeyView {
  kid: string;
  active: boolean;
  createdAt: string;
  retiredAt: string | null;
  /** When it stops verifying; null while it signs. */
  expiresAt: string | null;
  verifying: boolean;
}

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  createdAt: Date;
}

interface KeyRow {
  kid: string;
  private_jwk: string;
  public_jwk: string;
  active_slot: number | null;
  created_at: unknown;
  retired_at: unknown;
  expires_at: unknown;
}

const parseJwk = (value: string | object): JWK => (typeof value === 'string' ? JSON.parse(value) : value) as JWK;

const isDuplicateKey = (error: unknown) =>
  /duplicate entry|ER_DUP_ENTRY/i.test(String((error as Error)?.message ?? error) + String((error as { code?: string }).code ?? ''));

/**
 * The order service's ES256 signing keys, kept in its database so that replicas share them and a
 * restart keeps issued tokens valid. Exactly one key signs; rotating makes a new key the signer
 * and retires the old one, which goes on verifying until every token it signed has expired
 * (`retiredKeyLifetimeMs` after retirement) — or at once, when it is revoked as compromised.
 * Private keys are stored as JWK text: protect the order database (and its backups) like a secret.
 */
export function createSigningKeys(deps: { orm: Orm; clock: Clock; logger: Logger; retiredKeyLifetimeMs: number }) {
  const em = () => deps.orm.em.fork();
  const imported = new Map<string, CryptoKey>();

  async function generate() {
    const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    // RFC 7638 thumbprint: a key id that is unique and can be recomputed from the key itself.
    const kid = await calculateJwkThumbprint(publicJwk);
    const meta = { kid, alg: TOKEN_ALGORITHM, use: 'sig' };
    return { kid, privateJwk: { ...(await exportJWK(privateKey)), ...meta }, publicJwk: { ...publicJwk, ...meta } };
  }

  async function insertActive(key: Awaited<ReturnType<typeof generate>>, now: Date, run = em()): Promise<void> {
    await run.execute(
      `insert into signing_key (kid, algorithm, private_jwk, public_jwk, active_slot, created_at, retired_at, expires_at)
       values (?, ?, ?, ?, 1, ?, null, null)`,
      [key.kid, TOKEN_ALGORITHM, JSON.stringify(key.privateJwk), JSON.stringify(key.publicJwk), now],
    );
  }

  async function activeRow(): Promise<KeyRow | null> {
    const [row] = await em().execute<KeyRow[]>('select * from signing_key where active_slot = 1');
    return row ?? null;
  }

  async function toSigningKey(row: KeyRow): Promise<SigningKey> {
    let privateKey = imported.get(row.kid);
    if (!privateKey) {
      privateKey = (await importJWK(parseJwk(row.private_jwk), TOKEN_ALGORITHM)) as CryptoKey;
      imported.set(row.kid, privateKey);
    }
    return { kid: row.kid, privateKey, createdAt: utcDateOrNull(row.created_at)! };
  }

  /** The key that signs now; on a fresh database the first call creates it (one winner across replicas). */
  async function active(): Promise<SigningKey> {
    const existing = await activeRow();
    if (existing) return toSigningKey(existing);
    const key = await generate();
    try {
      await insertActive(key, deps.clock.now());
      deps.logger.info({ kid: key.kid }, 'created the first token signing key');
    } catch (error) {
      if (!isDuplicateKey(error)) throw error; // another replica created it first
    }
    return toSigningKey((await activeRow())!);
  }

  /**
   * A new signing key; the previous one retires and verifies until `now + retiredKeyLifetimeMs`.
   * `revokePrevious`: every earlier key stops verifying now (a leaked key), and so do its tokens.
   * `onlyIfActive`: rotate only if that key still signs (null otherwise).
   */
  async function rotate(options: { revokePrevious?: boolean; onlyIfActive?: string } = {}): Promise<{ kid: string; retired: string[] } | null> {
    const key = await generate();
    const now = deps.clock.now();
    const retiredUntil = options.revokePrevious ? now : new Date(now.getTime() + deps.retiredKeyLifetimeMs);
    const retired = await em().transactional(async (tx) => {
      const previous = await tx.execute<{ kid: string }[]>('select kid from signing_key where active_slot = 1 for update');
      // A rotation by age: another replica may have rotated already.
      if (options.onlyIfActive !== undefined && previous[0]?.kid !== options.onlyIfActive) return null;
      await tx.execute('update signing_key set active_slot = null, retired_at = ?, expires_at = ? where active_slot = 1', [now, retiredUntil]);
      if (options.revokePrevious) {
        await tx.execute('update signing_key set expires_at = ? where active_slot is null and (expires_at is null or expires_at > ?)', [now, now]);
      }
      await insertActive(key, now, tx);
      return previous.map((row) => row.kid);
    });
    if (retired === null) return null;
    deps.logger.info({ kid: key.kid, retired, revokePrevious: options.revokePrevious ?? false }, 'rotated the token signing key');
    return { kid: key.kid, retired };
  }

  /**
   * The public keys that verify now (the signer and retired keys not yet expired): the JWKS. A
   * retired key carries its end as `exp` (seconds), so verifiers stop using it then even if they
   * cannot fetch the set again.
   */
  async function verificationKeys(): Promise<JWK[]> {
    const rows = await em().execute<{ public_jwk: string; expires_at: unknown }[]>(
      'select public_jwk, expires_at from signing_key where expires_at is null or expires_at > ? order by created_at desc',
      [deps.clock.now()],
    );
    return rows.map((row) => {
      const expiresAt = utcDateOrNull(row.expires_at);
      const jwk = parseJwk(row.public_jwk);
      return expiresAt ? { ...jwk, exp: Math.floor(expiresAt.getTime() / 1000) } : jwk;
    });
  }

  async function list(): Promise<SigningKeyView[]> {
    const now = deps.clock.now().getTime();
    const rows = await em().execute<KeyRow[]>('select * from signing_key order by created_at desc');
    return rows.map((row) => {
      const expiresAt = utcDateOrNull(row.expires_at);
      return {
        kid: row.kid,
        active: row.active_slot !== null,
        createdAt: utcDateOrNull(row.created_at)!.toISOString(),
        retiredAt: utcDateOrNull(row.retired_at)?.toISOString() ?? null,
        expiresAt: expiresAt?.toISOString() ?? null,
        verifying: expiresAt === null || expiresAt.getTime() > now,
      };
    });
  }

  return { active, rotate, verificationKeys, list };
}

export type SigningKeys = ReturnType<typeof createSigningKeys>;
