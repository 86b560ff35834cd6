import type { Orm } from '#shared/db/orm.ts';
import { listCatalogProducts } from './catalog-copy.ts';

export interface CatalogEntry {
  price: number;
  active: boolean;
}

/**
 * The catalog copy as the order API reads it: from memory, reloaded from the database at most
 * every `maxAgeMs`. A price at most that stale is safe: the product service checks the price again
 * when it reserves and rejects a mismatch, so a stale read can only cancel an order, never sell at
 * a wrong price.
 */
export function createCatalogPrices(deps: { orm: Orm; maxAgeMs?: number; now?: () => number }) {
  const maxAgeMs = deps.maxAgeMs ?? 1_000;
  const now = deps.now ?? (() => performance.now());
  let loaded: { at: number; entries: Map<string, CatalogEntry> } | null = null;
  let loading: Promise<Map<string, CatalogEntry>> | null = null;

  async function reload(): Promise<Map<string, CatalogEntry>> {
    const products = await listCatalogProducts(deps.orm.em);
    const entries = new Map(products.map((p) => [p.id, { price: p.price, active: p.active }]));
    loaded = { at: now(), entries };
    return entries;
  }

  return {
    async lookup(productIds: readonly string[]): Promise<Map<string, CatalogEntry>> {
      let entries = loaded && now() - loaded.at < maxAgeMs ? loaded.entries : null;
      // An id we have never seen may have just been published: one reload before calling it unknown.
      if (entries && productIds.some((id) => !entries!.has(id)) && now() - loaded!.at > 50) entries = null;
      if (!entries) {
        loading ??= reload().finally(() => {
          loading = null;
        });
        entries = await loading;
      }
      return entries;
    },
  };
}

export type CatalogPrices = ReturnType<typeof createCatalogPrices>;
