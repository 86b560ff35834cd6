import type { RowDataPacket } from 'mysql2/promise';
import { Kafka, logLevel } from 'kafkajs';
import { topics as sagaTopics } from '#shared/contracts/topics.ts';
import { checkInvariants, readLedger, type InvariantResult, type Ledger } from '../../scripts/load/invariants.ts';
import { runLoadTest, topUpForMix } from '../../scripts/load/load-test.ts';
import { defaultMix, type OrderShape } from '../../scripts/load/order-mix.ts';
import { platformApi, type PlatformApi } from '../../scripts/load/platform-api.ts';
import type { PlacedOrder, Progress } from '../../scripts/load/run-load.ts';
import { sleep, type ChaosInfra } from './chaos-infra.ts';
import { testSasl } from './kafka-access.ts';
import { crossServiceConsistency, unsentOutboxRows, withRoot } from './chaos-db.ts';
import type { ChaosPlatform } from './chaos-platform.ts';

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

export interface ChaosRow {
  fault: string;
  load: string;
  accepted: number;
  /** Orders the service accepted whose POST response never arrived (found in its database). */
  unanswered: number;
  postErrors: number;
  inFlightAtFault: number;
  lost: number;
  maxToTerminalAfterFaultMs: number | null;
  /** Orders that ended otherwise than their shape predicts (timeouts cancel would-be confirmations): informational. */
  endedOtherwise: number;
  deadLettersAdded: number;
  anomalies: number;
  held: boolean;
  failed: string[];
  detail: string;
  wallS: number;
}

export interface ScenarioResult {
  row: ChaosRow;
  hard: InvariantResult[];
  info: InvariantResult[];
}

/** Anomaly texts name their order: counted by kind, ids left out. */
function byKind(texts: Record<string, number>): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const [text, n] of Object.entries(texts)) {
    const kind = text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '…');
    kinds[kind] = (kinds[kind] ?? 0) + n;
  }
  return kinds;
}

/** Names of the load test's invariants that faults may legitimately break (informational). */
const informational = new Set(['every POST accepted (201)', 'each order ends as its shape predicts']);

const mix: OrderShape[] = defaultMix;
const productIds = [...new Set(mix.flatMap((shape) => shape.lines.map((l) => l.productId)))];
const customerIds = [...new Set(mix.map((shape) => shape.customerId))];

export function chaosContext(infra: ChaosInfra, platform: ChaosPlatform, log: (message: string) => void): ChaosContext {
  // No tokens: the chaos platform runs with AUTH_MODE=off.
  const api = platformApi({ order: platform.url['order-service'], product: platform.url['product-service'], payment: platform.url['payment-service'] }, undefined, null);
  return { infra, platform, api, log };
}

/** Stock and credit for the shapes meant to succeed, twice what they need (faults cancel and retry). */
export async function topUpFor(api: PlatformApi, total: number): Promise<void> {
  await topUpForMix(api, mix, total, 2);
}

export async function deadLetterTotal(orderUrl: string): Promise<number> {
  const response = await fetch(`${orderUrl}/api/v1/dead-letters?size=1`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`dead letters → ${response.status}`);
  return ((await response.json()) as { total: number }).total;
}

interface OrderRow {
  id: string;
  status: string;
  customerId: string;
  items: { productId: string; quantity: number; price: number }[];
  failureMessages: string[];
  createdAt: number;
  terminalAt: number | null;
}

async function ordersCreatedSince(infra: ChaosInfra, platform: ChaosPlatform, since: number): Promise<OrderRow[]> {
  return withRoot(infra.db, async (connection) => {
    const [rows] = await connection.query<RowDataPacket[]>(
      `select id, status, customer_id, items, failure_messages, created_at, terminal_at
         from \`${platform.databases['order-service']}\`.customer_order where created_at >= ?`,
      [new Date(since - 1_000)],
    );
    const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value);
    return rows.map((row) => ({
      id: row.id as string,
      status: row.status as string,
      customerId: row.customer_id as string,
      items: json(row.items),
      failureMessages: json(row.failure_messages) ?? [],
      createdAt: new Date(row.created_at).getTime(),
      terminalAt: row.terminal_at ? new Date(row.terminal_at).getTime() : null,
    }));
  });
}

async function nonTerminalOrders(infra: ChaosInfra, platform: ChaosPlatform): Promise<number> {
  return withRoot(infra.db, async (connection) => {
    const [rows] = await connection.query<RowDataPacket[]>(
      `select count(*) as n from \`${platform.databases['order-service']}\`.customer_order where status not in ('CONFIRMED', 'CANCELLED')`,
    );
    return Number(rows[0].n);
  });
}

