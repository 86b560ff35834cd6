// What must hold after a fault: the load test's invariants over every accepted order, the chaos suite's own, the fault's.
import { checkInvariants, readLedger, type InvariantResult } from '../../scripts/load/invariants.ts';
import { crossServiceConsistency, withRoot } from './chaos-db.ts';
import { customerIds, productIds } from './chaos-load-mix.ts';
import type { ChaosContext, FaultSpec, ScenarioRun } from './chaos-scenario.ts';

/** Names of the load test's invariants that faults may legitimately break (informational). */
const informational = new Set(['every POST accepted (201)', 'each order ends as its shape predicts']);

export async function deadLetterTotal(orderUrl: string): Promise<number> {
  const response = await fetch(`${orderUrl}/api/v1/dead-letters?size=1`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`dead letters → ${response.status}`);
  return ((await response.json()) as { total: number }).total;
}

/** The checks' verdicts (hard and informational apart), and the consistency and dead letters they found. */
export interface ScenarioChecks {
  hard: InvariantResult[];
  info: InvariantResult[];
  consistency: Awaited<ReturnType<typeof crossServiceConsistency>>;
  deadLettersAdded: number;
}

/** Every check of the run, the hard ones apart from the informational ones; also the consistency and dead letters found. */
export async function checkScenario(ctx: ChaosContext, fault: FaultSpec, run: ScenarioRun): Promise<ScenarioChecks> {
  const { orders, unanswered, accepted, lostOrders, settledIn, before, deadLettersBefore, outcome, faultAt, faultEnd } = run;
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
          : `${lostOrders.length} not terminal or missing: ${lostOrders
              .slice(0, 5)
              .map((o) => `${o.id} ${o.status}`)
              .join(', ')}`,
    },
    {
      name: 'every order of the platform consistent across the three services (databases)',
      pass: consistency.problems.length === 0,
      detail:
        consistency.problems.length === 0
          ? `${consistency.orders} orders`
          : `${consistency.problems.length} problems: ${consistency.problems
              .slice(0, 5)
              .map((p) => `${p.orderId} ${p.problem}`)
              .join('; ')}`,
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
  return { hard, info, consistency, deadLettersAdded };
}
