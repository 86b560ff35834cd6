// One fault during a sustained load, then every check of what it left: the scenario the chaos suite runs per fault.
import { readLedger, type InvariantResult, type Ledger } from '../../scripts/load/invariants.ts';
import { runLoadTest } from '../../scripts/load/load-test.ts';
import { platformApi, type PlatformApi } from '../../scripts/load/platform-api.ts';
import type { PlacedOrder, Progress } from '../../scripts/load/run-load.ts';
import { acceptedOrders, existingOrderIds } from './chaos-accepted-orders.ts';
import { crossServiceConsistency, withRoot } from './chaos-db.ts';
import { sleep, type ChaosInfra } from './chaos-infra.ts';
import { customerIds, mix, productIds, topUpFor } from './chaos-load-mix.ts';
import type { ChaosPlatform } from './chaos-platform.ts';
import { checkScenario, deadLetterTotal } from './chaos-scenario-checks.ts';
import { chaosRow, type ChaosRow } from './chaos-scenario-row.ts';
import { nonTerminalOrders, settle } from './chaos-settle.ts';

export interface ChaosContext {
  infra: ChaosInfra;
  platform: ChaosPlatform;
  api: PlatformApi;
  log(message: string): void;
}

/** What a fault did, for the table and for its own checks. */
export interface FaultOutcome {
  detail: string;
  data?: Record<string, unknown>;
}

export interface FaultSpec {
  /** The row's label in the summary table. */
  name: string;
  /** Seconds after the load started at which the fault is injected. */
  atS: number;
  /** Injects the fault and undoes it (restart, resume, stop the helper); resolves once undone. */
  inject(ctx: ChaosContext): Promise<FaultOutcome>;
  /** Poison was injected on purpose: dead letters are expected. Default: none may appear. */
  allowDeadLetters?: boolean;
  /** Checks of this fault's own (e.g. that the lost timers did fire), run after the platform settled. */
  check?(ctx: ChaosContext, outcome: FaultOutcome, window: { faultAt: number; faultEnd: number }): Promise<InvariantResult[]>;
  /** Load shape for this fault, when it needs a longer one. */
  durationS?: number;
}

export interface LoadShape {
  rate: number;
  durationS: number;
  /** How long after the last POST the load test keeps following orders. */
  deadlineMs: number;
  /** How long to wait for late terminals and for the platform to settle before checking. */
  settleMs: number;
}

/** What the run of a scenario left for its checks and its row: the orders, the ledger before the load, the fault's times. */
export interface ScenarioRun {
  started: number;
  durationS: number;
  orders: PlacedOrder[];
  unanswered: PlacedOrder[];
  accepted: PlacedOrder[];
  lostOrders: PlacedOrder[];
  settledIn: string | null;
  before: Ledger;
  deadLettersBefore: number;
  anomaliesBefore: Record<string, number>;
  postErrorCount: number;
  inFlightAtFault: number;
  outcome: FaultOutcome;
  faultAt: number;
  faultEnd: number;
}

export interface ScenarioResult {
  row: ChaosRow;
  hard: InvariantResult[];
  info: InvariantResult[];
}

export function chaosContext(infra: ChaosInfra, platform: ChaosPlatform, log: (message: string) => void): ChaosContext {
  // No tokens: the chaos platform runs with AUTH_MODE=off.
  const api = platformApi(
    { order: platform.url['order-service'], product: platform.url['product-service'], payment: platform.url['payment-service'] },
    undefined,
    null,
  );
  return { infra, platform, api, log };
}

/**
 * One fault during a sustained open-loop load (the load test's runLoadTest), then the load test's
 * invariants over every accepted order — orders whose POST answer was lost included, found in the
 * order service's database — once the platform has settled, and checks of the chaos suite's own.
 */
export async function runScenario(ctx: ChaosContext, fault: FaultSpec, shape: LoadShape): Promise<ScenarioResult> {
  const started = Date.now();
  const durationS = fault.durationS ?? shape.durationS;
  const total = Math.round(shape.rate * durationS);
  const quiet = await settle(ctx, 60_000);
  if (quiet) ctx.log(`platform not quiet before "${fault.name}": ${quiet}`);
  await topUpFor(ctx.api, total);
  const deadLettersBefore = await deadLetterTotal(ctx.platform.url['order-service']);
  const before = await readLedger(ctx.api, productIds, customerIds);
  const anomaliesBefore = (await withRoot(ctx.infra.db, (c) => crossServiceConsistency(c, ctx.platform.databases))).anomalyKinds;
  // The orders already there: every other one after the load is the load's (found by id, not by any clock).
  const ordersBefore = await existingOrderIds(ctx.infra, ctx.platform);

  const loadStart = Date.now();
  let progress: Progress | null = null;
  const load = runLoadTest({
    urls: { order: ctx.platform.url['order-service'], product: ctx.platform.url['product-service'], payment: ctx.platform.url['payment-service'] },
    rate: shape.rate,
    durationS,
    deadlineMs: shape.deadlineMs,
    topUp: false,
    measureFloor: false,
    auth: null,
    mix,
    onProgress: (p) => {
      progress = p;
    },
  });
  await Promise.race([sleep(Math.max(0, fault.atS * 1000 - (Date.now() - loadStart))), load]);
  const inFlightAtFault = await nonTerminalOrders(ctx.infra, ctx.platform).catch(() => -1);
  const faultAt = Date.now();
  ctx.log(`${fault.name}: injecting at +${((faultAt - loadStart) / 1000).toFixed(1)} s, ${inFlightAtFault} orders in flight`);
  let outcome: FaultOutcome;
  try {
    outcome = await fault.inject(ctx);
  } catch (error) {
    outcome = { detail: `fault injection failed: ${(error as Error).message}` };
    ctx.log(outcome.detail);
  }
  const faultEnd = Date.now();
  ctx.log(`${fault.name}: ${outcome.detail} (${((faultEnd - faultAt) / 1000).toFixed(1)} s)`);
  const { report, orders } = await load;
  const p = progress as Progress | null;
  ctx.log(`${fault.name}: load done, ${orders.filter((o) => o.id).length} accepted, ${p?.terminal ?? '?'} followed to terminal`);

  const { accepted, unanswered, lostOrders, settledIn } = await acceptedOrders(ctx, fault.name, ordersBefore, shape.settleMs, orders);

  const run: ScenarioRun = {
    started,
    durationS,
    orders,
    unanswered,
    accepted,
    lostOrders,
    settledIn,
    before,
    deadLettersBefore,
    anomaliesBefore,
    postErrorCount: report.orders.postErrors,
    inFlightAtFault,
    outcome,
    faultAt,
    faultEnd,
  };
  const checked = await checkScenario(ctx, fault, run);
  return { row: chaosRow(ctx, fault, shape, run, checked), hard: checked.hard, info: checked.info };
}
