import type { Registry } from 'prom-client';
import { counter, histogram } from '#shared/observability/metrics.ts';
import { sagaMetrics } from '#shared/observability/saga-metrics.ts';
import type { StepResult } from './saga-step.ts';

export interface SagaStepMetrics {
  /** Counts the steps a transaction committed; `started` is when the transaction began (performance.now()). */
  observe(results: readonly StepResult[], started: number): void;
}

/**
 * What the saga's steps count: steps by event, source and whether they changed the saga; sagas that
 * began compensating; the duration of finished sagas; timeouts that fired; and the time of the
 * transaction a step was part of, by event and status transition. Labels are event types and
 * statuses of the machine, never an order id.
 */
export function createSagaStepMetrics(registry: Registry): SagaStepMetrics {
  const stepsTotal = counter(registry, 'saga_steps_total', 'Saga events handled', ['event', 'source', 'changed']);
  const sagaSeconds = histogram(
    registry,
    'saga_duration_seconds',
    'From order placement to a terminal state',
    ['outcome'],
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  );
  const timeoutsFired = counter(registry, 'saga_timeouts_fired_total', 'Saga deadlines that fired', ['timer']);
  const { compensations, stepSeconds } = sagaMetrics(registry);
  return {
    observe(results, started) {
      const seconds = (performance.now() - started) / 1000;
      for (const result of results) {
        const { order } = result;
        stepsTotal.inc({ event: result.event, source: result.source, changed: String(result.changed) });
        stepSeconds.observe({ event: result.event, from: result.statusBefore ?? 'NONE', to: order.status }, seconds);
        if (result.timer) timeoutsFired.inc({ timer: result.timer });
        if (result.changed && order.status === 'CANCELLING' && result.statusBefore !== 'CANCELLING') compensations.inc({ trigger: result.event });
        if (result.changed && order.terminalAt && order.terminalAt.getTime() === order.updatedAt.getTime()) {
          sagaSeconds.observe({ outcome: order.status }, (order.terminalAt.getTime() - order.createdAt.getTime()) / 1000);
        }
      }
    },
  };
}
