import type { Context } from 'hono';

/**
 * `customer`: the token's subject is a customer id. `admin`: operators and catalog/credit
 * administration. `service`: another service of the platform calling with a short-lived token
 * (the order service asking the payment service whether a customer exists).
 */
export const ROLES = ['customer', 'admin', 'service'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, as proven by a verified token. */
export interface Principal {
  role: Role;
  subject: string;
  tokenId?: string;
  expiresAt?: Date;
}

/** What the handlers see with AUTH_MODE=off: everything is allowed, as before authentication existed. */
export const authOffPrincipal: Principal = { role: 'admin', subject: 'anonymous (AUTH_MODE=off)' };

const principalKey = 'principal' as never;

export function setPrincipal(c: Context, principal: Principal): void {
  c.set(principalKey, principal as never);
}

/** The caller of an /api route; the authentication middleware has always set it before a handler runs. */
export function principalOf(c: Context): Principal {
  const principal = c.get(principalKey) as Principal | undefined;
  if (!principal) throw new Error(`no principal on ${c.req.method} ${c.req.path}: the route is not behind the authentication middleware`);
  return principal;
}

/** Customer ids are UUIDs compared without regard to case (the databases compare them that way too). */
export const sameCustomer = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** May this caller act for (read the data of, place orders for) this customer? Admins may act for anyone. */
export function canActFor(principal: Principal, customerId: string): boolean {
  if (principal.role === 'admin') return true;
  return principal.role === 'customer' && sameCustomer(principal.subject, customerId);
}
