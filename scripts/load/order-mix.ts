/**
 * The shapes of orders a load run places, over the seed catalog and customers. Stock and credit for
 * the shapes meant to succeed are topped up before a run (through the admin APIs) so that a long
 * run measures sagas, not an empty warehouse; the two failing shapes stay failing by construction.
 */
export const seedCustomers = {
  rich: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
  middle: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  modest: '9b2d3f1e-8c4a-4e6b-a1d2-5f6e7a8b9c0d',
} as const;

export const seedProducts = {
  coffee: { id: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', price: 5000 },
  sandwich: { id: '1a2b3c4d-5e6f-7089-9a0b-cdef12345678', price: 8000 },
  salad: { id: '2b3c4d5e-6f70-8192-a3b4-cdef56789012', price: 12000 },
  pizza: { id: '3c4d5e6f-7081-92a3-b4c5-def678901234', price: 25000 },
  pasta: { id: '4d5e6f70-8192-a3b4-c5d6-ef7890123456', price: 18000 },
} as const;

export type Expectation = 'CONFIRMED' | 'CANCELLED';

export interface OrderShape {
  name: string;
  weight: number;
  expect: Expectation;
  customerId: string;
  lines: { productId: string; price: number; quantity: number }[];
}

const line = (product: { id: string; price: number }, quantity: number) => ({ productId: product.id, price: product.price, quantity });

/** Pizza is only ever ordered far beyond its stock, so these orders are always rejected. */
export const outOfStockQuantity = 9_000;
/** The modest customer is never topped up and always orders more than it has. */
const overCreditPastas = 15; // 270,000 KRW > 250,000

export const defaultMix: OrderShape[] = [
  { name: 'single item', weight: 60, expect: 'CONFIRMED', customerId: seedCustomers.rich, lines: [line(seedProducts.coffee, 2)] },
  {
    name: 'multi item',
    weight: 25,
    expect: 'CONFIRMED',
    customerId: seedCustomers.middle,
    lines: [line(seedProducts.sandwich, 1), line(seedProducts.salad, 1)],
  },
  {
    name: 'out of stock',
    weight: 5,
    expect: 'CANCELLED',
    customerId: seedCustomers.rich,
    lines: [line(seedProducts.pizza, outOfStockQuantity)],
  },
  {
    name: 'over credit',
    weight: 10,
    expect: 'CANCELLED',
    customerId: seedCustomers.modest,
    lines: [line(seedProducts.pasta, overCreditPastas)],
  },
];

/** Deterministic interleaving by weight: order i gets the shape whose cumulative share it falls in. */
export function shapeFor(index: number, mix: readonly OrderShape[]): OrderShape {
  const total = mix.reduce((sum, shape) => sum + shape.weight, 0);
  // A golden-ratio walk spreads shapes evenly over time instead of in blocks.
  const position = ((index * 0.6180339887) % 1) * total;
  let cumulative = 0;
  for (const shape of mix) {
    cumulative += shape.weight;
    if (position < cumulative) return shape;
  }
  return mix[mix.length - 1];
}

export function orderBodyOf(shape: OrderShape) {
  return {
    customerId: shape.customerId,
    price: shape.lines.reduce((sum, l) => sum + l.price * l.quantity, 0),
    items: shape.lines.map((l) => ({ productId: l.productId, quantity: l.quantity, price: l.price })),
    address: { street: '1 Load Test Rd', postalCode: '04524', city: 'Seoul' },
  };
}
