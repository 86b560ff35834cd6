import type { Registry } from 'prom-client';
import type { Orm } from '#shared/db/orm.ts';
import { errorMessage } from '#shared/db/retryable-errors.ts';
import type { Logger } from '#shared/observability/logger.ts';
import { sagaMetrics } from '#shared/observability/saga-metrics.ts';
import { contextFromTraceparent, SpanKind, type Span, type Tracing } from '#shared/observability/tracing.ts';
import { ORDER_STATUSES, TIMEOUT_EVENT_OF } from '#statecharts/saga-types.ts';
import type { SagaSteps, StepOutcome, StepResult } from './saga-step.ts';
import type { TimerFiring } from './saga-timer-jobs.ts';

/**
 * The step handler, observed: every step (placement, reply, timer, operator) gets a span "saga step
 * <event>" inside its transaction when tracing is on — the outbox rows it writes carry that span's
 * context — and `saga_step_duration_seconds{event, from, to}` (time inside the transaction: row
 * lock, machine, writes). The steps themselves are untouched.
 */
export function observedSagaSteps(steps: SagaSteps, deps: { tracing: Tracing; metrics: Registry }): SagaSteps {
  const { stepSeconds } = sagaMetrics(deps.metrics);
  const { tracing } = deps;

  function note(span: Span | undefined, event: string, result: StepResult, started: number): void {
    stepSeconds.observe({ event, from: result.statusBefore ?? 'NONE', to: result.order.status }, (performance.now() - started) / 1000);
    span?.setAttributes({
      'saga.status_before': result.statusBefore ?? 'NONE',
      'saga.status_after': result.order.status,
      'saga.changed': result.changed,
      'saga.commands_queued': result.commandsQueued,
    });
  }

  const spanOf = (event: string, orderId: string) => ({
    kind: SpanKind.INTERNAL,
    attributes: { 'saga.event': event, 'commerce.order_id': orderId, 'db.system.name': 'mariadb' },
  });

  return {
    start(em, placement) {
      const started = performance.now();
      return tracing.inSpan('saga step OrderPlaced', spanOf('OrderPlaced', placement.orderId), async (span) => {
        const result = await steps.start(em, placement);
        note(span, 'OrderPlaced', result, started);
        return result;
      });
    },
    advance(em, orderId, event, origin) {
      const started = performance.now();
      return tracing.inSpan(`saga step ${event.type}`, spanOf(event.type, orderId), async (span): Promise<StepOutcome> => {
        const outcome = await steps.advance(em, orderId, event, origin);
        if (outcome.kind === 'applied') note(span, event.type, outcome.result, started);
        else span?.setAttribute('saga.outcome', outcome.kind);
        return outcome;
      });
    },
    fireTimer(em, orderId, timer, attempt, origin) {
      const started = performance.now();
      const event = TIMEOUT_EVENT_OF[timer];
      return tracing.inSpan(`saga step ${event}`, spanOf(event, orderId), async (span) => {
        const outcome = await steps.fireTimer(em, orderId, timer, attempt, origin);
        if (outcome.kind === 'applied') note(span, event, outcome.result, started);
        else span?.setAttribute('saga.outcome', outcome.kind);
        return outcome;
      });
    },
  };
}

/**
 * A timer firing as a span of the order's trace: child of the context the job carries (the step
 * that armed the timer) or, from the sweep, of the one stored with the order. Off: `fire` itself.
 */
export function tracedTimerFiring(tracing: Tracing, fire: (firing: TimerFiring) => Promise<void>): (firing: TimerFiring) => Promise<void> {
  if (!tracing.enabled) return fire;
  return (firing) =>
    tracing.inSpan(
      `saga timer ${firing.timer}`,
      {
        kind: SpanKind.CONSUMER,
        parent: contextFromTraceparent(firing.traceparent),
        attributes: { 'saga.timer': firing.timer, 'saga.timer_attempt': firing.attempt, 'commerce.order_id': firing.orderId },
      },
      () => fire(firing),
    );
}

/**
 * `saga_orders{status}`: orders per status, counted by every replica of the order service every
 * `everyMs` (default 10 s) from the status index. Statuses with no order read 0.
 */
export function createOrdersGauge(options: { orm: Orm; metrics: Registry; logger: Logger; everyMs?: number }) {
  const { orders } = sagaMetrics(options.metrics);
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  async function refresh(): Promise<void> {
    const rows = await options.orm.em
      .fork()
      .execute<{ status: string; n: number | string }[]>('select status, count(*) as n from customer_order group by status');
    const counts = new Map(rows.map((row) => [row.status, Number(row.n)]));
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
