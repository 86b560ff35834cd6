import { createRoute, z } from '@hono/zod-openapi';
import { pageOf, pagingFields, withinPagingWindow } from '#shared/http/paging.ts';
import { problemResponses } from '#shared/http/problem.ts';
import { reservationStatuses } from '../reservations/product-reservation.entity.ts';
import { maxOnHand } from './product.entity.ts';

// Ids are 8-4-4-4-12 hex without an RFC 4122 version check: the seed's product ids are not versioned.
const productId = z.guid().openapi({ example: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0' });
// The same bound as the catalog contract's positiveMoney, so every accepted price can be published.
const price = z.number().int().min(1).max(1_000_000_000_000).openapi({ description: 'Unit price, KRW', example: 5000 });
const name = z.string().trim().min(1).max(200).openapi({ example: '커피' });

const productIdParam = z.object({ productId: productId.openapi({ param: { name: 'productId', in: 'path' } }) });

const pageQuery = withinPagingWindow(z.object(pagingFields({ maxSize: 100 })));

export const productSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    price: z.number().int(),
    onHand: z.number().int().openapi({ description: 'Units in the warehouse, reserved ones included' }),
    reserved: z.number().int().openapi({ description: 'Units held for orders not yet confirmed' }),
    available: z.number().int().openapi({ description: 'onHand − reserved: what new orders can reserve' }),
    active: z.boolean(),
    revision: z.number().int().openapi({ description: 'Catalog revision, bumped on every change and published' }),
  })
  .openapi('Product');

export const reservationSchema = z
  .object({
    orderId: z.string(),
    productId: z.string(),
    quantity: z.number().int(),
    unitPrice: z.number().int(),
    status: z.enum(reservationStatuses),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('ProductReservation');

export const createProductSchema = z
  .strictObject({
    id: productId.optional().openapi({ description: 'Optional; generated when absent' }),
    name,
    price,
    quantity: z.number().int().min(0).max(maxOnHand).openapi({ description: 'Initial stock on hand', example: 100 }),
  })
  .openapi('CreateProduct');

export const changePriceSchema = z.strictObject({ price }).openapi('ChangePrice');

export const addStockSchema = z
  .strictObject({ quantity: z.number().int().min(1).max(maxOnHand).openapi({ description: 'Units delivered', example: 50 }) })
  .openapi('AddStock');

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const body = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } }, required: true });

const tags = ['Products'];

export const listProducts = createRoute({
  method: 'get',
  operationId: 'listProducts',
  path: '/api/v1/products',
  tags,
  summary: 'List products with their stock',
  request: { query: pageQuery },
  responses: { 200: json(pageOf(productSchema), 'A page of products, by id'), ...problemResponses(400, 503) },
});

export const getProduct = createRoute({
  method: 'get',
  operationId: 'getProduct',
  path: '/api/v1/products/{productId}',
  tags,
  summary: 'One product with its stock',
  request: { params: productIdParam },
  responses: { 200: json(productSchema, 'The product'), ...problemResponses(400, 404, 503) },
});

export const listReservations = createRoute({
  method: 'get',
  operationId: 'listProductReservations',
  path: '/api/v1/products/{productId}/reservations',
  tags,
  summary: "A product's reservations, newest first",
  request: { params: productIdParam, query: pageQuery },
  responses: { 200: json(pageOf(reservationSchema), 'A page of reservations'), ...problemResponses(400, 404, 503) },
});

export const createProduct = createRoute({
  method: 'post',
  operationId: 'createProduct',
  path: '/api/v1/products',
  tags,
  summary: 'Add a product to the catalog (published on product-catalog)',
  request: { body: body(createProductSchema) },
  responses: { 201: json(productSchema, 'The new product'), ...problemResponses(400, 409, 413, 415, 503) },
});

export const changePrice = createRoute({
  method: 'put',
  operationId: 'changeProductPrice',
  path: '/api/v1/products/{productId}/price',
  tags,
  summary: "Change a product's unit price (published on product-catalog)",
  request: { params: productIdParam, body: body(changePriceSchema) },
  responses: { 200: json(productSchema, 'The product with its new price'), ...problemResponses(400, 404, 413, 415, 503) },
});

export const addStock = createRoute({
  method: 'post',
  operationId: 'addProductStock',
  path: '/api/v1/products/{productId}/stock',
  tags,
  summary: 'Add units on hand (a delivery)',
  request: { params: productIdParam, body: body(addStockSchema) },
  responses: {
    200: json(productSchema, 'The product with its new stock'),
    ...problemResponses(400, 404, 413, 415, 422, 503),
  },
});
