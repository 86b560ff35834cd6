import type { ServiceTokens } from './service-tokens.ts';

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
export function createCustomerDirectory(deps: { paymentUrl: string; serviceTokens: ServiceTokens; fetch?: typeof fetch }) {
  const fetchImpl = deps.fetch ?? fetch;

  return {
    async exists(customerId: string): Promise<boolean> {
      const url = `${deps.paymentUrl.replace(/\/$/, '')}/api/v1/customers/${encodeURIComponent(customerId)}`;
      const ask = async () => {
        try {
          const answer = await fetchImpl(url, {
            headers: { authorization: `Bearer ${await deps.serviceTokens.token()}` },
            signal: AbortSignal.timeout(3_000),
          });
          await answer.body?.cancel();
          return answer;
        } catch (error) {
          throw new CustomerDirectoryUnavailable(`the payment service cannot be reached (${(error as Error).message})`);
        }
      };
      let response = await ask();
      if (response.status === 401) {
        // Our service token was signed by a key revoked since: sign a new one, once.
        deps.serviceTokens.forget();
        response = await ask();
      }
      if (response.status === 200) return true;
      if (response.status === 404) return false;
      throw new CustomerDirectoryUnavailable(`the payment service answered ${response.status} for a customer lookup`);
    },
  };
}

export type CustomerDirectory = ReturnType<typeof createCustomerDirectory>;
