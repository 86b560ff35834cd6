// Operator CLI for the order saga.   npm run saga -- <command> [options]
//
//   replay <orderId>                       replay one order's recorded history through the current machine
//   replay --all [--since <ISO date>]      ... every order (placed since the date); exit 1 on any divergence
//   timeout <orderId> <timer>              fire a pending timer now (reservation|payment|confirmation|release|refund)
//   compensate <orderId> [--reason <text>] cancel the order: the saga compensates
//   show <orderId>                         state, pending timers and timeline of one saga
//   export [--format mermaid|json] [--out <file>]   the machine as Mermaid or JSON
//
// replay reads the order database directly (read-only; DB_HOST, DB_PORT, DB_USER, DB_PASSWORD,
// DB_NAME — default order_db — as for the service) and runs the machine purely: it changes nothing.
// timeout, compensate and show change or read a live saga, so they go through the running order
// service's API (--url, default $ORDER_SERVICE_URL or http://127.0.0.1:8181): one path changes sagas.
// They call it as an admin: --token, else $ORDER_SERVICE_TOKEN, else a token asked for with
// $ADMIN_PASSWORD (default: the README's demo password).
import { writeFileSync } from 'node:fs';
import { baseEnvSchema, parseEnv } from '../shared/src/config/env.ts';
import { openOrm } from '../shared/src/db/orm.ts';
import { orderSagaMachine, ORDER_SAGA_VERSION } from '../statecharts/src/order-saga.machine.ts';
import { toJson, toMermaid } from '../statecharts/src/statechart-export.ts';
import { CustomerOrder } from '../order-service/src/saga/order.entity.ts';
import { SagaEvent } from '../order-service/src/saga/saga-event.entity.ts';
import { currentOrderSaga, replayStoredOrders } from '../order-service/src/console/operator/replay-stored-orders.ts';
import { describeDivergence } from '../order-service/src/console/operator/saga-replay.ts';
import { parseCliCommand } from './lib/cli-args.ts';
import { tokenClient } from './lib/token-client.ts';

const usage = `usage: npm run saga -- <command> [options]

  replay <orderId>                        replay one order's recorded events through the current machine
  replay --all [--since <ISO date>]       replay every order (placed since the date); exit 1 if any diverges
  timeout <orderId> <timer>               fire a pending timer now (via the order service API)
  compensate <orderId> [--reason <text>]  cancel the order and compensate (via the order service API)
  show <orderId>                          state, pending timers and timeline (via the order service API)
  export [--format mermaid|json] [--out <file>]

options:
  --url <base URL>   order service for timeout/compensate/show (default $ORDER_SERVICE_URL or http://127.0.0.1:8181)
  --token <JWT>      admin token for them (default $ORDER_SERVICE_TOKEN, else one asked for with $ADMIN_PASSWORD)
  replay reads the order database given by DB_HOST, DB_PORT, DB_USER, DB_PASSWORD and DB_NAME (default order_db)`;

class UsageError extends Error {}

const { values: options, positionals } = parseCliCommand(
  {
    all: { type: 'boolean', default: false },
    since: { type: 'string' },
    url: { type: 'string' },
    token: { type: 'string' },
    reason: { type: 'string' },
    format: { type: 'string', default: 'mermaid' },
    out: { type: 'string' },
  },
  usage,
);

const baseUrl = (options.url ?? process.env.ORDER_SERVICE_URL ?? 'http://127.0.0.1:8181').replace(/\/$/, '');

async function replay(orderId: string | undefined): Promise<number> {
  if (!orderId && !options.all) throw new UsageError('replay needs an order id or --all');
  if (orderId && options.all) throw new UsageError('replay takes an order id or --all, not both');
  const since = options.since ? new Date(options.since) : undefined;
  if (since && Number.isNaN(since.getTime())) throw new UsageError(`--since: not a date: ${options.since}`);
  const env = parseEnv(baseEnvSchema, process.env);
  const orm = await openOrm({ env, dbName: process.env.DB_NAME ?? 'order_db', entities: [CustomerOrder, SagaEvent], migrations: [] });
  try {
    const totals = await replayStoredOrders(orm.em.fork(), currentOrderSaga, { orderId, since }, (result) => {
      if (result.divergence) console.log(`DIVERGED ${describeDivergence(result.divergence)}`);
      else if (orderId) console.log(`ok: order ${result.orderId}, ${result.steps} events, same states, commands and timers`);
    });
    if (orderId && totals.orders === 0) {
      console.error(`no order ${orderId}`);
      return 2;
    }
    console.log(`replayed ${totals.orders} order(s), ${totals.events} event(s) through machine v${ORDER_SAGA_VERSION}: ${totals.diverged} diverged`);
    return totals.diverged > 0 ? 1 : 0;
  } finally {
    await orm.close(true);
  }
}

