import { tokenClient, type TokenClient } from '../../scripts/lib/token-client.ts';

/**
 * Tokens from a running order service, as a client of the platform gets them (POST
 * /api/v1/auth/tokens with the demo passwords), for tests whose subject is not authentication.
 */
export function platformTokens(orderUrl: string): TokenClient {
  return tokenClient({ orderUrl });
}

type InProcessApp = { request(path: string, init?: RequestInit): Response | Promise<Response> };
const inProcess = new WeakMap<InProcessApp, TokenClient>();

/** The same against an in-process order service's `app.request` (no port needed); one client per app. */
export function inProcessTokens(app: InProcessApp): TokenClient {
  let client = inProcess.get(app);
  if (!client) {
    client = tokenClient({ orderUrl: '', fetch: async (path, init) => app.request(path, init) });
    inProcess.set(app, client);
  }
  return client;
}
