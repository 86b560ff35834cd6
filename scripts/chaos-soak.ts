// npm run test:soak -- [--duration 10m] [--seed 42] [--rate 20]
// The nemesis soak (tests/chaos/nemesis.chaos.test.ts): a seeded schedule of overlapping faults under a
// steady load for the duration, then the single-fault scenarios' checks. Vitest takes no flags of
// its own for this, so they go to the test as CHAOS_SOAK_* variables.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseDurationS } from '../tests/support/nemesis-schedule.ts';
import { parseCliArgs, usageError } from './lib/cli-args.ts';

const usage = 'usage: npm run test:soak -- [--duration 10m] [--seed 42] [--rate 20]   (duration: 90s, 3m, 1h30m or seconds)';
const values = parseCliArgs(
  {
    duration: { type: 'string', default: '10m' },
    seed: { type: 'string', default: '42' },
    rate: { type: 'string', default: '20' },
  },
  usage,
);

const durationS = parseDurationS(values.duration);
if (durationS === null) usageError(`--duration must be like 90s, 3m or 1h30m, got "${values.duration}"`, usage);
if (!/^\d+$/.test(values.seed) || Number(values.seed) > 0xffffffff)
  usageError(`--seed must be an integer from 0 to 4294967295, got "${values.seed}"`, usage);
const rate = Number(values.rate);
if (!(rate > 0 && rate <= 200)) usageError(`--rate must be orders per second, more than 0 and at most 200, got "${values.rate}"`, usage);

const root = fileURLToPath(new URL('..', import.meta.url));
console.log(`nemesis soak: seed ${values.seed}, ${durationS} s, ${rate} orders/s`);
const result = spawnSync(`${root}node_modules/.bin/vitest`, ['run', '--project', 'chaos', 'tests/chaos/nemesis.chaos.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    CHAOS_SOAK: '1',
    CHAOS_SOAK_DURATION_S: String(durationS),
    CHAOS_SOAK_SEED: values.seed,
    CHAOS_SOAK_RATE: String(rate),
  },
});
process.exit(result.status ?? 1);
