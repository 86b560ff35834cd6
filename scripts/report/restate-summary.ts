import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The Restate anchor's figures (../shared/bench/restate-saga/bench.mjs): the `SUMMARY {json}` line
 * its run prints last. `--compare` takes that JSON, or the whole log of the run. Times are ms, CPU
 * in seconds per phase; a figure the anchor could not take (a CPU reading without a PID) is null.
 */
const figure = z.number().nullable();
const stats = z.looseObject({ n: z.number(), p50: figure, p95: figure, p99: figure, max: figure });
const checked = { pass: z.boolean(), confirmed: z.number(), other: z.number() };
const cpu = z.looseObject({ server: figure, services: figure, driver: figure });

export const restateSummarySchema = z.looseObject({
  engine: z.string(),
  node: z.string(),
  floor: stats,
  fsyncFloor: stats.optional(),
  phases: z.looseObject({
    sequential: stats.extend({ xFloorP50: figure, cpuS: cpu, ...checked }),
    sendAttach: z.looseObject({ submit: stats, submitToTerminal: stats, ...checked }).optional(),
    concurrent100: stats.extend({ throughput: figure, cpuS: cpu, ...checked }),
    sweep: z.array(
      z.looseObject({
        offered: z.number(),
        achieved: figure,
        sendSpanS: figure,
        drainS: figure,
        p50: figure,
        p99: figure,
        max: figure,
        dropped: z.number(),
        cpuS: cpu,
        ...checked,
      }),
    ),
  }),
  pass: z.boolean(),
});

export type RestateSummary = z.infer<typeof restateSummarySchema>;

/** The summary in `text`: a JSON document, or the last `SUMMARY {json}` line of a run's log. */
export function parseRestateSummary(text: string): RestateSummary {
  const trimmed = text.trim();
  let json: string;
  if (trimmed.startsWith('{')) json = trimmed;
  else {
    const line = trimmed
      .split('\n')
      .map((l) => l.trim())
      .findLast((l) => l.startsWith('SUMMARY '));
    if (!line) throw new Error('no "SUMMARY {json}" line in it (the last line of a Restate bench run)');
    json = line.slice('SUMMARY '.length);
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new Error(`its summary is not JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = restateSummarySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`not a Restate bench summary: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  return parsed.data;
}

export function readRestateSummary(path: string): RestateSummary {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
  return parseRestateSummary(text);
}

/** For a CLI's `--compare <file>`, read before any work starts: one line and exit 2 when it is unusable. */
export function restateSummaryOrExit(path: string): RestateSummary {
  try {
    return readRestateSummary(path);
  } catch (error) {
    console.error(`--compare ${path}: ${(error as Error).message}`);
    process.exit(2);
  }
}
