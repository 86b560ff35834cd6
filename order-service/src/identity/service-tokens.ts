import type { TokenIssuer } from './token-issuer.ts';

/**
 * The order service's own `service` token for calls to the other services (whether a customer
 * exists; the reconciler's reads), signed by itself, kept and renewed at half its life so a token
 * in flight never expires on the way. `forget()` after a 401: the key that signed it was revoked.
 */
export function createServiceTokens(deps: { issuer: TokenIssuer; ttlS: number; now?: () => number }) {
  const now = deps.now ?? Date.now;
  let current: { token: string; renewAt: number } | null = null;
  return {
    async token(): Promise<string> {
      if (current && now() < current.renewAt) return current.token;
      const issued = await deps.issuer.issue({ subject: 'order-service', role: 'service', ttlS: deps.ttlS });
      current = { token: issued.token, renewAt: now() + (deps.ttlS * 1000) / 2 };
      return issued.token;
    },
    forget(): void {
      current = null;
    },
  };
}

export type ServiceTokens = ReturnType<typeof createServiceTokens>;
