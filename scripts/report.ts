// node scripts/report.ts --load load.json --html report.html
// node scripts/report.ts --bench saga.json [--compare restate-bench.log] --html report.html
// Draws a report again from a run's --json output: the load test's, or bench:saga's, beside the
// Restate anchor's figures when given them (its `SUMMARY {json}` line, or the log that ends with it),
// so the two benchmarks can run one after the other and be drawn together afterwards.
import { readFileSync } from 'node:fs';
import { parseCliArgs, usageError } from './lib/cli-args.ts';
import type { LoadReport } from './load/report.ts';
import { writeLoadReport } from './report/load-report.ts';
import { restateSummaryOrExit } from './report/restate-summary.ts';
import { writeSagaBenchReport, type SagaBenchRecord } from './report/saga-bench-report.ts';

const usage = `Usage: node scripts/report.ts --load load.json --html report.html
       node scripts/report.ts --bench saga.json [--compare restate-summary.json | restate-bench.log] --html report.html`;
const values = parseCliArgs({ load: { type: 'string' }, bench: { type: 'string' }, compare: { type: 'string' }, html: { type: 'string' } }, usage);
if ((values.load === undefined) === (values.bench === undefined)) usageError('one of --load and --bench is needed', usage);
if (!values.html) usageError('--html is needed', usage);
if (values.compare && !values.bench) usageError('--compare goes with --bench', usage);

function readJson<T>(path: string, field: string): T {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    console.error(`${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    process.exit(2);
  }
  if (typeof value !== 'object' || value === null || !(field in value)) {
    console.error(`${path}: no "${field}" in it (not the --json output it should be)`);
    process.exit(2);
  }
  return value as T;
}

if (values.load) {
  const report = readJson<LoadReport>(values.load, 'timeline');
  writeLoadReport(values.html, report);
} else {
  const record = readJson<SagaBenchRecord>(values.bench!, 'rows');
  writeSagaBenchReport(values.html, record, values.compare ? restateSummaryOrExit(values.compare) : null);
}
console.log(`wrote ${values.html}`);
