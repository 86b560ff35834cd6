import { adminOnly, adminOrService, ownCustomer, scopedToCustomer, type AccessRule } from '#shared/http/auth/access-rules.ts';

/**
 * Who may call the payment service's API: a customer reads their own credit and ledger (403 for
 * another's) and the payments of their own orders (404 for another's: the handler checks); top-ups
 * and the all-accounts ledger check are admin; whether a customer exists is for admins and for the
 * order service's `service` token (it asks before issuing a customer token), and so are orders'
 * money records (its reconciler compares them with the sagas).
 */
export const paymentServiceAccess: AccessRule[] = [
  { method: 'GET', path: '/api/v1/credits/ledger-check', access: adminOnly },
  { method: 'GET', path: '/api/v1/credits/{customerId}', access: ownCustomer('customerId') },
  { method: 'GET', path: '/api/v1/credits/{customerId}/history', access: ownCustomer('customerId') },
  { method: 'POST', path: '/api/v1/credits/{customerId}/top-ups', access: adminOnly },
  { method: 'GET', path: '/api/v1/payments/{orderId}', access: scopedToCustomer },
  { method: 'GET', path: '/api/v1/customers/{customerId}', access: adminOrService },
  { method: 'GET', path: '/api/v1/order-payments', access: adminOrService },
];
