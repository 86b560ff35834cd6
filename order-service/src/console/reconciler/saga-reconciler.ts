// The reconciler: orders that finished recently, compared with what the product and payment
// services hold for them (order-drift.ts), and cancelled ones that still hold stock or money told
// so — DriftFound through the saga runner, so the release or refund goes out with its timer from
// the one step handler. Drift on a confirmed order is reported only.
import type { Registry } from 'prom-client';
import type { Orm } from '#shared/db/orm.ts';
import { errorMessage } from '#shared/db/retryable-errors.ts';
import type { Logger } from '#shared/observability/logger.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import type { Ids } from '#shared/runtime/ids.ts';
import type { CustomerOrderRow } from '../../saga/order.entity.ts';
import { listPendingTimers } from '../../saga/pending-timers.ts';
import { findOrdersFinishedBetween } from '../../saga/saga-reads.ts';
import type { SagaRunner } from '../../saga/saga-runner.ts';
import { driftFoundOf, driftOf, type Drift } from './order-drift.ts';
import type { OrderRecordsClient } from './order-records-client.ts';
import { createReconcileMetrics } from './reconcile-metrics.ts';

/** The saga's actor for what the reconciler sends (saga_event.actor, source `operator`). */
export const RECONCILER_ACTOR = 'reconciler';

export interface Repair {
  orderId: string;
  stockHeld: boolean;
  moneyTaken: boolean;
  /** `sent`: the saga sent the commands; `already-owed`: it owed them already (no-op); `failed`: the step failed. */
  outcome: 'sent' | 'already-owed' | 'failed';
  /** The commands the saga sent (ReleaseStock, RefundPayment). */
  commands: string[];
  /** The saga event's message id (the cause of its commands), or why the step failed. */
  detail: string;
}

export interface ReconcilePass {
  /** `check`: read and compared only; `repair`: cancelled orders' drift sent to their sagas. */
  mode: 'check' | 'repair';
  startedAt: string;
  finishedAt: string;
  /** Orders that finished in [from, to) were compared. */
  window: { from: string; to: string };
  checked: number;
  /** Finished orders with a timer pending: the saga is still releasing or refunding them (its timer retries). */
  skipped: number;
  drift: Drift[];
  repairs: Repair[];
}

export interface ReconcileWindow {
  /** How far back: orders finished within this. */
  windowMs: number;
  /** Orders finished more recently than this are left to settle. */
  settleMs: number;
}

const PAGE = 100;
/**
 * The most orders one pass compares (its cost stays bounded however busy the window was). A repair
 * pass remembers where it stopped and the next one goes on from there, so each finished order is
 * compared once per process, not once per pass.
 */
export const MAX_ORDERS_PER_PASS = 2_000;

