// The orders of the chaos load: the load test's default mix, the products and customers it touches, their top-up.
import { topUpForMix } from '../../scripts/load/load-test.ts';
import { defaultMix, type OrderShape } from '../../scripts/load/order-mix.ts';
import type { PlatformApi } from '../../scripts/load/platform-api.ts';

export const mix: OrderShape[] = defaultMix;
export const productIds = [...new Set(mix.flatMap((shape) => shape.lines.map((l) => l.productId)))];
export const customerIds = [...new Set(mix.map((shape) => shape.customerId))];

/** Stock and credit for the shapes meant to succeed, twice what they need (faults cancel and retry). */
export async function topUpFor(api: PlatformApi, total: number): Promise<void> {
  await topUpForMix(api, mix, total, 2);
}
