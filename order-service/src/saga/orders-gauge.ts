import type { Registry } from 'prom-client';
import type { Orm } from '#shared/db/orm.ts';
import { errorMessage } from '#shared/db/retryable-errors.ts';
import type { Logger } from '#shared/observability/logger.ts';
import { sagaMetrics } from '#shared/observability/saga-metrics.ts';
import { ORDER_STATUSES } from '#statecharts/saga-types.ts';
import { countOrdersByStatus } from './saga-reads.ts';

/**
 * `saga_orders{status}`: orders per status, counted by every replica of the order service every
 * `everyMs` (default 10 s) from the status index. Statuses with no order read 0.
 */
export function createOrdersGauge(options: { orm: Orm; metrics: Registry; logger: Logger; everyMs?: number }) {
  const { orders } = sagaMetrics(options.metrics);
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  async function refresh(): Promise<void> {
    const counts = await countOrdersByStatus(options.orm.em);
    for (const status of ORDER_STATUSES) orders.set({ status }, counts.get(status) ?? 0);
  }

  function tick(): void {
    if (running) return;
    running = refresh()
      .catch((error) => options.logger.debug({ err: errorMessage(error) }, 'orders per status not counted'))
      .finally(() => {
        running = null;
      });
  }

  return {
    refresh,
    start() {
      if (timer) return;
      tick();
      timer = setInterval(tick, options.everyMs ?? 10_000);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}
