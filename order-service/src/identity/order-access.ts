import { adminOnly, anyRole, publicRoute, scopedToCustomer, type AccessRule } from '#shared/http/auth/access-rules.ts';

/**
 * Who may call the order service's API. Customers place and read their own orders (the handlers
 * narrow them: another customer's order is a 404); the catalog copy is readable with any token;
 * keys, sagas and dead letters are operators' (admin). The saga pages (/sagas) are admin too.
 */
export const orderServiceAccess: AccessRule[] = [
  { method: 'POST', path: '/api/v1/auth/tokens', access: publicRoute },
  { method: 'GET', path: '/api/v1/auth/keys', access: adminOnly },
  { method: 'POST', path: '/api/v1/auth/keys/rotation', access: adminOnly },
  { method: 'PUT', path: '/api/v1/customers/{customerId}/password', access: adminOnly },
  { method: 'POST', path: '/api/v1/orders', access: scopedToCustomer },
  { method: 'GET', path: '/api/v1/orders', access: scopedToCustomer },
  { method: 'GET', path: '/api/v1/orders/{orderTrackingId}', access: scopedToCustomer },
  { method: 'GET', path: '/api/v1/catalog/products', access: anyRole },
  { method: 'GET', path: '/api/v1/orders/{orderId}/saga', access: adminOnly },
  { method: 'POST', path: '/api/v1/orders/{orderId}/saga/timeouts/{timer}', access: adminOnly },
  { method: 'POST', path: '/api/v1/orders/{orderId}/saga/compensation', access: adminOnly },
  { method: 'GET', path: '/api/v1/sagas/stuck', access: adminOnly },
  { method: 'GET', path: '/api/v1/sagas/overview', access: adminOnly },
  { method: 'GET', path: '/api/v1/sagas/drift', access: adminOnly },
  { method: 'POST', path: '/api/v1/sagas/reconcile', access: adminOnly },
  { method: 'GET', path: '/api/v1/dead-letters', access: adminOnly },
  { method: 'POST', path: '/api/v1/dead-letters/{id}/redrive', access: adminOnly },
];
