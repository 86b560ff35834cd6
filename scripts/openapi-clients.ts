// npm run openapi:clients — writes tests/support/api/<service>.ts, the TypeScript types of each service's
// /openapi.json (openapi-typescript), from the documents built in this process; --check only says whether
// they are current (exit 1 if not); --lint runs `redocly lint` (recommended rules) on the three documents.
import { readFile, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { parseCliArgs, usageError } from './lib/cli-args.ts';
import { documentedServices, openApiDocuments } from './lib/openapi-documents.ts';
import { clientPath, generateClients, lintDocuments } from './lib/openapi-tools.ts';

const usage = `Usage: npm run openapi:clients [-- --check | --lint]
  writes tests/support/api/<service>.ts from each service's OpenAPI document (installs tools/openapi-client first)
  --check   write nothing; exit 1 when a file is not what its document gives
  --lint    write nothing; redocly lint (recommended rules) of the three documents, exit 1 on an error`;
const options = parseCliArgs({ check: { type: 'boolean' }, lint: { type: 'boolean' } }, usage);
if (options.check && options.lint) usageError('--check and --lint exclude each other', usage);

const documents = await openApiDocuments();

if (options.lint) {
  const reports = await lintDocuments(documents);
  let errors = 0;
  for (const service of documentedServices) {
    const { errors: found, warnings } = reports[service];
    errors += found.length;
    console.log(`${service}: ${found.length} errors, ${warnings.length} warnings`);
    for (const problem of [...found, ...warnings])
      console.log(`  ${problem.severity.padEnd(5)} ${problem.ruleId}  ${problem.pointer}  ${problem.message}`);
  }
  process.exit(errors > 0 ? 1 : 0);
}

const clients = await generateClients(documents);
let stale = 0;
for (const service of documentedServices) {
  const path = clientPath(service);
  const current = await readFile(path, 'utf8').catch(() => '');
  if (current === clients[service]) continue;
  stale++;
  if (options.check) console.error(`${relative(process.cwd(), path)} is out of date: npm run openapi:clients`);
  else {
    await writeFile(path, clients[service]);
    console.log(`wrote ${relative(process.cwd(), path)}`);
  }
}
if (options.check && stale > 0) process.exit(1);
if (stale === 0) console.log('the generated API types are up to date');
