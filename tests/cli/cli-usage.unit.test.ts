import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = (...args: string[]) => {
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stderr: result.stderr, stdout: result.stdout };
};

describe('the CLIs on the shared parser (scripts/lib/cli-args.ts)', () => {
  const wrongUses: [string, string[], RegExp][] = [
    ['saga: unknown flag', ['scripts/saga.ts', 'replay', '--bogus'], /^Unknown option '--bogus'\n/],
    ['saga: no command', ['scripts/saga.ts'], /^a command is needed\n/],
    ['saga: unknown command', ['scripts/saga.ts', 'frobnicate'], /^unknown command: frobnicate\n/],
    ['metrics: unknown flag', ['scripts/metrics.ts', '--nope'], /^Unknown option '--nope'\n/],
    ['metrics: bad --watch', ['scripts/metrics.ts', '--watch', '0'], /^--watch must be a positive number of seconds, got "0"\n/],
    ['metrics: stray argument', ['scripts/metrics.ts', 'extra'], /^Unexpected argument 'extra'/],
    ['config:docs: unknown flag', ['scripts/config-docs.ts', '--x'], /^Unknown option '--x'\n/],
  ];
  for (const [what, args, firstLine] of wrongUses) {
    it(`${what}: one line, the usage, exit 2 (no stack trace)`, () => {
      const { code, stderr } = run(...args);
      expect(code).toBe(2);
      expect(stderr).toMatch(firstLine);
      expect(stderr).toMatch(/usage/i);
      expect(stderr).not.toMatch(/\n\s+at /);
    });
  }

  it('--help prints the usage and exits 0', () => {
    for (const script of ['scripts/saga.ts', 'scripts/metrics.ts', 'scripts/config-docs.ts']) {
      const { code, stdout } = run(script, '--help');
      expect(code, script).toBe(0);
      expect(stdout, script).toMatch(/usage/i);
    }
  });
});
