// Nemesis soak: a seeded schedule of overlapping faults under a steady open-loop load for minutes, then the
// checks of the single-fault scenarios. Skipped unless CHAOS_SOAK is set: `npm run test:soak -- --duration 10m --seed 42`
// (scripts/chaos-soak.ts sets CHAOS_SOAK_DURATION_S, CHAOS_SOAK_SEED, CHAOS_SOAK_RATE).
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startChaosInfra, type ChaosInfra } from '../support/chaos-infra.ts';
import { startChaosPlatform, type ChaosPlatform } from '../support/chaos-platform.ts';
import { chaosContext, runScenario, type ChaosContext, type FaultSpec, type LoadShape } from '../support/chaos-scenario.ts';
import { summaryTable } from '../support/chaos-summary.ts';
import {
  footprint,
  footprintBounds,
  footprintTable,
  retentionTable,
  SOAK_RETENTION,
  watchMessagingRows,
  type Footprint,
} from '../support/nemesis-footprint.ts';
import { maxConcurrent, nemesisFault, scheduleAsRun, type NemesisEvent } from '../support/nemesis-run.ts';
import { describeFault, nemesisSchedule } from '../support/nemesis-schedule.ts';
import { platformClient } from '../support/platform-client.ts';

const soak = !!process.env.CHAOS_SOAK;
const durationS = Number(process.env.CHAOS_SOAK_DURATION_S ?? 600);
const seed = Number(process.env.CHAOS_SOAK_SEED ?? 42);
const rate = Number(process.env.CHAOS_SOAK_RATE ?? 20);
const shape: LoadShape = { rate, durationS, deadlineMs: 180_000, settleMs: 300_000 };
const root = fileURLToPath(new URL('../..', import.meta.url));

const log = (message: string) => console.log(`[soak ${new Date().toISOString().slice(11, 23)}] ${message}`);

let infra: ChaosInfra;
let platform: ChaosPlatform;
let ctx: ChaosContext;

describe.skipIf(!soak)(`nemesis soak: overlapping faults for ${durationS} s under ${rate} orders/s (seed ${seed})`, () => {
  beforeAll(async () => {
    infra = await startChaosInfra();
    // Retentions of minutes (defaults: 1 h, 7 days), so that the soak shows the cleanups deleting rows.
    platform = await startChaosPlatform({
      infra,
      name: 'soak',
      env: Object.fromEntries(Object.entries(SOAK_RETENTION).map(([name, ms]) => [name, String(ms)])),
    });
    await platformClient(platform).waitForCatalog();
    ctx = chaosContext(infra, platform, log);
    log(`platform up on its own broker ${infra.kafkaBrokers}, redis ${infra.redisUrl}; logs in ${infra.dir}`);
  });

  afterAll(async () => {
    await platform?.stop();
    await platform?.dropDatabases();
    await infra?.stop();
  });

  it(
    `seed ${seed}: 0 lost, conservation, consistency, no dead letters, bounded tables and Redis`,
    async () => {
      const schedule = nemesisSchedule({ seed, durationMs: durationS * 1000 });
      log(
        `seed ${seed}: ${schedule.length} faults planned over ${durationS} s:\n${schedule.map((f) => `  +${(f.atMs / 1000).toFixed(1)} s  ${describeFault(f)}`).join('\n')}`,
      );
      const before = await footprint(infra, platform);
      const watch = watchMessagingRows(infra, platform);
      const ran: NemesisEvent[] = [];
      const nemesis = nemesisFault(schedule, durationS, ran);
      // The midpoint of the load: the faults start with it.
      let midpoint: Promise<Footprint | null> = Promise.resolve(null);
      const withMidpoint: FaultSpec = {
        ...nemesis,
        inject(c) {
          midpoint = sleep((durationS * 1000) / 2)
            .then(() => footprint(infra, platform))
            .catch(() => null);
          return nemesis.inject(c);
        },
      };
      const { row, hard, info } = await runScenario(ctx, withMidpoint, shape);
      // Delayed timer jobs of the last orders complete within a deadline or two: then count what stays.
      await sleep(30_000);
      const after = await footprint(infra, platform);
      const rows = await watch.stop();
      const middle = await midpoint;
      const bounds = footprintBounds(before, after, row.accepted, rows);
      const all = [...hard, ...bounds];

      const text = [
        `Nemesis soak ${new Date().toISOString()}: seed ${seed}, ${durationS} s, ${rate} orders/s, default deadlines, retention outbox ${SOAK_RETENTION.OUTBOX_RETENTION_MS / 1000} s / inbox ${SOAK_RETENTION.INBOX_RETENTION_MS / 1000} s`,
        '',
        `Schedule as it ran (${ran.length} faults, up to ${maxConcurrent(ran)} at once):`,
        scheduleAsRun(ran),
        '',
        summaryTable([row]),
        '',
        `| Seed | Duration | Faults | Max at once | Accepted | Lost | Ended otherwise (info) | Stock conserved | Money conserved | Consistent | Dead letters | Invariants |`,
        '|---|---|---|---|---|---|---|---|---|---|---|---|',
        `| ${seed} | ${durationS} s | ${ran.length} | ${maxConcurrent(ran)} | ${row.accepted} | ${row.lost} | ${row.endedOtherwise} | ${
          all.filter((r) => r.name.startsWith('stock ')).every((r) => r.pass) ? 'yes' : 'NO'
        } | ${all.filter((r) => r.name.startsWith('credit ')).every((r) => r.pass) ? 'yes' : 'NO'} | ${
          all.find((r) => r.name.startsWith('every order of the platform consistent'))?.pass ? 'yes' : 'NO'
        } | ${row.deadLettersAdded} | ${all.every((r) => r.pass) ? 'held' : 'FAILED'} |`,
        '',
        `Rows before, at the midpoint of the load (${Math.round(durationS / 2)} s) and after (outbox retention ${SOAK_RETENTION.OUTBOX_RETENTION_MS / 1000} s, inbox ${SOAK_RETENTION.INBOX_RETENTION_MS / 1000} s):`,
        footprintTable(before, middle, after, row.accepted),
        '',
        'What the retention deleted (every inbox and outbox row sampled every 10 s during the soak):',
        retentionTable(rows, after),
        '',
        ...[...all, ...info].map((r) => `- ${r.pass ? 'PASS' : 'FAIL'}${info.includes(r) ? ' (info)' : ''}  ${r.name} — ${r.detail}`),
        `- detail: ${row.detail}`,
      ].join('\n');
      mkdirSync(`${root}.run/chaos`, { recursive: true });
      writeFileSync(`${root}.run/chaos/soak-seed${seed}-${durationS}s.md`, `${text}\n`);
      process.stdout.write(`\n${text}\n\n`);

      expect(all.filter((r) => !r.pass)).toEqual([]);
      expect(row.lost).toBe(0);
    },
    (durationS + 20 * 60) * 1000,
  );
});
