// The HTML of the saga pages. Server-rendered; the page script (assets/sagas.js) keeps the
// overview live and wires the operator buttons to the API.
import { ORDER_SAGA_VERSION } from '#statecharts/order-saga.machine.ts';
import type { SagaEffect } from '#statecharts/saga-effects.ts';
import { TIMEOUT_EVENT_OF, type SagaTimer } from '#statecharts/saga-types.ts';
import { formatDuration } from '../operator/duration.ts';
import { noOpReasons } from '../operator/machine-facts.ts';
import type { HistoryEntry, SagaView } from '../operator/saga-queries.ts';
import { html, jsonForScript, raw, type SafeHtml } from './html.ts';

export function page(
  title: string,
  body: SafeHtml,
  options: { pageName: string; data?: unknown; /** Who is signed in (a sign-out button is shown). */ operator?: string | null } = {
    pageName: 'plain',
  },
): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="/sagas/assets/sagas.css">
</head>
<body data-page="${options.pageName}">
<header class="top">
  <h1><a href="/sagas">Order sagas</a></h1>
  <span>machine v${ORDER_SAGA_VERSION}</span>
  <span class="spacer"></span>
  <a href="/api/v1/dead-letters?status=NEW" id="dead-letters-link">dead letters</a>
  <a href="/swagger-ui.html">API</a>
  ${options.operator ? html`<span id="signed-in">signed in as <strong>${options.operator}</strong></span> <button type="button" id="sign-out">sign out</button>` : ''}
  <span class="live" id="live"></span>
</header>
<main>
${body}
</main>
${options.data === undefined ? '' : html`<script id="page-data" type="application/json">${jsonForScript(options.data)}</script>`}
<script src="/sagas/assets/sagas.js" defer></script>
</body>
</html>`.html;
}

export function overviewBody(diagram: SafeHtml, legend: SafeHtml, stuckOlderThan: string): SafeHtml {
  return html`<section class="card">
  <h2>The order saga, with how many orders are in each state now</h2>
  <div class="diagram">${diagram}</div>
  ${legend}
