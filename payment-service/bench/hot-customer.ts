/**
 * Hot-customer benchmark: many ChargePayment commands (plus some refunds) for ONE customer at once,
 * against the payment service started in-process on a database and Kafka topics of its own.
 *
 *   node payment-service/bench/hot-customer.ts [--charges 400] [--refunds 50] [--amount 1000]
 *                                              [--opening <KRW>] [--runs 3]
 *
 * Per run it reports: time from the first command sent to the last reply seen, the handlers'
 * average transaction time (`inbox_handle_duration_seconds`), the global InnoDB row-lock counters'
 * deltas (`show global status`: they include every other database on the server, so an idle
 * baseline of the same length is measured first), and the lock waits of this run's own
 * transactions sampled from information_schema.innodb_trx. Invariants are checked after each run.
 * `msPerCommand` is the run's time divided by its commands: when one customer's row is the
 * bottleneck, about how long each transaction holds that row's lock. Nothing outside its own
 * database (`payment_bench_…`, dropped at the end) and `pbench-…` topics is touched.
 */
// First: the broker's admin credentials into the environment, as for the tests (unless it names others).
import '../../tests/kafka-credentials.setup.ts';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { topics } from '#shared/contracts/topics.ts';
import type { KafkaProducer } from '#shared/kafka/kafka-client.ts';
import { systemClock } from '#shared/runtime/clock.ts';
import { startService, type RunningService } from '#shared/runtime/service-host.ts';
import {
  commandRecord,
  handlerTime,
  idleRowLocks,
  median,
  rowLockCounters,
  rowLocksBetween,
  serverConnection,
} from '../../tests/support/hot-row-bench.ts';
import { isolatedKafka } from '../../tests/support/isolated-kafka.ts';
import { openSagaProbe, type SagaProbe } from '../../tests/support/saga-probe.ts';
import { eventually, freshDatabase } from '../../tests/support/test-infra.ts';
import { createCreditQueries } from '../src/credits/credit-queries.ts';
import { createOpenCreditAccounts } from '../src/credits/open-credit-accounts.ts';
import { paymentService } from '../src/payment-service.ts';

const { values: args } = parseArgs({
  options: {
    charges: { type: 'string', default: '400' },
    refunds: { type: 'string', default: '50' },
    amount: { type: 'string', default: '1000' },
    opening: { type: 'string' },
    runs: { type: 'string', default: '3' },
  },
});
const charges = Number(args.charges);
const refunds = Math.min(Number(args.refunds), charges);
const amount = Number(args.amount);
// Default: three quarters of the charges are covered, so both the debit and the decline path run.
const opening = args.opening ? Number(args.opening) : Math.floor(charges * 0.75) * amount;
const runs = Number(args.runs);

const runId = Date.now().toString(36);
const dbName = `payment_bench_${runId}`;
const prefix = `pbench-${runId}-`;

/**
 * Lock waits of this benchmark's own transactions only: polls innodb_trx for transactions in
 * LOCK WAIT whose connection uses the benchmark's database and integrates their number over time
 * (≈ seconds spent waiting for row locks). InnoDB refreshes its innodb_trx snapshot only when it
 * was not read for 0.1 s, hence the poll interval.
 */
