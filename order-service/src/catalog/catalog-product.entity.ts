import { defineEntity, p } from '@mikro-orm/core';

/** The order service's own copy of the product catalog, fed by the product-catalog topic. */
export const CatalogProduct = defineEntity({
  name: 'CatalogProduct',
  tableName: 'catalog_product',
  properties: {
    id: p.string().length(36).primary(),
    name: p.string().length(200),
    price: p.bigint('number'),
    active: p.boolean(),
    revision: p.integer(),
    updatedAt: p.datetime(3),
  },
});

export type CatalogProductRow = InstanceType<typeof CatalogProduct.class>;
