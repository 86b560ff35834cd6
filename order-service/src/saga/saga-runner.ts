import type { Registry } from 'prom-client';
import { errorMessage, isRetryable } from '#shared/db/retryable-errors.ts';
import type { SqlPool } from '#shared/db/sql-pool.ts';
import { inTransaction, type SqlTransaction } from '#shared/db/sql-transaction.ts';
import { createTransactionBatcher } from '#shared/db/transaction-batcher.ts';
import { outboxTimesOf } from '#shared/outbox/outbox-sent.ts';
import type { Route } from '#shared/inbox/route.ts';
import type { Logger } from '#shared/observability/logger.ts';
import { contextFromTraceparent, noTracing, SpanKind, traceparentOf, type Span, type Tracing } from '#shared/observability/tracing.ts';
import { counter } from '#shared/observability/metrics.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import { backoffMs, sleep } from '#shared/runtime/sleep.ts';
import type { OrderSagaEvent, SagaTimer } from '#statecharts/saga-types.ts';
import { dueTimers } from './pending-timers.ts';
import { findDueOrders, lockSagaRowsNow } from './saga-rows.ts';
import { sagaReplyRoutes } from './saga-replies.consumer.ts';
import type { SagaStepMetrics } from './saga-step-metrics.ts';
import type { DeadlineSet, EventOrigin, OrderPlacement, SagaInput, SagaSteps, StepOutcome, StepResult } from './saga-step.ts';
import type { DeadlineQueue } from './saga-timer-jobs.ts';

/**
 * Runs saga steps for every kind of input — Kafka replies (a batch in the consumer's transaction),
 * placements, timers and operator commands (in transactions of their own) — always through the one
 * step handler, and does what follows a commit: make sure a job comes due for every deadline set.
 * (The commands the steps queued are published by the outbox when the transaction commits.)
 */
