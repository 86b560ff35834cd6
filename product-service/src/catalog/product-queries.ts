import type { Orm } from '#shared/db/orm.ts';
import { ProductReservation } from '../reservations/product-reservation.entity.ts';
import { Product } from './product.entity.ts';

export interface PageRequest {
  /** Zero-based. */
  page: number;
  size: number;
}

export interface Page<T> extends PageRequest {
  items: T[];
  total: number;
}

export interface ProductQueries {
  listProducts(request: PageRequest): Promise<Page<Product>>;
  findProduct(productId: string): Promise<Product | null>;
  /** Null when the product does not exist; newest reservations first. */
  listReservations(productId: string, request: PageRequest): Promise<Page<ProductReservation> | null>;
}

/** Read side of the catalog: plain reads, no locks, a fresh unit of work per query. */
export function productQueries(deps: { orm: Orm }): ProductQueries {
  const em = () => deps.orm.em.fork();
  return {
    async listProducts({ page, size }) {
      const [items, total] = await em().findAndCount(Product, {}, { orderBy: { id: 'asc' }, limit: size, offset: page * size });
      return { items, page, size, total };
    },
    findProduct: (productId) => em().findOne(Product, { id: productId }),
    async listReservations(productId, { page, size }) {
      const reads = em();
      if ((await reads.count(Product, { id: productId })) === 0) return null;
      const [items, total] = await reads.findAndCount(
        ProductReservation,
        { productId },
        { orderBy: { createdAt: 'desc', orderId: 'asc' }, limit: size, offset: page * size },
      );
      return { items, page, size, total };
    },
  };
}