function sampleOwnLockWaits(db: Connection, everyMs = 120) {
  let waitSeconds = 0;
  let running = true;
  const done = (async () => {
    let last = performance.now();
    while (running) {
      const [rows] = await db.query<RowDataPacket[]>(
        `select count(*) as waiting from information_schema.innodb_trx t
           join information_schema.processlist p on p.id = t.trx_mysql_thread_id
          where t.trx_state = 'LOCK WAIT' and p.db = ?`,
        [dbName],
      );
      const now = performance.now();
      waitSeconds += (Number(rows[0]?.waiting ?? 0) * (now - last)) / 1000;
      last = now;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return async () => {
    running = false;
    await done;
    await db.end();
    return { waitSeconds };
  };
}

async function waitForReplies(probe: SagaProbe, expected: Map<string, number>, timeoutMs: number): Promise<void> {
  const missing = await eventually(
    async () => [...expected].filter(([orderId, count]) => probe.seen(orderId).length < count).length,
    (count) => count === 0,
    timeoutMs,
    5,
  );
  if (missing > 0) throw new Error(`${missing} orders still wait for replies after ${timeoutMs} ms`);
}

async function checkInvariants(service: RunningService, probe: SagaProbe, customerId: string, orderIds: string[], refunded: string[]) {
  const problems: string[] = [];
  for (const [index, orderId] of orderIds.entries()) {
    const replies = probe.seen(orderId);
    const expectedReplies = index < refunded.length ? 2 : 1;
    if (replies.length !== expectedReplies) problems.push(`order ${orderId}: ${replies.length} replies, expected ${expectedReplies}`);
  }
  const credit = await createCreditQueries({ orm: service.deps.orm }).creditOf(customerId);
  if (!credit) throw new Error(`customer ${customerId} vanished`);
  if (!credit.consistent) problems.push('ledger check failed');
  if (credit.balance < 0) problems.push(`negative balance ${credit.balance}`);
  const em = service.deps.orm.em.fork();
  const ledger = await em.execute<{ amount: string | number; balance_after: string | number }[]>(
    'select amount, balance_after from credit_history where customer_id = ? order by id',
    [customerId],
  );
  let balance = opening;
  for (const row of ledger) {
    balance += Number(row.amount);
    if (Number(row.balance_after) !== balance) {
      problems.push(`ledger chain broken at balance_after ${row.balance_after}, expected ${balance}`);
      break;
    }
  }
  if (balance !== credit.balance) problems.push(`ledger ends at ${balance}, balance is ${credit.balance}`);
  const statuses = await em.execute<{ status: string; n: number | string }[]>(
    'select status, count(*) as n from payment where customer_id = ? group by status',
    [customerId],
  );
  const byStatus = Object.fromEntries(statuses.map((row) => [row.status, Number(row.n)]));
  const payments = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
  if (payments !== orderIds.length) problems.push(`${payments} payments for ${orderIds.length} orders`);
  const charged = orderIds.filter((orderId) => probe.seen(orderId)[0]?.type === 'PaymentCompleted').length;
  const refundedMoney = refunded.filter((orderId) => {
    const reply = probe.seen(orderId)[1];
    return reply?.type === 'PaymentRefunded' && !(reply.payload as { nothingToRefund: boolean }).nothingToRefund;
  }).length;
  if (credit.balance !== opening - (charged - refundedMoney) * amount) problems.push('balance does not match the replies');
  return { problems, charged, refundedMoney, balance: credit.balance, ledgerRows: ledger.length };
}

async function oneRun(service: RunningService, probe: SagaProbe, producer: KafkaProducer, db: Connection, label: string) {
  const customerId = randomUUID();
  await createOpenCreditAccounts({ orm: service.deps.orm, clock: systemClock })([{ customerId, openingBalance: opening }]);
  const orderIds = Array.from({ length: charges }, () => randomUUID());
  const refunded = orderIds.slice(0, refunds);
  const expected = new Map(orderIds.map((orderId, index) => [orderId, index < refunds ? 2 : 1]));

  // Idle baseline of the global counters: other databases on this server may be busy.
  const baselineMs = 2_000;
  const { idle } = await idleRowLocks(db, baselineMs);

  const handledBefore = await handlerTime(service);
  const [loadAverage] = loadavg(); // other processes on this machine skew the timings; reported with them
  const countersBefore = await rowLockCounters(db);
  const stopSampling = sampleOwnLockWaits(await serverConnection());
  const started = performance.now();
  // One batch (the producer sends one request at a time, so 450 separate sends would measure Kafka).
  // A refund follows its charge on the order's key, so it is handled after it.
  await producer.send([
    ...orderIds.map((orderId) => commandRecord('ChargePayment', orderId, { customerId, amount })),
    ...refunded.map((orderId) => commandRecord('RefundPayment', orderId, { customerId, reason: 'bench' })),
  ]);
  const sentMs = performance.now() - started;
  await waitForReplies(probe, expected, 300_000);
  const elapsedMs = performance.now() - started;
  const ownWaits = await stopSampling();
  const countersAfter = await rowLockCounters(db);
  const handledAfter = await handlerTime(service);

  const lock = rowLocksBetween(countersBefore, countersAfter);
  const idleScaled = { waits: (idle.waits * elapsedMs) / baselineMs, timeMs: (idle.timeMs * elapsedMs) / baselineMs };
  const transactions = handledAfter.count - handledBefore.count;
  const invariants = await checkInvariants(service, probe, customerId, orderIds, refunded);
  return {
    label,
    loadAverage: Number(loadAverage!.toFixed(1)),
    commands: charges + refunds,
    sentMs: Math.round(sentMs),
    elapsedMs: Math.round(elapsedMs),
    commandsPerSecond: Math.round(((charges + refunds) * 1000) / elapsedMs),
    msPerCommand: Number((elapsedMs / (charges + refunds)).toFixed(2)),
    avgHandleMs: Number(((1000 * (handledAfter.seconds - handledBefore.seconds)) / transactions).toFixed(1)),
    handled: transactions,
    globalRowLockWaits: lock.waits,
    globalRowLockTimeMs: lock.timeMs,
    globalDeadlocks: lock.deadlocks,
    idleRowLockWaitsSameLength: Math.round(idleScaled.waits),
    idleRowLockTimeMsSameLength: Math.round(idleScaled.timeMs),
    ownLockWaitSeconds: Number(ownWaits.waitSeconds.toFixed(1)),
    completed: invariants.charged,
    declined: charges - invariants.charged,
    refunded: invariants.refundedMoney,
    finalBalance: invariants.balance,
    ledgerRows: invariants.ledgerRows,
    invariants: invariants.problems.length === 0 ? 'ok' : invariants.problems.slice(0, 5).join('; '),
  };
}

async function main(): Promise<void> {
  const topicsOfRun = await isolatedKafka('payment-bench', prefix);
  const kafka = topicsOfRun.kafka;
  await freshDatabase(dbName);
  const service = await startService(paymentService, {
    port: 0,
    dbName,
    env: {
      KAFKA_GROUP_ID: `payment-bench-${randomUUID()}`,
      KAFKA_NEW_GROUP_FROM: 'latest',
      KAFKA_TOPIC_PREFIX: prefix,
      QUEUE_PREFIX: prefix.replace(/-$/, ''),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
    },
  });
  const probe = await openSagaProbe(kafka, [topics.paymentResponse]);
  const producer = await kafka.producer();
  const db = await serverConnection();
  try {
    console.log(
      `payment-service hot-customer bench: ${charges} charges of ${amount} KRW + ${refunds} refunds, opening ${opening} KRW, topics ${prefix}*`,
    );
    // Warm-up (JIT, pools, consumer fetch loop) on a customer of its own; not reported.
    const warmUp = randomUUID();
    await createOpenCreditAccounts({ orm: service.deps.orm, clock: systemClock })([{ customerId: warmUp, openingBalance: 1_000_000 }]);
    const warmOrders = Array.from({ length: 200 }, () => randomUUID());
    await producer.send(warmOrders.map((orderId) => commandRecord('ChargePayment', orderId, { customerId: warmUp, amount: 1_000 })));
    await waitForReplies(probe, new Map(warmOrders.map((orderId) => [orderId, 1])), 60_000);

    const results: Awaited<ReturnType<typeof oneRun>>[] = [];
    for (let run = 1; run <= runs; run++) {
      const result = await oneRun(service, probe, producer, db, `run ${run}`);
      results.push(result);
      console.log(JSON.stringify(result));
    }
    const medianOf = (pick: (r: (typeof results)[number]) => number) => median(results.map(pick));
    console.table(results.map(({ invariants, label, ...rest }) => ({ label, ...rest, invariants })));
    console.log(
      `median: ${medianOf((r) => r.elapsedMs)} ms for ${charges + refunds} commands (${medianOf((r) => r.commandsPerSecond)}/s, ` +
        `${medianOf((r) => r.msPerCommand)} ms each), ` +
        `avg handler ${medianOf((r) => r.avgHandleMs)} ms, own lock wait ${medianOf((r) => r.ownLockWaitSeconds)} s, ` +
        `global row lock waits ${medianOf((r) => r.globalRowLockWaits)} / ${medianOf((r) => r.globalRowLockTimeMs)} ms ` +
        `(idle baseline same length ${medianOf((r) => r.idleRowLockWaitsSameLength)} / ${medianOf((r) => r.idleRowLockTimeMsSameLength)} ms)`,
    );
    if (results.some((result) => result.invariants !== 'ok')) process.exitCode = 1;
  } finally {
    await db.end();
    await producer.disconnect();
    await probe.close();
    await service.stop();
    await topicsOfRun.close();
    const cleanup = await serverConnection();
    await cleanup.query(`drop database if exists \`${dbName}\``);
    await cleanup.end();
  }
}

await main();