/** Records not yet consumed by the saga consumer groups (high watermark − committed offset). */
async function sagaConsumerLag(infra: ChaosInfra, prefix: string): Promise<number> {
  const kafka = new Kafka({ clientId: 'chaos-lag', brokers: [infra.kafkaBrokers], logLevel: logLevel.NOTHING, retry: { retries: 2 }, ...testSasl(infra.kafkaCredentials('admin')) });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const groups: [string, string[]][] = [
      ['product-service', [sagaTopics.productReservationRequest]],
      ['payment-service', [sagaTopics.paymentRequest]],
      ['order-service', [sagaTopics.productReservationResponse, sagaTopics.paymentResponse]],
    ];
    let lag = 0;
    for (const [group, topics] of groups) {
      const committed = await admin.fetchOffsets({ groupId: prefix + group, topics: topics.map((t) => prefix + t) });
      for (const entry of committed) {
        const high = await admin.fetchTopicOffsets(entry.topic);
        for (const partition of entry.partitions) {
          const end = Number(high.find((h) => h.partition === partition.partition)?.high ?? 0);
          const at = Number(partition.offset) < 0 ? 0 : Number(partition.offset);
          lag += Math.max(0, end - at);
        }
      }
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}

// readLedger fills its maps in the order its requests complete: compare by key.
const ledgerText = (ledger: Ledger) =>
  JSON.stringify([...ledger.products].sort(([a], [b]) => a.localeCompare(b))) + JSON.stringify([...ledger.credits].sort(([a], [b]) => a.localeCompare(b)));
const sameLedger = (a: Ledger, b: Ledger) => ledgerText(a) === ledgerText(b);

/**
 * Waits until nothing moves any more: every order terminal, every outbox sent, every saga record
 * consumed, and the ledgers read the same twice in a row. Returns what it waited for last, or null.
 */
export async function settle(ctx: ChaosContext, boundMs: number): Promise<string | null> {
  const started = Date.now();
  const deadline = started + boundMs;
  let previous: Ledger | null = null;
  const waited = new Map<string, number>();
  let waitingFor = '';
  const took = () => ((Date.now() - started) / 1000).toFixed(1);
  while (Date.now() < deadline) {
    try {
      const open = await nonTerminalOrders(ctx.infra, ctx.platform);
      const unsent = await withRoot(ctx.infra.db, (c) => unsentOutboxRows(c, Object.values(ctx.platform.databases)));
      const lag = await sagaConsumerLag(ctx.infra, ctx.platform.prefix);
      const ledger = await readLedger(ctx.api, productIds, customerIds);
      if (open === 0 && unsent === 0 && lag === 0 && previous && sameLedger(previous, ledger)) {
        if (Date.now() - started > 10_000) ctx.log(`settled in ${took()} s after waiting for: ${[...waited].map(([w, n]) => `${w} (${n}×)`).join('; ')}`);
        return null;
      }
      const reasons = [open && `orders not terminal`, unsent && `outbox rows unsent`, lag && `consumer lag`].filter(Boolean);
      waitingFor = reasons.length === 0 ? 'stock and credit still moving' : `${open} orders not terminal, ${unsent} outbox rows unsent, consumer lag ${lag}`;
      const key = reasons.length === 0 ? waitingFor : reasons.join(', ');
      waited.set(key, (waited.get(key) ?? 0) + 1);
      previous = reasons.length === 0 ? ledger : null;
    } catch (error) {
      waitingFor = `probe failed: ${(error as Error).message}`;
      waited.set('probe failed', (waited.get('probe failed') ?? 0) + 1);
      previous = null;
    }
    await sleep(1_000);
  }
  ctx.log(`not settled after ${took()} s: ${waitingFor}`);
  return waitingFor;
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

  // Every order the service accepted in this window, whether or not its POST was answered.
  const waitUntil = Date.now() + shape.settleMs;
  let rows = await ordersCreatedSince(ctx.infra, ctx.platform, loadStart);
  while (rows.some((r) => r.terminalAt === null) && Date.now() < waitUntil) {
    await sleep(1_000);
    rows = await ordersCreatedSince(ctx.infra, ctx.platform, loadStart);
  }
  const settledIn = await settle(ctx, Math.max(10_000, waitUntil - Date.now()));
  if (settledIn) ctx.log(`${fault.name}: platform did not settle: ${settledIn}`);
  rows = await ordersCreatedSince(ctx.infra, ctx.platform, loadStart);
  const byId = new Map(rows.map((row) => [row.id, row]));
  const tracked = new Set(orders.filter((o) => o.id).map((o) => o.id!));
  for (const order of orders) {
    const row = order.id ? byId.get(order.id) : undefined;
    if (!row) continue;
    order.status = row.status;
    order.failureMessages = row.failureMessages;
    order.createdAt = row.createdAt;
    order.terminalAt = row.terminalAt;
    order.sagaMs = row.terminalAt === null ? null : row.terminalAt - row.createdAt;
  }
  const unanswered: PlacedOrder[] = rows
    .filter((row) => !tracked.has(row.id))
    .map((row, index) => ({
      index: -1 - index,
      shape: {
        name: 'accepted, answer lost',
        weight: 0,
        expect: row.status === 'CONFIRMED' ? 'CONFIRMED' : 'CANCELLED',
        customerId: row.customerId,
        lines: row.items.map((item) => ({ productId: item.productId, price: item.price, quantity: item.quantity })),
      },
      sentAt: 0,
      sentWallMs: row.createdAt,
      postMs: 0,
      id: row.id,
      httpStatus: 0,
      status: row.status,
      failureMessages: row.failureMessages,
      sagaMs: row.terminalAt === null ? null : row.terminalAt - row.createdAt,
      createdAt: row.createdAt,
      terminalAt: row.terminalAt,
      error: null,
    }));
  const accepted = [...orders.filter((o) => o.id), ...unanswered];
  const missing = orders.filter((o) => o.id && !byId.has(o.id));
  const lostOrders = [...accepted.filter((o) => o.terminalAt === null), ...missing];

  const after = await readLedger(ctx.api, productIds, customerIds);
  const invariants = await checkInvariants(ctx.api, [...orders, ...unanswered], before, after);
  const consistency = await withRoot(ctx.infra.db, (c) => crossServiceConsistency(c, ctx.platform.databases));
  const deadLettersAdded = (await deadLetterTotal(ctx.platform.url['order-service'])) - deadLettersBefore;
  const own: InvariantResult[] = [
    {
      name: 'no order lost: every accepted order (answered or not) terminal within the bound',
      pass: lostOrders.length === 0,
      detail:
        lostOrders.length === 0
          ? `${accepted.length} terminal (${unanswered.length} accepted without an answer)`
          : `${lostOrders.length} not terminal or missing: ${lostOrders.slice(0, 5).map((o) => `${o.id} ${o.status}`).join(', ')}`,
    },
    {
      name: 'every order of the platform consistent across the three services (databases)',
      pass: consistency.problems.length === 0,
      detail:
        consistency.problems.length === 0
          ? `${consistency.orders} orders`
          : `${consistency.problems.length} problems: ${consistency.problems.slice(0, 5).map((p) => `${p.orderId} ${p.problem}`).join('; ')}`,
    },
    {
      name: 'no stock left held by a reservation',
      pass: consistency.heldReservations === 0,
      detail: `${consistency.heldReservations} reservations RESERVED`,
    },
    {
      name: fault.allowDeadLetters ? 'dead letters: only the injected poison' : 'no dead letters',
      pass: fault.allowDeadLetters ? true : deadLettersAdded === 0,
      detail: `${deadLettersAdded} added`,
    },
    { name: 'platform settled (orders terminal, outboxes sent, no consumer lag)', pass: settledIn === null, detail: settledIn ?? 'settled' },
  ];
  const specific = fault.check ? await fault.check(ctx, outcome, { faultAt, faultEnd }) : [];
  const hard = [...invariants.filter((i) => !informational.has(i.name)), ...own, ...specific];
  const info = invariants.filter((i) => informational.has(i.name));

  const afterFault = accepted
    .filter((o) => o.terminalAt !== null && o.terminalAt >= faultAt)
    .map((o) => o.terminalAt! - Math.max(faultAt, o.createdAt ?? faultAt));
  const postErrors = new Map<string, number>();
  for (const order of orders.filter((o) => o.error)) {
    const kind = order.error!.replace(/: .*$/, '').slice(0, 60);
    postErrors.set(kind, (postErrors.get(kind) ?? 0) + 1);
  }
  const postErrorDetail = [...postErrors].map(([kind, n]) => `${n} × ${kind}`).join(', ');
  if (unanswered.length > 0) {
    ctx.log(`${fault.name}: accepted without an answer: ${unanswered.map((o) => `${o.id} (${o.status}${o.failureMessages.length ? `: ${o.failureMessages.join('; ')}` : ''})`).join(', ')}`);
  }
  if (postErrorDetail) ctx.log(`${fault.name}: POST errors: ${postErrorDetail}`);
  const newAnomalies = Object.entries(byKind(consistency.anomalyKinds))
    .map(([text, n]) => [text, n - (byKind(anomaliesBefore)[text] ?? 0)] as const)
    .filter(([, n]) => n > 0);
  const anomalyDetail = newAnomalies.map(([text, n]) => `${n} × "${text}"`).join(', ');
  if (anomalyDetail) ctx.log(`${fault.name}: saga anomalies noted: ${anomalyDetail}`);
  const row: ChaosRow = {
    fault: fault.name,
    load: `${shape.rate}/s × ${durationS} s`,
    accepted: accepted.length,
    unanswered: unanswered.length,
    postErrors: report.orders.postErrors,
    inFlightAtFault,
    lost: lostOrders.length,
    maxToTerminalAfterFaultMs: afterFault.length > 0 ? Math.max(...afterFault) : null,
    endedOtherwise: accepted.filter((o) => o.terminalAt !== null && o.status !== o.shape.expect).length,
    deadLettersAdded,
    anomalies: newAnomalies.reduce((sum, [, n]) => sum + n, 0),
    held: hard.every((i) => i.pass),
    failed: hard.filter((i) => !i.pass).map((i) => `${i.name}: ${i.detail}`),
    detail: [outcome.detail, postErrorDetail && `POST errors: ${postErrorDetail}`, anomalyDetail && `saga anomalies noted: ${anomalyDetail}`, unanswered.length > 0 && `accepted without an answer: ${unanswered.map((o) => o.id).join(', ')}`]
      .filter(Boolean)
      .join('; '),
    wallS: (Date.now() - started) / 1000,
  };
  return { row, hard, info };
}

