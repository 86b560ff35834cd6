// Waiting until a chaos platform has settled: orders terminal, outboxes sent, no consumer lag, stock and credit still.
import type { RowDataPacket } from 'mysql2/promise';
import { Kafka, logLevel } from 'kafkajs';
import { topics as sagaTopics } from '#shared/contracts/topics.ts';
import { readLedger, type Ledger } from '../../scripts/load/invariants.ts';
import { unsentOutboxRows, withRoot } from './chaos-db.ts';
import { sleep, type ChaosInfra } from './chaos-infra.ts';
import { customerIds, productIds } from './chaos-load-mix.ts';
import type { ChaosPlatform } from './chaos-platform.ts';
import type { ChaosContext } from './chaos-scenario.ts';
import { testSasl } from './kafka-access.ts';

export async function nonTerminalOrders(infra: ChaosInfra, platform: ChaosPlatform): Promise<number> {
  return withRoot(infra.db, async (connection) => {
    const [rows] = await connection.query<RowDataPacket[]>(
      `select count(*) as n from \`${platform.databases['order-service']}\`.customer_order where status not in ('CONFIRMED', 'CANCELLED')`,
    );
    return Number(rows[0].n);
  });
}

/** Records not yet consumed by the saga consumer groups (high watermark − committed offset). */
async function sagaConsumerLag(infra: ChaosInfra, prefix: string): Promise<number> {
  const kafka = new Kafka({
    clientId: 'chaos-lag',
    brokers: [infra.kafkaBrokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
    ...testSasl(infra.kafkaCredentials('admin')),
  });
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
  JSON.stringify([...ledger.products].sort(([a], [b]) => a.localeCompare(b))) +
  JSON.stringify([...ledger.credits].sort(([a], [b]) => a.localeCompare(b)));
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
        if (Date.now() - started > 10_000)
          ctx.log(`settled in ${took()} s after waiting for: ${[...waited].map(([w, n]) => `${w} (${n}×)`).join('; ')}`);
        return null;
      }
      const reasons = [open && `orders not terminal`, unsent && `outbox rows unsent`, lag && `consumer lag`].filter(Boolean);
      waitingFor =
        reasons.length === 0 ? 'stock and credit still moving' : `${open} orders not terminal, ${unsent} outbox rows unsent, consumer lag ${lag}`;
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
