/**
 * The seed's customers (payment-service/src/credits/open-credit-accounts.ts opens their credit
 * accounts). Outside production they get the demo password (DEMO_CUSTOMER_PASSWORD) on first start.
 */
export const demoCustomerIds: readonly string[] = [
  '3fa85f64-5717-4562-b3fc-2c963f66afa6',
  '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  '9b2d3f1e-8c4a-4e6b-a1d2-5f6e7a8b9c0d',
];
