import type { IssuerEnv } from './auth-settings.ts';
import type { CustomerCredentials } from './customer-credentials.ts';
import { CustomerDirectoryUnavailable, type CustomerDirectory } from './customer-directory.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { samePassword } from './passwords.ts';

export type SignInRequest = { customerId: string; password: string } | { admin: true; password: string; operator?: string };

export type SignInOutcome =
  | { kind: 'signed-in'; role: 'admin' | 'customer'; subject: string }
  | { kind: 'refused' }
  | { kind: 'throttled'; retryAfterS: number; reason: string }
  | { kind: 'unavailable'; reason: string };

/** The account an attempt counts against: one admin password, one password per customer. */
export const accountOf = (request: SignInRequest): string => ('admin' in request ? 'admin' : `customer:${request.customerId.toLowerCase()}`);

/**
 * Checks a sign-in (the token endpoint and the saga pages' form): an operator with ADMIN_PASSWORD
 * under the name they give, or a customer with their own password who still exists (the payment
 * service is asked). Locked accounts and blocked addresses are refused before any password is
 * checked; a wrong password counts against both.
 */
export function createSignIn(deps: {
  settings: Pick<IssuerEnv, 'ADMIN_PASSWORD'>;
  credentials: CustomerCredentials;
  customers: CustomerDirectory;
  throttle: LoginThrottle;
}) {
  return async function signIn(request: SignInRequest, address: string): Promise<SignInOutcome> {
    const account = accountOf(request);
    const verdict = await deps.throttle.admit(account, address);
    if (!verdict.allowed) return { kind: 'throttled', retryAfterS: verdict.retryAfterS, reason: verdict.reason };
    const matches =
      'admin' in request
        ? samePassword(request.password, deps.settings.ADMIN_PASSWORD)
        : await deps.credentials.verify(request.customerId, request.password);
    if (!matches) {
      await deps.throttle.failed(account, address);
      return { kind: 'refused' };
    }
    await deps.throttle.succeeded(account);
    if ('admin' in request) return { kind: 'signed-in', role: 'admin', subject: request.operator ?? 'admin' };
    // Only a member who still exists gets a token: the customer must have a credit account.
    try {
      if (!(await deps.customers.exists(request.customerId))) return { kind: 'refused' };
    } catch (error) {
      if (error instanceof CustomerDirectoryUnavailable) return { kind: 'unavailable', reason: error.message };
      throw error;
    }
    return { kind: 'signed-in', role: 'customer', subject: request.customerId.toLowerCase() };
  };
}

export type SignIn = ReturnType<typeof createSignIn>;