</section>
<div class="grid2">
  <section class="card">
    <h2>Stuck orders <span class="legend-note">— not finished, and the oldest deadline (or last change) passed more than ${stuckOlderThan} ago</span></h2>
    <table id="stuck-orders">
      <thead><tr><th>Order</th><th>State</th><th>Stuck for</th><th>Oldest deadline</th><th>Timers</th></tr></thead>
      <tbody><tr><td class="empty" colspan="5">loading…</td></tr></tbody>
    </table>
  </section>
  <section class="card">
    <h2>Drift <span class="legend-note" id="drift-checked">— finished orders the product or payment service disagrees with (the reconciler's last pass)</span></h2>
    <table id="drift-orders">
      <thead><tr><th>Order</th><th>Status</th><th>Drift</th><th>Repair</th></tr></thead>
      <tbody><tr><td class="empty" colspan="4">no reconciler pass on this instance yet</td></tr></tbody>
    </table>
  </section>
  <section class="card">
    <h2>Recent orders</h2>
    <table id="recent-orders">
      <thead><tr><th>Order</th><th>State</th><th>Price</th><th>Events</th><th>Placed</th><th>Last change</th></tr></thead>
      <tbody><tr><td class="empty" colspan="6">loading…</td></tr></tbody>
    </table>
  </section>
</div>`;
}

export function orderBody(
  view: SagaView,
  diagram: SafeHtml,
  legend: SafeHtml,
  compensationRefusal: string | null,
  traceUrl?: string | null,
  options: { /** Operator actions are API calls with an admin token of their own (AUTH_MODE=on). */ actionsNeedPassword?: boolean } = {},
): SafeHtml {
  const started = view.history[0] ? Date.parse(view.history[0].occurredAt) : Date.parse(view.createdAt);
  return html`<section class="card" id="order-facts">
  <h2>Order <span class="mono">${view.orderId}</span> <span class="pill ${view.status}">${view.status}</span></h2>
  <dl class="facts">
    <dt>State</dt><dd class="mono" id="order-state">${view.state}${view.terminal ? ' (terminal)' : ''}</dd>
    <dt>Machine version</dt><dd>v${view.machineVersion}${view.machineVersion === view.currentMachineVersion ? '' : html` <span class="warn">(running machine is v${view.currentMachineVersion})</span>`}</dd>
    <dt>Customer</dt><dd class="mono">${view.customerId}</dd>
    <dt>Items</dt><dd>${view.items.map((item, index) => html`${index > 0 ? ', ' : ''}${item.quantity} × <span class="mono">${item.productId.slice(0, 8)}</span> @ ${item.price.toLocaleString('en')}`)} — total ${view.price.toLocaleString('en')} KRW</dd>
    <dt>Deliver to</dt><dd id="order-address">${view.address.street}, ${view.address.postalCode} ${view.address.city}</dd>
    <dt>Placed</dt><dd>${view.createdAt}</dd>
    <dt>Last change</dt><dd>${view.updatedAt}</dd>
    <dt>Trace</dt><dd class="mono" id="order-trace">${traceCell(view.traceId, traceUrl)}</dd>
    ${view.terminalAt ? html`<dt>Finished</dt><dd>${view.terminalAt} (after ${formatDuration(Date.parse(view.terminalAt) - Date.parse(view.createdAt))})</dd>` : ''}
    ${view.failureMessages.length > 0 ? html`<dt>Failure</dt><dd>${view.failureMessages.join('; ')}</dd>` : ''}
    ${view.anomalies.length > 0 ? html`<dt>Anomalies</dt><dd class="warn">${view.anomalies.join('; ')}</dd>` : ''}
  </dl>
  ${
    view.terminal
      ? ''
      : html`<form class="actions" id="compensate-form" method="post" data-order-id="${view.orderId}">
    <input type="text" name="reason" placeholder="why (recorded with the cancellation)" required maxlength="500" ${compensationRefusal ? 'disabled' : ''}>
    <button type="submit" ${compensationRefusal ? html`disabled title="${compensationRefusal}"` : ''}>Cancel and compensate</button>
    <span class="message" id="action-message">${compensationRefusal ?? ''}</span>
  </form>${
    options.actionsNeedPassword
      ? html`
  <form class="actions" id="act-as-form" method="post">
    <input type="password" name="password" placeholder="admin password, to act" autocomplete="current-password">
    <span class="legend-note">The page session only reads: cancelling and firing a timer are API calls with an admin token, asked for here and kept by this page only.</span>
  </form>`
      : ''
  }`
  }
</section>
<section class="card">
  <h2>Path through the saga</h2>
  <div class="diagram">${diagram}</div>
  ${legend}
</section>
<section class="card">
  <h2>Pending timers</h2>
  <table id="pending-timers">
    <thead><tr><th>Timer</th><th>Attempt</th><th>Deadline (UTC)</th><th>Due</th><th>Fires</th><th></th></tr></thead>
    <tbody>${
      view.pendingTimers.length === 0
        ? html`<tr><td class="empty" colspan="6">none${view.terminal ? ' — the saga is finished' : ''}</td></tr>`
        : view.pendingTimers.map(
            (timer) => html`<tr data-timer="${timer.timer}">
      <td class="mono">${timer.timer}</td><td>#${timer.attempt}</td><td class="mono">${timer.deadlineAt}</td>
      <td class="${timer.overdueMs > 0 ? 'overdue' : ''}">${timer.overdueMs > 0 ? `overdue by ${formatDuration(timer.overdueMs)}` : `in ${formatDuration(-timer.overdueMs)}`}</td>
      <td>${timer.timeoutEvent}</td>
      <td><button type="button" class="fire-timer" data-order-id="${view.orderId}" data-timer="${timer.timer}">Fire now</button></td>
    </tr>`,
          )
    }</tbody>
  </table>
</section>
<section class="card">
  <h2>Timeline <span class="legend-note">— every event the saga handled, in order (times UTC)</span></h2>
  <table id="timeline">
    <thead><tr><th>#</th><th>At</th><th>Event</th><th>Source</th><th>State before → after</th><th>Effects</th><th>Outcome</th><th>Machine</th></tr></thead>
    <tbody>${view.history.map((entry) => timelineRow(entry, started))}</tbody>
  </table>
</section>`;
}

function timelineRow(entry: HistoryEntry, started: number): SafeHtml {
  const at = Date.parse(entry.occurredAt);
  const noop = !entry.changed;
  return html`<tr class="${noop ? 'noop' : 'changed'}" data-sequence="${entry.sequence}" data-event-type="${entry.eventType}">
  <td>${entry.sequence}</td>
  <td class="mono" title="${entry.occurredAt}">${entry.occurredAt.slice(11, 23)}<br><span class="legend-note">+${formatDuration(at - started)}</span></td>
  <td><strong>${entry.eventType}</strong>${eventDetails(entry)}</td>
  <td><span class="src src-${entry.source}">${entry.source}</span>${entry.actor ? html` <span class="actor" title="operator">${entry.actor}</span>` : ''}${entry.messageId ? html`<br><span class="mono legend-note" title="message id">${entry.messageId.slice(0, 8)}</span>` : ''}</td>
  <td class="mono">${entry.stateBefore ?? '—'} → ${entry.stateAfter}</td>
  <td>${effectList(entry.effects)}</td>
  <td>${noop ? html`<span class="outcome-noop" title="recorded, nothing changed">no-op</span><br><span class="legend-note">${noopReason(entry)}</span>` : html`<span class="outcome-changed">changed</span>`}</td>
  <td>v${entry.machineVersion}</td>
</tr>`;
}

const timerOfTimeoutEvent = new Map(Object.entries(TIMEOUT_EVENT_OF).map(([timer, event]) => [event as string, timer as SagaTimer]));

function eventDetails(entry: HistoryEntry): SafeHtml {
  const timer = timerOfTimeoutEvent.get(entry.eventType);
  const { reason, paymentId, attempt } = entry.event as { reason?: unknown; paymentId?: unknown; attempt?: unknown };
  return html`${timer ? html`<br><span class="fired">${timer} timer #${typeof attempt === 'number' ? attempt : '?'} fired${entry.source === 'operator' ? ' early by an operator' : ''}</span>` : ''}${
    typeof reason === 'string' ? html`<br><span class="legend-note">${reason}</span>` : ''
  }${typeof paymentId === 'string' ? html`<br><span class="legend-note mono">payment ${paymentId.slice(0, 8)}</span>` : ''}`;
}

function effectList(effects: SagaEffect[]): SafeHtml {
  if (effects.length === 0) return raw('<span class="legend-note">—</span>');
  return html`<ul class="effects">${effects.map((effect) => {
    switch (effect.kind) {
      case 'command': {
        const payload = effect.payload as { reason?: string; amount?: number };
        const detail = payload.reason ?? (payload.amount !== undefined ? `${payload.amount.toLocaleString('en')} KRW` : '');
        return html`<li class="fx-command" title="${JSON.stringify(effect.payload)}">→ ${effect.command}${detail ? html` <span class="legend-note">(${detail})</span>` : ''}</li>`;
      }
      case 'setTimer':
        return html`<li class="fx-setTimer">set timer ${effect.timer} #${effect.attempt} (${formatDuration(effect.delayMs)})</li>`;
      case 'clearTimer':
        return html`<li class="fx-clearTimer">clear timer ${effect.timer}</li>`;
    }
  })}</ul>`;
}

/** Why the machine did nothing: the descriptions of its explicit no-ops for this event in this state. */
function noopReason(entry: HistoryEntry): string {
  if (!entry.stateBefore) return '';
  const reasons = noOpReasons(entry.stateBefore, entry.eventType);
  return reasons.length > 0 ? reasons.join(' / ') : 'no transition for this event here';
}

/** The order's trace id, linked to the trace viewer when TRACE_UI_URL is set (e.g. http://localhost:16686/trace/{traceId}). */
function traceCell(traceId: string | null, traceUrl: string | null | undefined): SafeHtml | string {
  if (!traceId) return html`<span class="legend-note">none (placed with tracing off)</span>`;
  if (!traceUrl) return traceId;
  const href = traceUrl.includes('{traceId}') ? traceUrl.replace('{traceId}', traceId) : `${traceUrl.replace(/\/+$/, '')}/trace/${traceId}`;
  return html`<a href="${href}" target="_blank" rel="noopener">${traceId}</a>`;
}

export function errorBody(title: string, detail: string): SafeHtml {
  return html`<section class="card error-page"><h2>${title}</h2><p>${detail}</p><p><a href="/sagas">← all sagas</a></p></section>`;
}
