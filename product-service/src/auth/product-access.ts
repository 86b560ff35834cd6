import { adminOnly, adminOrService, anyRole, type AccessRule } from '#shared/http/auth/access-rules.ts';

/**
 * Who may call the product service's API: the catalog with its stock is readable with any valid
 * token (customers browse it); a product's reservations name other customers' orders, so they are
 * for admins, like every catalog change (create, price, stock). Orders' stock records are for the
 * order service's reconciler (its `service` token) and admins.
 */
export const productServiceAccess: AccessRule[] = [
  { method: 'GET', path: '/api/v1/products', access: anyRole },
  { method: 'GET', path: '/api/v1/products/{productId}', access: anyRole },
  { method: 'GET', path: '/api/v1/products/{productId}/reservations', access: adminOnly },
  { method: 'POST', path: '/api/v1/products', access: adminOnly },
  { method: 'PUT', path: '/api/v1/products/{productId}/price', access: adminOnly },
  { method: 'POST', path: '/api/v1/products/{productId}/stock', access: adminOnly },
  { method: 'GET', path: '/api/v1/order-stock', access: adminOrService },
];
