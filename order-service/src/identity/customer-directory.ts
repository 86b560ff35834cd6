import type { TokenIssuer } from './token-issuer.ts';

export class CustomerDirectoryUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CustomerDirectoryUnavailable';
  }
}

/**
 * Whether a customer exists, asked of the payment service (`GET /api/v1/customers/{id}`, 200 or
 * 404) with a short-lived `service` token the order service signs for itself.
 */
export function createCustomerDirectory(deps: {
  paymentUrl: string;
  issuer: TokenIssuer;
  serviceTokenTtlS: number;
  fetch?: typeof fetch;
  now?: () => number;
}) {
  const fetchImpl = deps.fetch ?? fetch;
  const now = deps.now ?? Date.now;
  let serviceToken: { token: string; renewAt: number } | null = null;

  async function token(): Promise<string> {
    if (serviceToken && now() < serviceToken.renewAt) return serviceToken.token;
    const issued = await deps.issuer.issue({ subject: 'order-service', role: 'service', ttlS: deps.serviceTokenTtlS });
    // Renewed at half its life, so a token in flight never expires on the way.
    serviceToken = { token: issued.token, renewAt: now() + (deps.serviceTokenTtlS * 1000) / 2 };
    return issued.token;
  }

  return {
    async exists(customerId: string): Promise<boolean> {
      const url = `${deps.paymentUrl.replace(/\/$/, '')}/api/v1/customers/${encodeURIComponent(customerId)}`;
      const ask = async () => {
        try {
          const answer = await fetchImpl(url, { headers: { authorization: `Bearer ${await token()}` }, signal: AbortSignal.timeout(3_000) });
          await answer.body?.cancel();
          return answer;
        } catch (error) {
          throw new CustomerDirectoryUnavailable(`the payment service cannot be reached (${(error as Error).message})`);
        }
      };
      let response = await ask();
      if (response.status === 401) {
        // Our service token was signed by a key revoked since: sign a new one, once.
        serviceToken = null;
        response = await ask();
      }
      if (response.status === 200) return true;
      if (response.status === 404) return false;
      throw new CustomerDirectoryUnavailable(`the payment service answered ${response.status} for a customer lookup`);
    },
  };
}

export type CustomerDirectory = ReturnType<typeof createCustomerDirectory>;
