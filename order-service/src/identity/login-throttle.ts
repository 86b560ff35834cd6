import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface LoginThrottleSettings {
  /** Wrong passwords for one account within the window before it is locked. */
  accountFailures: number;
  /** Wrong passwords from one client address within the window before it is blocked. */
  addressFailures: number;
  /** Attempts of any outcome from one address per minute (each costs an scrypt hash). */
  addressAttemptsPerMinute: number;
  windowS: number;
  /** How long a locked account or a blocked address waits. */
  lockoutS: number;
}

export type LoginVerdict = { allowed: true } | { allowed: false; retryAfterS: number; reason: string };

/**
 * Brute-force protection of the sign-in, in Redis (rate-limiter-flexible) so every replica counts
 * together: wrong passwords per account lock it for a while, wrong passwords per client address
 * block that address, and attempts per address are capped. A success clears the account's count.
 * While Redis is unreachable each process counts on its own (in memory) rather than not at all.
 */
export function createLoginThrottle(deps: { redisUrl: string; keyPrefix: string; settings: LoginThrottleSettings }) {
  const { settings } = deps;
  const redis = new Redis(deps.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
  redis.on('error', () => {});
  const limiter = (name: string, points: number, durationS: number, blockS: number) =>
    new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${deps.keyPrefix}:login:${name}`,
      points,
      duration: durationS,
      blockDuration: blockS,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: `login:${name}`, points, duration: durationS, blockDuration: blockS }),
    });
  // A limiter of n points blocks on the (n+1)th consume: the nth failure locks.
  const accountFailures = limiter('account', settings.accountFailures - 1, settings.windowS, settings.lockoutS);
  const addressFailures = limiter('address', settings.addressFailures - 1, settings.windowS, settings.lockoutS);
  const addressAttempts = limiter('attempts', settings.addressAttemptsPerMinute, 60, 60);

  const refused = (res: RateLimiterRes, reason: string): LoginVerdict => ({
    allowed: false,
    retryAfterS: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    reason,
  });
  const blocked = async (store: RateLimiterRedis, key: string) => {
    const res = await store.get(key);
    return res !== null && res.consumedPoints > store.points ? res : null;
  };
  const count = async (store: RateLimiterRedis, key: string) => {
    try {
      await store.consume(key);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error; // over the limit: blocked from now on
    }
  };

  return {
    /** Before the password is looked at: may this attempt be made at all? */
    async admit(account: string, address: string): Promise<LoginVerdict> {
      const locked = await blocked(accountFailures, account);
      if (locked) return refused(locked, 'too many failed sign-ins for this account: it is locked for a while');
      const banned = await blocked(addressFailures, address);
      if (banned) return refused(banned, 'too many failed sign-ins from this address');
      try {
        await addressAttempts.consume(address);
      } catch (error) {
        if (error instanceof RateLimiterRes) return refused(error, 'too many sign-in attempts from this address');
        throw error;
      }
      return { allowed: true };
    },
    /** A wrong password: counts against the account and the address. */
    async failed(account: string, address: string): Promise<void> {
      await Promise.all([count(accountFailures, account), count(addressFailures, address)]);
    },
    async succeeded(account: string): Promise<void> {
      await accountFailures.delete(account);
    },
    close() {
      redis.disconnect();
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
