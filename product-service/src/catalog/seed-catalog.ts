import type { CreateProduct, NewProduct } from './create-product.ts';

/** The products every installation starts with (the seed project's data, prices in KRW). */
export const seedProducts: readonly Required<NewProduct>[] = [
  { id: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', name: '커피', price: 5_000, quantity: 1_000 },
  { id: '1a2b3c4d-5e6f-7089-9a0b-cdef12345678', name: '샌드위치', price: 8_000, quantity: 500 },
  { id: '2b3c4d5e-6f70-8192-a3b4-cdef56789012', name: '샐러드', price: 12_000, quantity: 300 },
  { id: '3c4d5e6f-7081-92a3-b4c5-def678901234', name: '피자', price: 25_000, quantity: 200 },
  { id: '4d5e6f70-8192-a3b4-c5d6-ef7890123456', name: '파스타', price: 18_000, quantity: 250 },
];

export type SeedCatalog = () => Promise<{ created: number }>;

/**
 * Creates the seed products that do not exist yet. A product that exists is left alone (its stock and
 * price may have moved since), so seeding on every start, from several replicas at once, is safe.
 */
export function seedCatalog(deps: { createProduct: CreateProduct }): SeedCatalog {
  return async () => {
    let created = 0;
    for (const product of seedProducts) {
      if ((await deps.createProduct(product)).ok) created++;
    }
    return { created };
  };
}