export function createSagaReconciler(deps: {
  orm: Orm;
  runner: Pick<SagaRunner, 'operatorEvent'>;
  records: OrderRecordsClient;
  clock: Clock;
  ids: Ids;
  registry: Registry;
  logger: Logger;
  settings: ReconcileWindow;
}) {
  const metrics = createReconcileMetrics(deps.registry);
  let last: ReconcilePass | null = null;
  /** The last order a repair pass compared: the next repair pass starts after it. */
  let cursor: { terminalAt: Date; id: string } | null = null;

  /** One page of finished orders against the services' records. */
  async function compare(orders: CustomerOrderRow[]): Promise<Drift[]> {
    const ids = orders.map((order) => order.id);
    const [stock, money] = await Promise.all([deps.records.stockOf(ids), deps.records.moneyOf(ids)]);
    const stockOf = new Map(stock.map((record) => [record.orderId, record]));
    const moneyOf = new Map(money.map((record) => [record.orderId, record]));
    return orders.flatMap((order) => {
      const id = order.id.toLowerCase();
      const stockRecord = stockOf.get(id) ?? { orderId: id, stock: 'none' as const, unitsHeld: 0 };
      const moneyRecord = moneyOf.get(id) ?? { orderId: id, money: 'none' as const, charged: 0, refunded: 0, net: 0 };
      return driftOf({ orderId: order.id, status: order.status as 'CONFIRMED' | 'CANCELLED', price: order.price }, stockRecord, moneyRecord);
    });
  }

  async function repair(orderId: string, drifts: Drift[]): Promise<Repair | null> {
    const event = driftFoundOf(drifts);
    if (!event) return null;
    const messageId = deps.ids.next();
    const base = { orderId, stockHeld: event.stockHeld, moneyTaken: event.moneyTaken };
    try {
      const outcome = await deps.runner.operatorEvent(orderId, event, { source: 'operator', messageId, actor: RECONCILER_ACTOR });
      if (outcome.kind !== 'applied') return { ...base, outcome: 'failed', commands: [], detail: `the step was ${outcome.kind}` };
      const commands = outcome.result.effects.flatMap((effect) => (effect.kind === 'command' ? [effect.command] : []));
      return { ...base, outcome: outcome.result.changed ? 'sent' : 'already-owed', commands, detail: messageId };
    } catch (error) {
      deps.logger.warn({ orderId, err: errorMessage(error) }, 'reconciler: DriftFound could not be applied');
      return { ...base, outcome: 'failed', commands: [], detail: errorMessage(error) };
    }
  }

  /**
   * A pass over the orders that finished in the window: `check` reads and compares, `repair` also
   * tells the cancelled ones' sagas what they still hold. Throws OrderRecordsUnavailable when the
   * product or payment service cannot be asked: the pass stops there (repairs of earlier pages stand).
   */
  async function run(mode: ReconcilePass['mode']): Promise<ReconcilePass> {
    const started = deps.clock.now();
    const to = new Date(started.getTime() - deps.settings.settleMs);
    const from = new Date(to.getTime() - deps.settings.windowMs);
    const drift: Drift[] = [];
    const repairs: Repair[] = [];
    let checked = 0;
    let skipped = 0;
    let read = 0;
    let keepCursor = false;
    try {
      // A check looks at the whole window (its oldest orders first); a repair goes on where the last one stopped.
      let after = mode === 'repair' && cursor && cursor.terminalAt.getTime() >= from.getTime() ? cursor : null;
      while (read < MAX_ORDERS_PER_PASS) {
        const page = await findOrdersFinishedBetween(deps.orm.em, { from, to, after, limit: Math.min(PAGE, MAX_ORDERS_PER_PASS - read) });
        if (page.length === 0) break;
        read += page.length;
        const tail = page.at(-1)!;
        after = { terminalAt: tail.terminalAt!, id: tail.id };
        const settled = page.filter((order) => listPendingTimers(order.timers).length === 0);
        skipped += page.length - settled.length;
        checked += settled.length;
        if (settled.length > 0) {
          const found = await compare(settled);
          drift.push(...found);
          if (mode === 'repair') {
            for (const orderId of new Set(found.map((entry) => entry.orderId))) {
              const sent = await repair(
                orderId,
                found.filter((entry) => entry.orderId === orderId),
              );
              if (sent) repairs.push(sent);
              // A failed repair keeps the cursor where it was: the next pass reads this page again.
              if (sent?.outcome === 'failed') keepCursor = true;
            }
          }
        }
        if (mode === 'repair' && !keepCursor) cursor = after;
        if (page.length < PAGE) break;
      }
    } catch (error) {
      metrics.failed(mode);
      throw error;
    }
    metrics.observe(drift, repairs, mode);
    const pass: ReconcilePass = {
      mode,
      startedAt: started.toISOString(),
      finishedAt: deps.clock.now().toISOString(),
      window: { from: from.toISOString(), to: to.toISOString() },
      checked,
      skipped,
      drift,
      repairs,
    };
    last = pass;
    if (read >= MAX_ORDERS_PER_PASS)
      deps.logger.info({ read, mode }, `reconciler: stopped at ${MAX_ORDERS_PER_PASS} orders; the next repair pass goes on from there`);
    if (drift.length > 0)
      deps.logger.warn(
        { drift: drift.length, repairs: repairs.length, mode },
        'reconciler: finished orders disagree with the product or payment service',
      );
    return pass;
  }

  return {
    run,
    /** The last pass this process ran (null before the first). */
    lastPass: (): ReconcilePass | null => last,
  };
}

export type SagaReconciler = ReturnType<typeof createSagaReconciler>;

/** What the saga pages show of the last pass: when, how many findings, the first 20. */
export function driftSummaryOf(pass: ReconcilePass | null): { checkedAt: string; count: number; items: Drift[] } | null {
  return pass ? { checkedAt: pass.finishedAt, count: pass.drift.length, items: pass.drift.slice(0, 20) } : null;
}