async function adminAuthorization(): Promise<Record<string, string>> {
  const given = options.token ?? process.env.ORDER_SERVICE_TOKEN;
  return given ? { authorization: `Bearer ${given}` } : tokenClient({ orderUrl: baseUrl }).adminHeaders();
}

async function callApi(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ ok: boolean; json: any }> {
  let response: Response;
  try {
    const authorization = await adminAuthorization();
    response = await fetch(`${baseUrl}${path}`, {
      method,
      ...(body === undefined
        ? { headers: authorization }
        : { headers: { ...authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
  } catch (error) {
    if ((error as Error).message.startsWith('token refused')) throw error;
    throw new Error(`order service not reachable at ${baseUrl} (${(error as Error).message}); pass --url`);
  }
  const text = await response.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = { detail: text };
  }
  if (!response.ok) console.error(`${response.status} ${json?.title ?? ''}: ${json?.detail ?? text}`);
  return { ok: response.ok, json };
}

function printSaga(saga: any): void {
  console.log(`order ${saga.orderId}: ${saga.status} (${saga.state}), machine v${saga.machineVersion}${saga.terminal ? ', finished' : ''}`);
  if (saga.failureMessages.length > 0) console.log(`  failure: ${saga.failureMessages.join('; ')}`);
  if (saga.anomalies.length > 0) console.log(`  anomalies: ${saga.anomalies.join('; ')}`);
  for (const timer of saga.pendingTimers) {
    console.log(
      `  timer ${timer.timer} #${timer.attempt} due ${timer.deadlineAt}${timer.overdueMs > 0 ? ` (overdue by ${timer.overdueMs} ms)` : ''}`,
    );
  }
  for (const entry of saga.history) {
    const effects = entry.effects
      .map((effect: any) =>
        effect.kind === 'command' ? effect.command : effect.kind === 'setTimer' ? `set ${effect.timer}#${effect.attempt}` : `clear ${effect.timer}`,
      )
      .join(', ');
    console.log(
      `  #${entry.sequence} ${entry.occurredAt} ${entry.eventType.padEnd(22)} ${entry.source.padEnd(8)} ${entry.stateBefore ?? '-'} -> ${entry.stateAfter}` +
        `${entry.changed ? '' : ' (no-op)'}${effects ? `  [${effects}]` : ''}`,
    );
  }
}

async function main(): Promise<number> {
  const [command, ...rest] = positionals;
  if (!command) throw new UsageError('a command is needed');
  switch (command) {
    case 'replay':
      return replay(rest[0]);
    case 'timeout': {
      const [orderId, timer] = rest;
      if (!orderId || !timer) throw new UsageError('timeout needs <orderId> <timer>');
      const { ok, json } = await callApi('POST', `/api/v1/orders/${encodeURIComponent(orderId)}/saga/timeouts/${encodeURIComponent(timer)}`);
      if (ok) printSaga(json.saga);
      return ok ? 0 : 1;
    }
    case 'compensate': {
      const [orderId] = rest;
      if (!orderId) throw new UsageError('compensate needs <orderId>');
      const reason = options.reason ?? 'requested by an operator (saga CLI)';
      const { ok, json } = await callApi('POST', `/api/v1/orders/${encodeURIComponent(orderId)}/saga/compensation`, { reason });
      if (ok) printSaga(json.saga);
      return ok ? 0 : 1;
    }
    case 'show': {
      const [orderId] = rest;
      if (!orderId) throw new UsageError('show needs <orderId>');
      const { ok, json } = await callApi('GET', `/api/v1/orders/${encodeURIComponent(orderId)}/saga`);
      if (ok) printSaga(json);
      return ok ? 0 : 1;
    }
    case 'export': {
      const format = options.format;
      if (format !== 'mermaid' && format !== 'json') throw new UsageError('--format is mermaid or json');
      const text = format === 'mermaid' ? toMermaid(orderSagaMachine) : `${JSON.stringify(toJson(orderSagaMachine), null, 2)}\n`;
      if (options.out) {
        writeFileSync(options.out, text);
        console.error(`wrote ${options.out}`);
      } else {
        process.stdout.write(text);
      }
      return 0;
    }
    default:
      throw new UsageError(`unknown command: ${command}`);
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${usage}`);
    process.exitCode = 2;
  } else {
    console.error((error as Error).message);
    process.exitCode = 1;
  }
}