export function createSagaRunner(deps: {
  pool: SqlPool;
  steps: SagaSteps;
  deadlines: DeadlineQueue;
  metrics: SagaStepMetrics;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  tracing?: Tracing;
  /** Told which orders a committed transaction made terminal (waiting requests answer at once). */
  onTerminal?(orderIds: string[]): void;
}) {
  const { steps, logger } = deps;
  const tracing = deps.tracing ?? noTracing;
  const timerFailures = counter(deps.registry, 'saga_timer_failures_total', 'Due timers whose firing failed (retried with backoff)');
  const placements = createTransactionBatcher(deps.pool, {
    onEffectError: (error) => logger.warn({ err: errorMessage(error) }, 'after-commit effect failed'),
  });
  /** Orders whose timers failed to fire, and when to try them again (one bad order must not stop the others). */
  const backingOff = new Map<string, { until: number; failures: number }>();

  function afterCommit(results: readonly StepResult[], started: number): void {
    deps.metrics.observe(results, started);
    const ended = results.filter(
      (result) => result.changed && result.order.terminalAt && result.order.terminalAt.getTime() === result.order.updatedAt.getTime(),
    );
    if (ended.length > 0) deps.onTerminal?.(ended.map((result) => result.order.id));
    scheduleDeadlines(results.flatMap((result) => result.deadlines));
  }

  function scheduleDeadlines(deadlines: DeadlineSet[]): void {
    if (deadlines.length === 0) return;
    // Not awaited: the deadlines are committed in the order rows, and the sweep fires them if a job
    // never lands. Nobody (HTTP client, Kafka offset) should wait for Redis.
    deps.deadlines.schedule(deadlines).catch((error) => {
      logger.warn({ err: errorMessage(error), deadlines: deadlines.length }, 'deadline jobs not scheduled; the sweep fires the deadlines');
    });
  }

  /** A transaction of the runner's own, retried on deadlocks and lost connections (no broker redelivers these). */
  async function inOwnTransaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await inTransaction(deps.pool, work, {
          onEffectError: (error) => logger.warn({ err: errorMessage(error) }, 'after-commit effect failed'),
        });
      } catch (error) {
        if (!isRetryable(error) || attempt >= 10) throw error;
        await sleep(backoffMs(attempt, 20, 1_000));
      }
    }
  }

  /** Inputs for orders read in the same transaction, locked there. */
  async function applyLocked(inputs: readonly SagaInput[]): Promise<StepOutcome[]> {
    const started = performance.now();
    return inOwnTransaction(async (tx) => {
      const rows = await lockSagaRowsNow(
        tx,
        inputs.map((input) => input.orderId),
      );
      // When the commands the due timers wait on reached the broker (their deadlines count from then).
      const commandIds = inputs.flatMap((input) => {
        const commandId = input.kind === 'timer' && !input.early ? rows.get(input.orderId)?.timers[input.timer]?.commandId : undefined;
        return commandId ? [commandId] : [];
      });
      const outcomes = steps.apply(tx, rows, inputs, await outboxTimesOf(tx, commandIds));
      const results = outcomes.flatMap((outcome) => (outcome.kind === 'applied' ? [outcome.result] : []));
      const postponed = outcomes.flatMap((outcome) => (outcome.kind === 'postponed' ? [outcome.deadline] : []));
      tx.afterCommit(() => {
        afterCommit(results, started);
        if (postponed.length > 0) scheduleDeadlines(postponed);
      });
      return outcomes;
    });
  }

  /** Fires the timers of these due orders as one batch; on a failure, order by order so one bad order cannot stop the rest. */
  async function fireBatch(inputs: SagaInput[]): Promise<number> {
    try {
      return countApplied(await applyLocked(inputs));
    } catch (error) {
      if (inputs.length === 1) throw error;
      let fired = 0;
      for (const orderId of new Set(inputs.map((input) => input.orderId))) {
        try {
          fired += countApplied(await applyLocked(inputs.filter((input) => input.orderId === orderId)));
          backingOff.delete(orderId);
        } catch (orderError) {
          const previous = backingOff.get(orderId)?.failures ?? 0;
          backingOff.set(orderId, { until: Date.now() + backoffMs(previous + 1, 1_000, 5 * 60_000) + 1_000, failures: previous + 1 });
          timerFailures.inc();
          logger.error({ orderId, err: errorMessage(orderError), failures: previous + 1 }, 'timer firing failed; retried with backoff');
        }
      }
      return fired;
    }
  }

  const countApplied = (outcomes: StepOutcome[]) => outcomes.filter((outcome) => outcome.kind === 'applied').length;

  return {
    /** The consumer routes of the product and payment replies, each batch applied in the consumer's transaction. */
    replyRoutes: (): Route[] => sagaReplyRoutes({ steps, afterCommit }),

    /** Starts an order's saga in its own transaction (`prepare` may look up and lock rows first, e.g. an Idempotency-Key). */
    /**
     * Starts an order's saga. Placements that arrive while others commit share the next transaction
     * (one round trip and one log flush for all of them); `prepare` may look up and lock rows first
     * (e.g. an Idempotency-Key) and return what it found instead.
     */
    async place<T>(placement: OrderPlacement, prepare: (tx: SqlTransaction) => Promise<T | null>): Promise<{ placed: StepResult } | { found: T }> {
      const started = performance.now();
      return placements.run(async (tx) => {
        const found = await prepare(tx);
        if (found !== null) return { found };
        const placed = steps.place(tx, placement);
        tx.afterCommit(() => afterCommit([placed], started));
        return { placed };
      });
    },

    /**
     * Fires every timer due `graceMs` ago or earlier (the deadline jobs with 0, the sweep with a grace
     * so it does not race the jobs), a batch of orders at a time; returns how many fired.
     */
    async fireDue(graceMs = 0): Promise<number> {
      let fired = 0;
      for (let round = 0; round < 20; round++) {
        const now = deps.clock.now();
        const cutoff = new Date(now.getTime() - graceMs);
        const due = (await findDueOrders((sql, params) => deps.pool.query(sql, params), cutoff, 200)).filter((order) => {
          const waiting = backingOff.get(order.id);
          return !waiting || waiting.until <= Date.now();
        });
        const spans: Span[] = [];
        const inputs: SagaInput[] = due.flatMap((order) =>
          dueTimers(order.timers, cutoff).map((timer) => {
            // A firing is a span of the order's trace (tracing on), and its step a child of it.
            const span = tracing.startSpan(`saga timer ${timer.timer}`, {
              kind: SpanKind.CONSUMER,
              parent: contextFromTraceparent(order.traceParent),
              attributes: { 'saga.timer': timer.timer, 'saga.timer_attempt': timer.attempt, 'commerce.order_id': order.id },
            });
            if (span) spans.push(span);
            return {
              kind: 'timer' as const,
              orderId: order.id,
              timer: timer.timer,
              attempt: timer.attempt,
              origin: { source: 'timer' as const, traceparent: span ? traceparentOf(span) : order.traceParent },
            };
          }),
        );
        if (inputs.length === 0) return fired;
        try {
          fired += await fireBatch(inputs);
        } finally {
          for (const span of spans) span.end();
        }
        if (due.length < 200) return fired;
      }
      return fired;
    },

    /** An operator fires a pending timer now, through the step handler (same checks, history row with the operator's origin). */
    async fireTimerNow(orderId: string, timer: SagaTimer, origin: EventOrigin): Promise<StepOutcome> {
      const [outcome] = await applyLocked([{ kind: 'timer', orderId, timer, attempt: null, origin, early: true }]);
      return outcome;
    },

    /** An operator's event (e.g. CancellationRequested); the machine decides whether it changes anything. */
    async operatorEvent(orderId: string, event: OrderSagaEvent, origin: EventOrigin): Promise<StepOutcome> {
      const [outcome] = await applyLocked([{ kind: 'event', orderId, event, origin }]);
      return outcome;
    },

    /** Orders whose timers keep failing (shown as stuck), with how often they failed. */
    timerFailures: () => [...backingOff].map(([orderId, state]) => ({ orderId, failures: state.failures, retryAt: new Date(state.until) })),
  };
}

export type SagaRunner = ReturnType<typeof createSagaRunner>;
