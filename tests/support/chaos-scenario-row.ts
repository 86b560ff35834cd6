// A fault's row of the chaos summary table, and the log lines of what the run noted on the way.
import type { ChaosContext, FaultSpec, LoadShape, ScenarioRun } from './chaos-scenario.ts';
import type { ScenarioChecks } from './chaos-scenario-checks.ts';

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

/** Anomaly texts name their order: counted by kind, ids left out. */
function byKind(texts: Record<string, number>): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const [text, n] of Object.entries(texts)) {
    const kind = text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '…');
    kinds[kind] = (kinds[kind] ?? 0) + n;
  }
  return kinds;
}

export function chaosRow(ctx: ChaosContext, fault: FaultSpec, shape: LoadShape, run: ScenarioRun, checked: ScenarioChecks): ChaosRow {
  const { started, durationS, orders, accepted, unanswered, lostOrders, postErrorCount, inFlightAtFault, faultAt, outcome, anomaliesBefore } = run;
  const { hard, consistency, deadLettersAdded } = checked;
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
    ctx.log(
      `${fault.name}: accepted without an answer: ${unanswered.map((o) => `${o.id} (${o.status}${o.failureMessages.length ? `: ${o.failureMessages.join('; ')}` : ''})`).join(', ')}`,
    );
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
    postErrors: postErrorCount,
    inFlightAtFault,
    lost: lostOrders.length,
    maxToTerminalAfterFaultMs: afterFault.length > 0 ? Math.max(...afterFault) : null,
    endedOtherwise: accepted.filter((o) => o.terminalAt !== null && o.status !== o.shape.expect).length,
    deadLettersAdded,
    anomalies: newAnomalies.reduce((sum, [, n]) => sum + n, 0),
    held: hard.every((i) => i.pass),
    failed: hard.filter((i) => !i.pass).map((i) => `${i.name}: ${i.detail}`),
    detail: [
      outcome.detail,
      postErrorDetail && `POST errors: ${postErrorDetail}`,
      anomalyDetail && `saga anomalies noted: ${anomalyDetail}`,
      unanswered.length > 0 && `accepted without an answer: ${unanswered.map((o) => o.id).join(', ')}`,
    ]
      .filter(Boolean)
      .join('; '),
    wallS: (Date.now() - started) / 1000,
  };
  return row;
}
