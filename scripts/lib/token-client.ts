import { DEFAULT_ADMIN_PASSWORD, DEFAULT_DEMO_CUSTOMER_PASSWORD } from '../../order-service/src/identity/auth-settings.ts';

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
  expiresAt: string;
  role: string;
  subject: string;
}

export interface TokenClientOptions {
  /** The order service, e.g. http://127.0.0.1:8181 ('' with a fetch that takes paths, such as `app.request`). */
  orderUrl: string;
  /** Default: $ADMIN_PASSWORD, or the documented demo default. */
  adminPassword?: string;
  /** Default: $DEMO_CUSTOMER_PASSWORD, or the documented demo default. */
  customerPassword?: string;
  /** The operator's name in admin tokens (their subject; the saga history and the ledger record it). Default: $OPERATOR_NAME, else admin. */
  operator?: string;
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

/**
 * Gets tokens from the order service (`POST /api/v1/auth/tokens`) the way scripts, the load test
 * and the tests do, one per subject, reused until a minute before they expire.
 */
export function tokenClient(options: TokenClientOptions) {
  const fetchImpl = options.fetch ?? ((url: string, init: RequestInit) => fetch(url, init));
  const adminPassword = options.adminPassword ?? process.env.ADMIN_PASSWORD ?? DEFAULT_ADMIN_PASSWORD;
  const customerPassword = options.customerPassword ?? process.env.DEMO_CUSTOMER_PASSWORD ?? DEFAULT_DEMO_CUSTOMER_PASSWORD;
  const operator = options.operator ?? process.env.OPERATOR_NAME;
  const adminBody = { admin: true, password: adminPassword, ...(operator ? { operator } : {}) };
  const cache = new Map<string, { promise: Promise<string>; renewAt: number }>();

  async function request(body: unknown): Promise<IssuedAccessToken> {
    const url = `${options.orderUrl.replace(/\/$/, '')}/api/v1/auth/tokens`;
    const response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) {
      let detail = text;
      try {
        detail = (JSON.parse(text) as { detail?: string }).detail ?? text;
      } catch {
        // not JSON
      }
      throw new Error(`token refused by ${url}: ${response.status} ${detail}`);
    }
    return JSON.parse(text) as IssuedAccessToken;
  }

  function cached(key: string, body: unknown): Promise<string> {
    const entry = cache.get(key);
    if (entry && Date.now() < entry.renewAt) return entry.promise;
    const promise: Promise<string> = request(body).then((issued) => {
      const current = cache.get(key);
      const lifeMs = issued.expiresIn * 1000;
      if (current?.promise === promise) current.renewAt = Date.now() + Math.max(lifeMs - 60_000, lifeMs / 2);
      return issued.accessToken;
    });
    // Shared while in flight: many callers at once make one request.
    cache.set(key, { promise, renewAt: Infinity });
    promise.catch(() => {
      if (cache.get(key)?.promise === promise) cache.delete(key);
    });
    return promise;
  }

  const admin = () => cached('admin', adminBody);
  const customer = (customerId: string) => cached(`customer:${customerId.toLowerCase()}`, { customerId, password: customerPassword });

  return {
    /** Full token responses, not cached. */
    issueAdmin: () => request(adminBody),
    issueCustomer: (customerId: string) => request({ customerId, password: customerPassword }),
    admin,
    customer,
    adminHeaders: async () => ({ authorization: `Bearer ${await admin()}` }),
    customerHeaders: async (customerId: string) => ({ authorization: `Bearer ${await customer(customerId)}` }),
  };
}

export type TokenClient = ReturnType<typeof tokenClient>;
