import type { RouteHandler } from '@hono/zod-openapi';
import { conflict, notFound, unprocessable } from '#shared/http/problem.ts';
import type { ProductReservation } from '../reservations/product-reservation.entity.ts';
import type { AddStock } from './add-stock.ts';
import type { ChangePrice } from './change-price.ts';
import type { ProductNotFound } from './change-product.ts';
import type { CreateProduct } from './create-product.ts';
import type { Product } from './product.entity.ts';
import type { ProductQueries } from './product-queries.ts';
import type * as routes from './products.routes.ts';

export interface ProductApiDeps {
  queries: ProductQueries;
  createProduct: CreateProduct;
  changePrice: ChangePrice;
  addStock: AddStock;
}

export const productView = (product: Product) => ({
  id: product.id,
  name: product.name,
  price: product.price,
  onHand: product.onHand,
  reserved: product.reserved,
  available: product.available,
  active: product.active,
  revision: product.revision,
});

const reservationView = (reservation: ProductReservation) => ({
  orderId: reservation.orderId,
  productId: reservation.productId,
  quantity: reservation.quantity,
  unitPrice: reservation.unitPrice,
  status: reservation.status,
  createdAt: reservation.createdAt.toISOString(),
  updatedAt: reservation.updatedAt.toISOString(),
});

/** Business refusals of the catalog use cases → problem+json (via the app's onError). */
function problemOf(refusal: ProductNotFound | { ok: false; code: 'ALREADY_EXISTS' | 'ON_HAND_LIMIT'; reason: string }): Error {
  switch (refusal.code) {
    case 'NOT_FOUND':
      return notFound('product');
    case 'ALREADY_EXISTS':
      return conflict(refusal.reason);
    case 'ON_HAND_LIMIT':
      return unprocessable(refusal.reason);
  }
}

export function productHandlers(deps: ProductApiDeps) {
  const listProducts: RouteHandler<typeof routes.listProducts> = async (c) => {
    const page = await deps.queries.listProducts(c.req.valid('query'));
    return c.json({ ...page, items: page.items.map(productView) }, 200);
  };

  const getProduct: RouteHandler<typeof routes.getProduct> = async (c) => {
    const product = await deps.queries.findProduct(c.req.valid('param').productId);
    if (!product) throw notFound('product');
    return c.json(productView(product), 200);
  };

  const listReservations: RouteHandler<typeof routes.listReservations> = async (c) => {
    const page = await deps.queries.listReservations(c.req.valid('param').productId, c.req.valid('query'));
    if (!page) throw notFound('product');
    return c.json({ ...page, items: page.items.map(reservationView) }, 200);
  };

  const createProduct: RouteHandler<typeof routes.createProduct> = async (c) => {
    const result = await deps.createProduct(c.req.valid('json'));
    if (!result.ok) throw problemOf(result);
    c.header('location', `/api/v1/products/${result.product.id}`);
    return c.json(productView(result.product), 201);
  };

  const changePrice: RouteHandler<typeof routes.changePrice> = async (c) => {
    const result = await deps.changePrice({ productId: c.req.valid('param').productId, price: c.req.valid('json').price });
    if (!result.ok) throw problemOf(result);
    return c.json(productView(result.product), 200);
  };

  const addStock: RouteHandler<typeof routes.addStock> = async (c) => {
    const result = await deps.addStock({ productId: c.req.valid('param').productId, quantity: c.req.valid('json').quantity });
    if (!result.ok) throw problemOf(result);
    return c.json(productView(result.product), 200);
  };

  return { listProducts, getProduct, listReservations, createProduct, changePrice, addStock };
}
