// Faults under sustained load, one at a time, on a platform with a Kafka broker and a Redis of its
// own (kill -9 and FLUSHALL hurt nobody else). CHAOS_SHORT=1: shorter loads, three faults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChaosInfra, type ChaosInfra } from '../support/chaos-infra.ts';
import { startChaosPlatform, type ChaosPlatform } from '../support/chaos-platform.ts';
import type { ChaosRow } from '../support/chaos-scenario-row.ts';
import { chaosContext, runScenario, type ChaosContext, type FaultSpec, type LoadShape } from '../support/chaos-scenario.ts';
import { publishSummary } from '../support/chaos-summary.ts';
import { platformClient } from '../support/platform-client.ts';
import { databaseTimeZone, skewServiceClock } from './faults-clocks.ts';
import { cutServiceFromKafka, restartDatabase, zombieConsumer } from './faults-outages.ts';
import { cutDatabase, duplicateStorm, flushRedis, killKafka, killMidBatch, killService, rebalance } from './faults.ts';

const short = process.env.CHAOS_SHORT === '1';
const shape: LoadShape = short
  ? { rate: 20, durationS: 8, deadlineMs: 120_000, settleMs: 120_000 }
  : { rate: 30, durationS: 15, deadlineMs: 120_000, settleMs: 120_000 };

const allFaults: FaultSpec[] = short
  ? [killService('order-service', 14), flushRedis(), duplicateStorm(shape.durationS)]
  : [
      killService('product-service', 20),
      killService('payment-service', 20),
      killService('order-service', 20),
      killMidBatch(25),
      killKafka(25),
      flushRedis(),
      cutDatabase(),
      restartDatabase(),
      cutServiceFromKafka('refuse'),
      cutServiceFromKafka('blackhole'),
      duplicateStorm(shape.durationS),
      rebalance(),
      zombieConsumer('payment-service'),
      databaseTimeZone('-08:00'),
      skewServiceClock('payment-service', '+5m'),
      skewServiceClock('payment-service', '-5m'),
      // Its orders are stamped on its clock: found by id (chaos-accepted-orders.ts), not by created_at.
      skewServiceClock('order-service', '+5m'),
      skewServiceClock('order-service', '-5m'),
    ];

// CHAOS_ONLY=<text>: only the faults whose name contains it (e.g. CHAOS_ONLY=MariaDB).
const faults = process.env.CHAOS_ONLY ? allFaults.filter((f) => f.name.toLowerCase().includes(process.env.CHAOS_ONLY!.toLowerCase())) : allFaults;

// The default deadlines (10 s, 3 attempts per forward step): an outage of the broker or of one
// service shorter than deadline × attempts should cancel no order, since a deadline counts from when
// its command reached the broker. CHAOS_SAGA_TIMEOUT_MS=3000 (with 2 attempts) instead makes the
// outages run into timeouts, so compensation runs under every fault.
const shortDeadlines = process.env.CHAOS_SAGA_TIMEOUT_MS;
const sagaEnv: Record<string, string> = shortDeadlines
  ? {
      SAGA_TIMEOUT_MS: shortDeadlines,
      SAGA_RESERVATION_MAX_ATTEMPTS: '2',
      SAGA_PAYMENT_MAX_ATTEMPTS: '2',
      SAGA_CONFIRMATION_MAX_ATTEMPTS: '2',
    }
  : {};
const deadlinesNote = shortDeadlines
  ? `SAGA_TIMEOUT_MS=${shortDeadlines}, 2 attempts per forward step`
  : 'default deadlines: 10 s, 3 attempts per forward step';

const log = (message: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 23)}] ${message}`);

let infra: ChaosInfra;
let platform: ChaosPlatform;
let ctx: ChaosContext;
const rows: ChaosRow[] = [];

describe(`chaos: one fault at a time under ${shape.rate} orders/s${short ? ' (short)' : ''}`, () => {
  beforeAll(async () => {
    const started = Date.now();
    infra = await startChaosInfra();
    log(`own broker ${infra.kafkaBrokers}, own redis ${infra.redisUrl} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    platform = await startChaosPlatform({ infra, name: 'faults', env: sagaEnv });
    await platformClient(platform).waitForCatalog();
    ctx = chaosContext(infra, platform, log);
    log(`platform up (${((Date.now() - started) / 1000).toFixed(1)} s): ${Object.values(platform.url).join(' ')}; logs in ${infra.dir}`);
  });

  afterAll(async () => {
    if (rows.length > 0) {
      publishSummary(rows, `Chaos run ${new Date().toISOString()} (${short ? 'short' : 'full'}; ${deadlinesNote})`);
    }
    await platform?.stop();
    await platform?.dropDatabases();
    await infra?.stop();
  });

  for (const fault of faults) {
    it(
      fault.name,
      async () => {
        const { row, hard, info } = await runScenario(ctx, fault, shape);
        rows.push(row);
        for (const result of [...hard, ...info])
          log(`  ${result.pass ? 'PASS' : 'FAIL'}${info.includes(result) ? ' (info)' : ''}  ${result.name} — ${result.detail}`);
        expect(hard.filter((result) => !result.pass)).toEqual([]);
        expect(row.lost).toBe(0);
      },
      15 * 60_000,
    );
  }
});
