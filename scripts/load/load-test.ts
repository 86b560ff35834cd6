import { measureFloor, type Floor } from './floor.ts';
import { checkInvariants, readLedger } from './invariants.ts';
import { defaultMix, shapeFor, type OrderShape } from './order-mix.ts';
import { platformApi, type ApiAuth, type PlatformApi, type PlatformUrls } from './platform-api.ts';
import { buildReport, type LoadReport } from './report.ts';
import { runLoad, type Progress, type PlacedOrder } from './run-load.ts';

export interface LoadTestOptions {
  urls: PlatformUrls;
  orders?: number;
  concurrency?: number;
  rate?: number;
  durationS?: number;
  deadlineMs?: number;
  mix?: OrderShape[];
  measureFloor?: boolean;
  /** Add stock and credit for the shapes meant to succeed, so the run measures sagas. */
  topUp?: boolean;
  /** Extra headers on every request. */
  authHeader?: () => Record<string, string>;
  /** Tokens: default, asked of the order service (each order with its customer's token); null: none (AUTH_MODE=off). */
  auth?: ApiAuth | null;
  onProgress?: (progress: Progress) => void;
}

/** One load run: prepare, measure the floor, place orders, wait for terminal states, check invariants. */
export async function runLoadTest(options: LoadTestOptions): Promise<{ report: LoadReport; orders: PlacedOrder[] }> {
  const api =
    options.auth === undefined ? platformApi(options.urls, options.authHeader) : platformApi(options.urls, options.authHeader, options.auth);
  const mix = options.mix ?? defaultMix;
  const total = options.rate && options.durationS ? Math.round(options.rate * options.durationS) : (options.orders ?? 100);
  const productIds = [...new Set(mix.flatMap((shape) => shape.lines.map((l) => l.productId)))];
  const customerIds = [...new Set(mix.map((shape) => shape.customerId))];
  await api.signIn(customerIds);
  if (options.topUp !== false) await topUpForMix(api, mix, total);
  const floor: Floor | null = options.measureFloor === false ? null : await measureFloor();
  const before = await readLedger(api, productIds, customerIds);
  const { orders, wallMs } = await runLoad(api, {
    mix,
    orders: options.orders,
    concurrency: options.concurrency,
    rate: options.rate,
    durationS: options.durationS,
    deadlineMs: options.deadlineMs ?? 60_000,
    onProgress: options.onProgress,
  });
  const after = await readLedger(api, productIds, customerIds);
  const invariants = await checkInvariants(api, orders, before, after);
  const plan = { orders: total, concurrency: options.concurrency, rate: options.rate, durationS: options.durationS, urls: options.urls };
  return { report: buildReport(plan, orders, wallMs, floor, invariants), orders };
}

/**
 * Adds stock and credit for the shapes of `mix` meant to succeed over `total` orders, `headroom`
 * times what they need, so that a run measures sagas and not an empty warehouse.
 */
export async function topUpForMix(api: PlatformApi, mix: readonly OrderShape[], total: number, headroom = 1): Promise<void> {
  const units = new Map<string, number>();
  const money = new Map<string, number>();
  for (let index = 0; index < total; index++) {
    const shape = shapeFor(index, mix);
    if (shape.expect !== 'CONFIRMED') continue;
    for (const l of shape.lines) units.set(l.productId, (units.get(l.productId) ?? 0) + l.quantity);
    money.set(shape.customerId, (money.get(shape.customerId) ?? 0) + shape.lines.reduce((s, l) => s + l.price * l.quantity, 0));
  }
  for (const [productId, needed] of units) {
    const { available } = await api.product(productId);
    if (available < needed * headroom) await api.addStock(productId, needed * headroom - available + 100);
  }
  for (const [customerId, needed] of money) {
    let { balance } = await api.credit(customerId);
    while (balance < needed * headroom) {
      const amount = Math.min(100_000_000, needed * headroom - balance + 10_000);
      await api.topUp(customerId, amount);
      balance += amount;
    }
  }
}
