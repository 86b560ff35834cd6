import type { Registry } from 'prom-client';
import type { Orm } from '#shared/db/orm.ts';
import { errorMessage, isRetryable, PoisonMessageError } from '#shared/db/retryable-errors.ts';
import { route, type Route } from '#shared/inbox/message-consumer.ts';
import { topics } from '#shared/contracts/topics.ts';
import type { Logger } from '#shared/observability/logger.ts';
import { counter, histogram } from '#shared/observability/metrics.ts';
import { sagaMetrics } from '#shared/observability/saga-metrics.ts';
import type { OutboxRelay } from '#shared/outbox/outbox-relay.ts';
import { backoffMs, sleep } from '#shared/runtime/sleep.ts';
import type { OrderSagaEvent } from '#statecharts/saga-types.ts';
import { eventOfReply } from './reply-events.ts';
import type { EventOrigin, SagaSteps, StepOutcome, StepResult } from './saga-step.ts';
import type { SagaTimerJobs, TimerFiring } from './saga-timer-jobs.ts';

/**
 * Runs saga steps for every kind of input — Kafka replies (inside the consumer's transaction),
 * timers and operator commands (in a transaction of their own) — and performs the after-commit
 * effects: nudge the outbox relay, (re)schedule or cancel the timer jobs.
 */
export function createSagaRunner(deps: {
  orm: Orm;
  steps: SagaSteps;
  relay: OutboxRelay;
  timerJobs: () => SagaTimerJobs;
  logger: Logger;
  metrics: Registry;
}) {
  const stepsTotal = counter(deps.metrics, 'saga_steps_total', 'Saga events handled', ['event', 'source', 'changed']);
  const sagaSeconds = histogram(
    deps.metrics,
    'saga_duration_seconds',
    'From order placement to a terminal state',
    ['outcome'],
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  );
  const timeoutsFired = counter(deps.metrics, 'saga_timeouts_fired_total', 'Saga deadlines that fired', ['timer']);
  const { compensations } = sagaMetrics(deps.metrics);

  async function afterCommit(result: StepResult, event: string, source: string): Promise<void> {
    stepsTotal.inc({ event, source, changed: String(result.changed) });
    if (result.changed && result.order.status === 'CANCELLING' && result.statusBefore !== 'CANCELLING') compensations.inc({ trigger: event });
    if (result.changed && result.order.terminalAt && result.order.terminalAt.getTime() === result.order.updatedAt.getTime()) {
      sagaSeconds.observe({ outcome: result.order.status }, (result.order.terminalAt.getTime() - result.order.createdAt.getTime()) / 1000);
    }
    if (result.commandsQueued > 0) deps.relay.nudge();
    // Not awaited: the deadline is already committed in the order row, and the sweep fires it if
    // this job never lands. Nobody (HTTP client, Kafka offset) should wait for Redis.
    if (result.timerJobs.length > 0) {
      deps
        .timerJobs()
        .apply(result.timerJobs)
        .catch((error) => {
          deps.logger.warn({ orderId: result.order.id, err: errorMessage(error) }, 'timer jobs not scheduled; the sweep fires the deadlines');
        });
    }
  }

  /** Retries a whole transaction on deadlocks and lost connections (timers and operators have no broker redelivery). */
  async function inTransaction<T>(work: (em: ReturnType<Orm['em']['fork']>) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await deps.orm.em.fork().transactional(work);
      } catch (error) {
        if (!isRetryable(error) || attempt >= 10) throw error;
        await sleep(backoffMs(attempt, 20, 1_000));
      }
    }
  }

  function replyRoute(topic: typeof topics.productReservationResponse | typeof topics.paymentResponse): Route {
    return route(topic, async (reply, context) => {
      const event = eventOfReply(reply);
      const orderId = context.envelope.orderId;
      if (!orderId) throw new PoisonMessageError(`${reply.type} without an order id`);
      const outcome = await deps.steps.advance(context.em, orderId, event, { source: 'kafka', messageId: context.envelope.messageId });
      if (outcome.kind === 'unknown-order') throw new PoisonMessageError(`${reply.type} for unknown order ${orderId}`);
      context.afterCommit(() => afterCommit(outcome.result, event.type, 'kafka'));
    });
  }

  return {
    afterCommit,
    replyRoutes: (): Route[] => [replyRoute(topics.productReservationResponse), replyRoute(topics.paymentResponse)],

    async fireTimer(firing: TimerFiring, origin: EventOrigin = { source: 'timer' }): Promise<StepOutcome | { kind: 'stale' }> {
      const outcome = await inTransaction((em) => deps.steps.fireTimer(em, firing.orderId, firing.timer, firing.attempt, origin));
      if (outcome.kind !== 'applied') return outcome;
      timeoutsFired.inc({ timer: firing.timer });
      await afterCommit(outcome.result, `timeout:${firing.timer}`, origin.source);
      return outcome;
    },

    /** An operator's event (e.g. CancellationRequested); refused when the machine cannot take it now. */
    async operatorEvent(orderId: string, event: OrderSagaEvent, origin: EventOrigin): Promise<StepOutcome> {
      const outcome = await inTransaction((em) => deps.steps.advance(em, orderId, event, origin));
      if (outcome.kind === 'applied') await afterCommit(outcome.result, event.type, origin.source);
      return outcome;
    },
  };
}

export type SagaRunner = ReturnType<typeof createSagaRunner>;
