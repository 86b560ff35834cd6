import type { RouteHandler } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { principalOf } from '#shared/http/auth/principal.ts';
import type { EventOrigin } from '../../saga/saga-step.ts';
import type { Orm } from '#shared/db/orm.ts';
import { conflict, notFound, ProblemError } from '#shared/http/problem.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import type { Ids } from '#shared/runtime/ids.ts';
import { ORDER_SAGA_VERSION } from '#statecharts/order-saga.machine.ts';
import { parseDuration } from './duration.ts';
import type { createFireTimeout } from './fire-timeout.ts';
import type * as routes from './operator.routes.ts';
import type { createRequestCompensation } from './request-compensation.ts';
import { findStuckOrders, loadSagaOverview, loadSagaView } from './saga-queries.ts';
import { OrderRecordsUnavailable } from '../reconciler/order-records-client.ts';
import { driftSummaryOf, type ReconcilePass, type SagaReconciler } from '../reconciler/saga-reconciler.ts';

export interface OperatorDeps {
  orm: Orm;
  clock: Clock;
  ids: Ids;
  fireTimeout: ReturnType<typeof createFireTimeout>;
  requestCompensation: ReturnType<typeof createRequestCompensation>;
  reconciler: Pick<SagaReconciler, 'run' | 'lastPass'>;
}

/**
 * The origin of an operator's event: the request, and who asked (`actor`: the subject of their
 * admin token, e.g. ops-1), which the step handler records in saga_event.actor.
 */
export function operatorOrigin(c: Context, requestId: string): EventOrigin & { actor: string } {
  return { source: 'operator', messageId: requestId, actor: principalOf(c).subject };
}

/** A reconciler pass; 503 when the product or payment service cannot be asked. */
async function reconcilePass(reconciler: OperatorDeps['reconciler'], mode: ReconcilePass['mode']): Promise<ReconcilePass> {
  try {
    return await reconciler.run(mode);
  } catch (error) {
    if (error instanceof OrderRecordsUnavailable) throw new ProblemError(503, 'Service Unavailable', error.message, { retryAfterSeconds: 5 });
    throw error;
  }
}

/** The operators' saga API: read a saga, fire a timer now, compensate, find stuck sagas, drift and reconcile. */

export function createOperatorHandlers(deps: OperatorDeps) {
  const sagaOf = async (orderId: string) => {
    const view = await loadSagaView(deps.orm.em.fork(), orderId, deps.clock.now());
    if (!view) throw notFound('order');
    return view;
  };

  const getSaga: RouteHandler<typeof routes.getSaga> = async (c) => {
    return c.json(await sagaOf(c.req.valid('param').orderId), 200);
  };

  const fireTimeout: RouteHandler<typeof routes.fireTimeout> = async (c) => {
    const { orderId, timer } = c.req.valid('param');
    const requestId = deps.ids.next();
    const fired = await deps.fireTimeout(orderId, timer, operatorOrigin(c, requestId));
    if (fired.kind === 'unknown-order') throw notFound('order');
    if (fired.kind === 'not-pending') throw conflict(`order ${orderId} has no pending ${timer} timer`);
    const { result } = fired;
    return c.json({ requestId, changed: result.changed, effects: result.effects, saga: await sagaOf(orderId) }, 200);
  };

  const requestCompensation: RouteHandler<typeof routes.requestCompensation> = async (c) => {
    const { orderId } = c.req.valid('param');
    const requestId = deps.ids.next();
    const outcome = await deps.requestCompensation(orderId, c.req.valid('json').reason, operatorOrigin(c, requestId));
    if (outcome.kind === 'unknown-order') throw notFound('order');
    if (outcome.kind === 'refused') throw new ProblemError(409, 'Conflict', `refused in ${outcome.state}: ${outcome.why}`, { state: outcome.state });
    const { result } = outcome;
    return c.json({ requestId, changed: result.changed, effects: result.effects, saga: await sagaOf(orderId) }, 200);
  };

  const listStuck: RouteHandler<typeof routes.listStuck> = async (c) => {
    const { olderThan, limit } = c.req.valid('query');
    const olderThanMs = parseDuration(olderThan)!;
    const items = await findStuckOrders(deps.orm.em.fork(), { now: deps.clock.now(), olderThanMs, limit });
    return c.json({ olderThan, olderThanMs, items }, 200);
  };

  const sagaOverview: RouteHandler<typeof routes.sagaOverview> = async (c) => {
    const { stuckOlderThan, recent } = c.req.valid('query');
    const now = deps.clock.now();
    const overview = await loadSagaOverview(deps.orm.em.fork(), { now, stuckOlderThanMs: parseDuration(stuckOlderThan)!, recent });
    const drift = driftSummaryOf(deps.reconciler.lastPass());
    return c.json({ machineVersion: ORDER_SAGA_VERSION, generatedAt: now.toISOString(), ...overview, stuckOlderThan, drift }, 200);
  };

  const getDrift: RouteHandler<typeof routes.getDrift> = async (c) => {
    const last = c.req.valid('query').fresh === 'true' ? null : deps.reconciler.lastPass();
    return c.json(last ?? (await reconcilePass(deps.reconciler, 'check')), 200);
  };

  const reconcile: RouteHandler<typeof routes.reconcile> = async (c) => {
    return c.json(await reconcilePass(deps.reconciler, 'repair'), 200);
  };

  return { getSaga, fireTimeout, requestCompensation, listStuck, sagaOverview, getDrift, reconcile };
}
