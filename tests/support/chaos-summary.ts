import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChaosRow } from './chaos-scenario-row.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

const seconds = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);

/** The chaos run's summary as a Markdown table (what docs/reliability.md shows). */
export function summaryTable(rows: readonly ChaosRow[]): string {
  const header = [
    'Fault',
    'Load',
    'Accepted',
    'In flight at fault',
    'Lost',
    'Max time to terminal after fault',
    'POST errors',
    'Ended otherwise (info)',
    'Saga anomalies (info)',
    'Dead letters',
    'Invariants',
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of rows) {
    lines.push(
      `| ${[
        row.fault,
        row.load,
        row.unanswered > 0 ? `${row.accepted} (${row.unanswered} unanswered)` : String(row.accepted),
        String(row.inFlightAtFault),
        String(row.lost),
        seconds(row.maxToTerminalAfterFaultMs),
        String(row.postErrors),
        String(row.endedOtherwise),
        String(row.anomalies),
        String(row.deadLettersAdded),
        row.held ? 'held' : `**FAILED** (${row.failed.length})`,
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** Prints the table and the faults' details, and writes them to .run/chaos/summary.{md,json}. */
export function publishSummary(rows: readonly ChaosRow[], title: string): string {
  const details = rows.map(
    (row) => `- **${row.fault}**: ${row.detail}; ${row.wallS.toFixed(0)} s wall${row.failed.length ? `\n  - ${row.failed.join('\n  - ')}` : ''}`,
  );
  const text = `${title}\n\n${summaryTable(rows)}\n\n${details.join('\n')}\n`;
  const dir = `${root}.run/chaos`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/summary.md`, text);
  writeFileSync(`${dir}/summary.json`, JSON.stringify(rows, null, 2));
  process.stdout.write(`\n${text}\n`);
  return text;
}
