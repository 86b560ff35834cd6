// npm run config:docs — writes docs/configuration.md and .env.example from the settings schemas;
// --check only says whether they are current (exit 1 if not).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseCliArgs } from './lib/cli-args.ts';
import { renderConfigurationDoc, renderEnvExample } from './config/configuration-docs.ts';

const usage = `Usage: npm run config:docs [-- --check]
  writes docs/configuration.md and .env.example from the settings schemas
  --check   write nothing; exit 1 when either file is not what the schemas give`;
const options = parseCliArgs({ check: { type: 'boolean' } }, usage);

const root = new URL('..', import.meta.url);
const files = { 'docs/configuration.md': renderConfigurationDoc(), '.env.example': renderEnvExample() };
let stale = 0;
for (const [path, text] of Object.entries(files)) {
  const url = new URL(path, root);
  let current = '';
  try {
    current = readFileSync(url, 'utf8');
  } catch {
    // not written yet
  }
  if (current === text) continue;
  stale++;
  if (options.check) console.error(`${path} is out of date: npm run config:docs`);
  else {
    writeFileSync(url, text);
    console.log(`wrote ${path}`);
  }
}
if (options.check && stale > 0) process.exit(1);
if (stale === 0) console.log('docs/configuration.md and .env.example are up to date');
