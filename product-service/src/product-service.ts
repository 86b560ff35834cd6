import type { ServiceDefinition } from '#shared/runtime/service-host.ts';
import { addStock } from './catalog/add-stock.ts';
import { changePrice } from './catalog/change-price.ts';
import { createProduct } from './catalog/create-product.ts';
import { ProductSchema } from './catalog/product.entity.ts';
import { productQueries } from './catalog/product-queries.ts';
import { addProductRoutes } from './catalog/products.index.ts';
import { republishCatalog } from './catalog/republish-catalog.ts';
import { seedCatalog } from './catalog/seed-catalog.ts';
import { productServiceAccess } from './auth/product-access.ts';
import { productMigrations } from './db/product-migrations.ts';
import { OrderStockSchema } from './reservations/order-stock.entity.ts';
import { ProductReservationSchema } from './reservations/product-reservation.entity.ts';
import { addReservationRoutes } from './reservations/reservations.index.ts';
import { stockCommandRoute } from './reservations/stock-commands.consumer.ts';

/** The product service: the catalog, its stock, and the stock steps of the order saga. */
export const productService: ServiceDefinition = {
  name: 'product-service',
  title: 'Product service',
  description: 'The product catalog and its stock: reserves, confirms and releases stock for the order saga over Kafka.',
  defaultPort: 8182,
  defaultDbName: 'product_db',
  entities: [ProductSchema, OrderStockSchema, ProductReservationSchema],
  migrations: productMigrations,
  access: productServiceAccess,
  build(deps) {
    const { orm, clock, metrics, messaging } = deps;
    const catalog = { orm, clock, unitOfWork: messaging.unitOfWork };
    const create = createProduct({ ...catalog, ids: deps.ids });
    const seed = seedCatalog({ createProduct: create });
    const republish = republishCatalog(catalog);

    return {
      api(app) {
        addProductRoutes(app, {
          queries: productQueries({ orm }),
          createProduct: create,
          changePrice: changePrice(catalog),
          addStock: addStock(catalog),
        });
        addReservationRoutes(app, { query: (sql, params) => messaging.pool.query(sql, params) });
      },
      consumers: [stockCommandRoute({ outbox: messaging.outbox, clock, metrics })],
      async onStart() {
        const { created } = await seed();
        const published = await republish();
        deps.logger.info({ seeded: created, published }, 'catalog seeded and republished');
      },
    };
  },
};
