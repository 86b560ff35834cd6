import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { counter, gauge, histogram } from './metrics.ts';

export interface SagaMetrics {
  /** One saga step (row lock, machine, writes) by event type and status transition: bounded labels only. */
  stepSeconds: Histogram;
  /** Sagas that began compensating, by the event that made them. */
  compensations: Counter;
  /** Orders per status now, refreshed by a periodic query. */
  orders: Gauge;
}

/**
 * Saga metrics next to the ones the saga runner already has (`saga_steps_total`,
 * `saga_duration_seconds{outcome}`, `saga_timeouts_fired_total{timer}`). Labels are event types and
 * statuses of the machine, never an order id.
 */
export function sagaMetrics(registry: Registry): SagaMetrics {
  return {
    stepSeconds: histogram(
      registry,
      'saga_step_duration_seconds',
      'Time of one saga step inside its transaction (order row lock, machine, writes), by event and status transition',
      ['event', 'from', 'to'],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    ),
    compensations: counter(
      registry,
      'saga_compensations_total',
      'Sagas that started compensating (entered CANCELLING: release stock, refund), by triggering event',
      ['trigger'],
    ),
    orders: gauge(registry, 'saga_orders', 'Orders per status (periodic count)', ['status']),
  };
}
