import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/** The peer of the TCP connection ('unknown' for an in-process `app.request`, as in some tests). */
function peerOf(c: Context): string {
  try {
    return (getConnInfo(c).remote.address ?? 'unknown').replace(/^::ffff:/, '');
  } catch {
    return 'unknown'; // not served by @hono/node-server
  }
}

/**
 * Whether the connection comes from a proxy we trust (AUTH_TRUSTED_PROXIES: addresses, or `*`
 * where only the proxy can reach the service, as in compose): only then do its X-Forwarded-*
 * headers count.
 */
const fromTrustedProxy = (c: Context, trustedProxies: readonly string[]) => trustedProxies.includes('*') || trustedProxies.includes(peerOf(c));

/**
 * The address a sign-in comes from, for its per-address limits: the peer of the connection, or —
 * from a trusted proxy — the last hop it added to X-Forwarded-For. A client cannot choose its
 * address by sending the header itself: what it wrote comes before the hop the proxy appends.
 */
export function clientAddressOf(c: Context, trustedProxies: readonly string[]): string {
  const peer = peerOf(c);
  const forwarded = c.req.header('x-forwarded-for');
  if (!forwarded || !fromTrustedProxy(c, trustedProxies)) return peer;
  const hops = forwarded
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  return hops.at(-1)?.slice(0, 64) ?? peer;
}

/** Whether the browser reached us over HTTPS: directly, or through a trusted proxy that says so (X-Forwarded-Proto). */
export function servedOverHttps(c: Context, trustedProxies: readonly string[]): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  return fromTrustedProxy(c, trustedProxies) && c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https';
}
