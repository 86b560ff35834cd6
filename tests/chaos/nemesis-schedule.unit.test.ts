import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeFault, mulberry32, nemesisSchedule, overlappingPairs, parseDurationS } from '../support/nemesis-schedule.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the nemesis schedule (tests/support/nemesis-schedule.ts)', () => {
  it('mulberry32 gives the same numbers for the same seed, others for another', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const first = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(first);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('the same seed gives the same schedule; another seed another', () => {
    const one = nemesisSchedule({ seed: 42, durationMs: 600_000 });
    expect(nemesisSchedule({ seed: 42, durationMs: 600_000 })).toEqual(one);
    expect(nemesisSchedule({ seed: 1, durationMs: 600_000 })).not.toEqual(one);
  });

  for (const seed of [1, 2, 3, 42]) {
    it(`seed ${seed}: faults overlap, one at a time per target, every kind, inside the window`, () => {
      const durationMs = 600_000;
      const schedule = nemesisSchedule({ seed, durationMs });
      expect(schedule.length).toBeGreaterThan(40);
      const pairs = overlappingPairs(schedule);
      expect(pairs.length).toBeGreaterThan(5);
      for (const [a, b] of pairs) expect(a.targets.some((t) => b.targets.includes(t))).toBe(false);
      expect(new Set(schedule.map((f) => f.kind))).toEqual(new Set(['kill', 'freeze', 'kill-broker', 'flushall', 'cut-db', 'duplicates']));
      expect(new Set(schedule.filter((f) => f.service).map((f) => f.service)).size).toBe(3);
      for (const fault of schedule) {
        expect(fault.atMs).toBeGreaterThanOrEqual(5_000);
        expect(fault.atMs).toBeLessThan(durationMs - 60_000);
        expect(describeFault(fault)).not.toBe('');
      }
    });
  }

  it('a 3-minute schedule has overlapping faults too', () => {
    const schedule = nemesisSchedule({ seed: 42, durationMs: 180_000 });
    expect(schedule.length).toBeGreaterThan(10);
    expect(overlappingPairs(schedule).length).toBeGreaterThan(0);
  });

  it('durations: 10m, 90s, 1h30m, 120; not 3x, 0, empty', () => {
    expect(parseDurationS('10m')).toBe(600);
    expect(parseDurationS('90s')).toBe(90);
    expect(parseDurationS('1h30m')).toBe(5400);
    expect(parseDurationS('3m30s')).toBe(210);
    expect(parseDurationS('120')).toBe(120);
    for (const bad of ['3x', '0', '0m', '', 'm', '-5']) expect(parseDurationS(bad)).toBeNull();
  });

  it('npm run test:soak: a bad flag is one line and exit 2', () => {
    for (const [args, line] of [
      [['--bogus'], "Unknown option '--bogus'"],
      [['--duration', '3x'], '--duration must be like 90s, 3m or 1h30m, got "3x"'],
      [['--seed', 'abc'], '--seed must be an integer from 0 to 4294967295, got "abc"'],
      [['--rate', '0'], '--rate must be orders per second, more than 0 and at most 200, got "0"'],
    ] as const) {
      const run = spawnSync(process.execPath, ['scripts/chaos-soak.ts', ...args], { cwd: root, encoding: 'utf8' });
      expect(run.status).toBe(2);
      expect(run.stderr.split('\n')[0]).toBe(line);
    }
  });
});
