import type { Registry } from 'prom-client';
import { counter } from '#shared/observability/metrics.ts';
import type { Drift } from './order-drift.ts';
import type { Repair } from './saga-reconciler.ts';

/**
 * What the reconciler counts: drift found, by kind (a drift still there at the next pass counts
 * again), repairs sent to sagas, by outcome, and passes, by outcome. Labels never name an order.
 */
export function createReconcileMetrics(registry: Registry) {
  const drift = counter(
    registry,
    'saga_reconcile_drift_total',
    "Finished orders whose saga disagrees with the product or payment service's records",
    ['kind'],
  );
  const repairs = counter(registry, 'saga_reconcile_repairs_total', 'DriftFound events the reconciler sent to cancelled sagas', ['outcome']);
  const passes = counter(registry, 'saga_reconcile_passes_total', 'Reconciler passes', ['mode', 'outcome']);
  return {
    observe(found: readonly Drift[], sent: readonly Repair[], mode: string): void {
      for (const entry of found) drift.inc({ kind: entry.kind });
      for (const repair of sent) repairs.inc({ outcome: repair.outcome });
      passes.inc({ mode, outcome: 'done' });
    },
    failed(mode: string): void {
      passes.inc({ mode, outcome: 'failed' });
    },
  };
}
