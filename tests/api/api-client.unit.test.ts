import { describe, expect, expectTypeOf, it } from 'vitest';
import { pathOf, type RequestJson, type ResponseJson, type StatusOf } from '../support/api/api-client.ts';
import type { components, paths as OrderApi } from '../support/api/order-service.ts';
import type { paths as ProductApi } from '../support/api/product-service.ts';

describe('the typed API client', () => {
  it('fills path parameters (encoded) and leaves out query parameters without a value', () => {
    expect(pathOf('/api/v1/orders/{orderTrackingId}', { orderTrackingId: 'a b/c' })).toBe('/api/v1/orders/a%20b%2Fc');
    expect(pathOf('/api/v1/orders', {}, { customerId: undefined, page: 0, size: 5 })).toBe('/api/v1/orders?page=0&size=5');
    expect(() => pathOf('/api/v1/products/{productId}')).toThrow(/no value for \{productId\}/);
  });

  // Checked by the type-check (tsc), which is where contract drift should fail.
  it('takes its types from the generated documents', () => {
    expectTypeOf<ResponseJson<OrderApi, '/api/v1/orders/{orderTrackingId}', 'get'>>().toEqualTypeOf<components['schemas']['Order']>();
    expectTypeOf<RequestJson<OrderApi, '/api/v1/orders', 'post'>>().toEqualTypeOf<components['schemas']['CreateOrder']>();
    expectTypeOf<ResponseJson<OrderApi, '/api/v1/orders', 'post', 422>>().toEqualTypeOf<components['schemas']['Problem']>();
    expectTypeOf<StatusOf<ProductApi, '/api/v1/products/{productId}', 'get'>>().toEqualTypeOf<200 | 400 | 401 | 403 | 404 | 503>();
    expectTypeOf<ResponseJson<ProductApi, '/api/v1/products/{productId}', 'get'>>().toHaveProperty('available').toEqualTypeOf<number>();
  });
});
