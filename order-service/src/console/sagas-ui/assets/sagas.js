// The saga pages' script: keeps /sagas live (counts per state, recent and stuck orders) by polling
// the overview API, refreshes an unfinished order's page, and sends operator actions to the API.
'use strict';

(function () {
  const dataElement = document.getElementById('page-data');
  const data = dataElement ? JSON.parse(dataElement.textContent) : {};
  const live = document.getElementById('live');
  const page = document.body.dataset.page;

  // Reading: the page session is an HttpOnly cookie the server set at sign-in (this script never
  // sees it); it opens the /sagas pages and their overview JSON, nothing else. Acting: an operator
  // action is an API call with an admin token of its own, asked for with the admin password on the
  // order page and kept in this variable only (gone with the page, never stored).
  let adminToken = null;
  function signedOut() {
    location.reload(); // the server answers with the sign-in form
  }
  async function signOut() {
    await fetch('/sagas/session', { method: 'DELETE' }).catch(() => {});
    signedOut();
  }

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== undefined && value !== null) node.setAttribute(name, value);
    }
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  function since(iso) {
    const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s ago`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)} m ago`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
    return iso.slice(0, 16).replace('T', ' ');
  }

  function duration(ms) {
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
    const minutes = Math.floor(ms / 60000);
    return minutes < 60 ? `${minutes} m ${Math.round((ms % 60000) / 1000)} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} m`;
  }

  function orderLink(order) {
    return el('a', { href: `/sagas/${order.orderId}`, class: 'mono', title: order.orderId }, order.orderId.slice(0, 8));
  }

  function statePill(order) {
    const sub = order.state.includes('.') ? order.state.split('.').slice(1).join('.') : '';
    return [el('span', { class: `pill ${order.status}` }, order.status), sub ? el('span', { class: 'legend-note mono' }, ` ${sub}`) : ''];
  }

  function fillTable(id, rows, columns, emptyText) {
    const body = document.querySelector(`#${id} tbody`);
    if (!body) return;
    body.replaceChildren(
      ...(rows.length === 0
        ? [el('tr', {}, el('td', { class: 'empty', colspan: String(columns) }, emptyText))]
        : rows.map((cells) => el('tr', {}, ...cells.map((cell) => el('td', {}, ...[].concat(cell)))))),
    );
  }

  function showOverview(overview) {
    for (const node of document.querySelectorAll('[data-count-for]')) {
      const state = node.getAttribute('data-count-for');
      const count = overview.counts[state] || 0;
      node.textContent = `${count} ${count === 1 ? 'order' : 'orders'}`;
      node.classList.toggle('occupied', count > 0);
      const box = document.querySelector(`g.state[data-state="${state}"]`);
      if (box) box.classList.toggle('occupied', count > 0);
    }
    fillTable(
      'stuck-orders',
      overview.stuck.map((order) => [
        orderLink(order),
        statePill(order),
        el('span', { class: 'overdue' }, duration(order.stuckForMs)),
        order.oldestDeadlineAt ? el('span', { class: 'mono', title: order.oldestDeadlineAt }, since(order.oldestDeadlineAt)) : '—',
        String(order.pendingTimers),
      ]),
      5,
      'none — every unfinished order is within its deadlines',
    );
    fillTable(
      'recent-orders',
      overview.recent.map((order) => [
        orderLink(order),
        statePill(order),
        order.price.toLocaleString('en'),
        String(order.eventCount),
        el('span', { title: order.createdAt }, since(order.createdAt)),
        el('span', { title: order.updatedAt }, since(order.updatedAt)),
      ]),
      6,
      'no orders yet',
    );
    showDrift(overview.drift);
    const deadLetters = document.getElementById('dead-letters-link');
    if (deadLetters) {
      deadLetters.textContent = `dead letters: ${overview.newDeadLetters} new`;
      deadLetters.classList.toggle('warn', overview.newDeadLetters > 0);
    }
  }

  // The reconciler's last pass: null before one ran on this instance.
  function showDrift(drift) {
    if (!drift) return;
    const checked = document.getElementById('drift-checked');
    if (checked) checked.textContent = `— ${drift.count} found by the reconciler's last pass, ${since(drift.checkedAt)}`;
    fillTable(
      'drift-orders',
      drift.items.map((item) => [
        orderLink(item),
        el('span', { class: `pill ${item.status}` }, item.status),
        el('span', { class: 'warn', title: item.detail }, item.kind),
        item.repair ? `${item.repair} sent again` : 'reported',
      ]),
      4,
      'none — every finished order in the window matches the services',
    );
  }

  function markLive(ok, text) {
    if (!live) return;
    live.textContent = text;
    live.classList.toggle('stale', !ok);
  }

  async function pollOverview() {
    try {
      const response = await fetch(data.overviewUrl, { headers: { accept: 'application/json' } });
      if (response.status === 401) return signedOut();
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const overview = await response.json();
      showOverview(overview);
      document.body.dataset.updatedAt = overview.generatedAt;
      markLive(true, `live · updated ${new Date(overview.generatedAt).toLocaleTimeString()}`);
    } catch (error) {
      markLive(false, `not updating: ${error.message}`);
    } finally {
      setTimeout(pollOverview, data.refreshMs || 2000);
    }
  }

  async function refreshOrder() {
    try {
      const response = await fetch(location.href, { headers: { accept: 'text/html' } });
      if (response.status === 401) return signedOut();
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const next = new DOMParser().parseFromString(await response.text(), 'text/html');
      const typing = document.activeElement && ['reason', 'password'].includes(document.activeElement.name) && document.activeElement.value;
      if (!typing) {
        document.querySelector('main').replaceWith(next.querySelector('main'));
        wireOrderActions();
      }
      const nextData = JSON.parse(next.getElementById('page-data').textContent);
      markLive(true, nextData.settled ? 'finished' : `live · updated ${new Date().toLocaleTimeString()}`);
      // A finished order that still owes a late refund or release has a timer: it keeps refreshing.
      if (!nextData.settled) setTimeout(refreshOrder, data.refreshMs || 2000);
    } catch (error) {
      markLive(false, `not updating: ${error.message}`);
      setTimeout(refreshOrder, (data.refreshMs || 2000) * 2);
    }
  }

  function showActionMessage(text, ok) {
    const message = document.getElementById('action-message');
    if (!message) return;
    message.textContent = text;
    message.className = `message ${ok ? 'ok' : 'error'}`;
  }

  // The admin token for an action: the one this page already has, or one asked for with the
  // password typed into the act-as form. null (and a message) when there is none to be had.
  async function actionHeaders() {
    const form = document.getElementById('act-as-form');
    if (!form) return {}; // AUTH_MODE=off: the API is open
    if (adminToken && adminToken.expiresAt - 30000 > Date.now()) return { authorization: `Bearer ${adminToken.value}` };
    const password = form.elements.password.value;
    if (!password) {
      showActionMessage('operator actions need the admin password (the field below)', false);
      form.elements.password.focus();
      return null;
    }
    const body = { admin: true, password };
    if (data.operator) body.operator = data.operator;
    const response = await fetch('/api/v1/auth/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const result = await response.json().catch(() => ({}));
    if (!response.ok) {
      showActionMessage(`no admin token (${response.status}): ${result.detail || result.title}`, false);
      return null;
    }
    adminToken = { value: result.accessToken, expiresAt: Date.parse(result.expiresAt) };
    form.elements.password.value = '';
    form.hidden = true;
    return { authorization: `Bearer ${adminToken.value}` };
  }

  async function operatorAction(url, body) {
    const auth = await actionHeaders();
    if (auth === null) return false;
    const response = await fetch(url, {
      method: 'POST',
      headers: Object.assign(body ? { 'content-type': 'application/json' } : {}, auth),
      body: body ? JSON.stringify(body) : undefined,
    });
    if (response.status === 401) adminToken = null;
    const result = await response.json().catch(() => ({}));
    showActionMessage(response.ok ? `done: now ${result.saga.state}` : `refused (${response.status}): ${result.detail || result.title}`, response.ok);
    if (response.ok) setTimeout(refreshOrder, 300);
    return response.ok;
  }

  // Runs what a listener started: its failure (the network gone, an answer that is not JSON) is
  // shown on the page instead of being an unhandled rejection nobody sees.
  function inBackground(promise, showFailure = showActionMessage) {
    promise.catch((error) => showFailure(`failed: ${error.message}`, false));
  }

  function wireOrderActions() {
    for (const button of document.querySelectorAll('button.fire-timer')) {
      button.addEventListener('click', () => {
        button.disabled = true;
        const url = `/api/v1/orders/${button.dataset.orderId}/saga/timeouts/${button.dataset.timer}`;
        inBackground(
          operatorAction(url).then((done) => {
            if (!done) button.disabled = false;
          }, (error) => {
            button.disabled = false;
            throw error;
          }),
        );
      });
    }
    const actAs = document.getElementById('act-as-form');
    if (actAs) {
      actAs.hidden = Boolean(adminToken);
      actAs.addEventListener('submit', (event) => event.preventDefault());
    }
    const form = document.getElementById('compensate-form');
    if (form) {
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        const reason = form.elements.reason.value.trim();
        if (reason) inBackground(operatorAction(`/api/v1/orders/${form.dataset.orderId}/saga/compensation`, { reason }));
      });
    }
  }

  function wireSignIn() {
    const form = document.getElementById('sign-in-form');
    if (!form) return;
    const message = document.getElementById('sign-in-message');
    const showSignInFailure = (text) => {
      message.textContent = text;
      message.className = 'message error';
    };
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      inBackground(signIn(form), showSignInFailure);
    });

    async function signIn(form) {
      // The server checks the password and answers with the session cookie (HttpOnly, SameSite=Strict).
      const response = await fetch('/sagas/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ operator: form.elements.operator.value.trim(), password: form.elements.password.value }),
      });
      if (!response.ok) {
        const result = await response.json().catch(() => ({}));
        showSignInFailure(`refused (${response.status}): ${result.detail || result.title}`);
        return;
      }
      location.reload();
    }
  }

  if (page === 'sign-in') wireSignIn();
  const signOutButton = document.getElementById('sign-out');
  if (signOutButton) signOutButton.addEventListener('click', () => inBackground(signOut(), (text) => markLive(false, text)));
  if (page === 'overview') void pollOverview(); // never rejects: it catches and schedules itself
  if (page === 'order') {
    wireOrderActions();
    markLive(true, data.settled ? 'finished' : 'live');
    if (!data.settled) setTimeout(refreshOrder, data.refreshMs || 2000);
  }
})();
