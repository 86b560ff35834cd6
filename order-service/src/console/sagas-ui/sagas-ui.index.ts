import { readFile } from 'node:fs/promises';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import type { Orm } from '#shared/db/orm.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import { ORDER_SAGA_VERSION } from '#statecharts/order-saga.machine.ts';
import { sagaPagesOperatorOf } from './sagas-pages-guard.ts';
import { parseDuration } from '../operator/duration.ts';
import { orderSagaChart } from '../operator/machine-facts.ts';
import { refusalOf } from '../operator/request-compensation.ts';
import { loadSagaOverview, loadSagaView } from '../operator/saga-queries.ts';
import { driftSummaryOf, type SagaReconciler } from '../reconciler/saga-reconciler.ts';
import { sagaPathOf } from './saga-path.ts';
import { errorBody, orderBody, overviewBody, page } from './sagas-pages.ts';
import { statechartLayoutOf } from './statechart-layout.ts';
import { renderStatechartSvg, statechartLegend } from './statechart-svg.ts';

/** The files /sagas/assets/ serves (a Map: a name like "constructor" is no key of it). */
const assets = new Map([
  ['sagas.css', 'text/css; charset=utf-8'],
  ['sagas.js', 'text/javascript; charset=utf-8'],
]);
const assetDir = new URL('./assets/', import.meta.url);

/** How long past its deadline an order must be to be listed as stuck on the overview page. */
const OVERVIEW_STUCK_AFTER = '5s';

/**
 * Seeing into sagas: `/sagas` draws the order saga from the machine definition with the number
 * of orders in each state (kept live from /api/v1/sagas/overview), and lists recent and stuck
 * orders; `/sagas/{orderId}` draws the path one order took and its timeline. Everything is
 * served from this service: no CDN, works offline.
 */
export function addSagaPages(
  app: OpenAPIHono,
  deps: {
    orm: Orm;
    clock: Clock;
    /** Its last pass is shown on /sagas. */
    reconciler: Pick<SagaReconciler, 'lastPass'>;
    /** Trace viewer link for the order's trace id. */
    traceUrl?: string;
    authMode: 'on' | 'off';
  },
): void {
  // Laid out by elkjs on the first page asked for, then kept (once per machine version).
  const layout = () => statechartLayoutOf(orderSagaChart);

  app.get('/sagas/assets/:file', async (c) => {
    const file = c.req.param('file');
    const contentType = assets.get(file);
    if (!contentType) return c.notFound();
    const body = await readFile(new URL(file, assetDir));
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-cache' });
  });

  app.get('/sagas', async (c) =>
    c.html(
      page('Order sagas', overviewBody(renderStatechartSvg(await layout(), { counts: {} }), statechartLegend(false), OVERVIEW_STUCK_AFTER), {
        pageName: 'overview',
        operator: sagaPagesOperatorOf(c),
        data: { overviewUrl: '/sagas/overview.json', refreshMs: 2_000 },
      }),
    ),
  );

  // What the overview page polls: /api/v1/sagas/overview's answer, under /sagas so that the
  // page session (a cookie scoped to /sagas) opens it; read-only like every page.
  app.get('/sagas/overview.json', async (c) => {
    const now = deps.clock.now();
    const overview = await loadSagaOverview(deps.orm.em.fork(), { now, stuckOlderThanMs: parseDuration(OVERVIEW_STUCK_AFTER)!, recent: 20 });
    c.header('cache-control', 'no-store');
    const drift = driftSummaryOf(deps.reconciler.lastPass());
    return c.json({ machineVersion: ORDER_SAGA_VERSION, generatedAt: now.toISOString(), ...overview, stuckOlderThan: OVERVIEW_STUCK_AFTER, drift });
  });

  app.get('/sagas/:orderId', async (c) => {
    const orderId = c.req.param('orderId');
    if (!z.guid().safeParse(orderId).success) {
      return c.html(page('Not an order id', errorBody('Not an order id', `"${orderId}" is not an order id (a UUID).`)), 400);
    }
    const view = await loadSagaView(deps.orm.em.fork(), orderId, deps.clock.now());
    if (!view) return c.html(page('No such order', errorBody('No such order', `There is no order ${orderId}.`)), 404);
    const chart = await layout();
    const path = sagaPathOf(chart, view.history);
    const refusal = view.terminal ? null : refusalOf(view.snapshot, { type: 'CancellationRequested', reason: 'operator' });
    const operator = sagaPagesOperatorOf(c);
    return c.html(
      page(
        `Order ${orderId.slice(0, 8)} — saga`,
        orderBody(view, renderStatechartSvg(chart, { path }), statechartLegend(true), refusal?.why ?? null, deps.traceUrl, {
          actionsNeedPassword: deps.authMode === 'on',
        }),
        {
          pageName: 'order',
          operator,
          data: { orderId, terminal: view.terminal, settled: view.terminal && view.pendingTimers.length === 0, refreshMs: 2_000, operator },
        },
      ),
    );
  });
}
