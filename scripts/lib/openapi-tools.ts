import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { documentedServices, type DocumentedService, type OpenApiDocument } from './openapi-documents.ts';

const run = promisify(execFile);

const root = fileURLToPath(new URL('../../', import.meta.url));
/**
 * openapi-typescript 7 and the Redocly CLI, installed apart from the root packages: openapi-typescript
 * builds its output with TypeScript 5's compiler API (TypeScript 7, the root's, has none) and npm refuses
 * its typescript@^5 peer next to typescript@7.
 */
export const toolsDir = join(root, 'tools/openapi-client');
const bin = (name: string) => join(toolsDir, 'node_modules/.bin', name);

/** Where the generated types of a service's API live (committed; tests/support/api/typed-fetch.ts uses them). */
export const clientPath = (service: DocumentedService) => join(root, 'tests/support/api', `${service}.ts`);

/** `npm ci` in tools/openapi-client when its lock file changed since the last install (like scripts/lib/bootstrap.sh for the root). */
export async function ensureOpenApiTools(): Promise<void> {
  const stamp = join(toolsDir, 'node_modules/.install-stamp');
  const want = createHash('sha256')
    .update(await readFile(join(toolsDir, 'package-lock.json')))
    .digest('hex');
  if (existsSync(bin('openapi-typescript')) && existsSync(stamp) && (await readFile(stamp, 'utf8')) === want) return;
  try {
    await run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: toolsDir, timeout: 300_000 });
  } catch (error) {
    throw new Error(`could not install the OpenAPI tools (npm ci in ${toolsDir}): ${(error as { stderr?: string }).stderr || String(error)}`);
  }
  await writeFile(stamp, want);
}

/** The documents written to a temporary directory, for the tools that read files; removed after `use`. */
async function withDocumentFiles<T>(
  documents: Record<DocumentedService, OpenApiDocument>,
  use: (file: (service: DocumentedService) => string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'openapi-'));
  const file = (service: DocumentedService) => join(dir, `${service}.json`);
  try {
    await Promise.all(documentedServices.map((service) => writeFile(file(service), JSON.stringify(documents[service], null, 2))));
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const header = (service: DocumentedService) =>
  `// The API of the ${service}: types generated from its /openapi.json by openapi-typescript.\n` +
  `// Do not edit: npm run openapi:clients writes it again (a unit test fails when it drifts from the document).\n\n`;

/** The TypeScript types (openapi-typescript: paths, components, operations) of each document. */
export async function generateClients(documents: Record<DocumentedService, OpenApiDocument>): Promise<Record<DocumentedService, string>> {
  await ensureOpenApiTools();
  return withDocumentFiles(documents, async (file) => {
    const generated = await Promise.all(
      documentedServices.map(async (service) => {
        const output = `${file(service)}.ts`;
        await run(bin('openapi-typescript'), [file(service), '--output', output], { timeout: 60_000 });
        return [service, header(service) + (await readFile(output, 'utf8'))] as const;
      }),
    );
    return Object.fromEntries(generated) as Record<DocumentedService, string>;
  });
}

export interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  /** JSON pointer into the document. */
  pointer: string;
}

export interface LintReport {
  errors: LintProblem[];
  warnings: LintProblem[];
}

/**
 * `redocly lint` with Redocly's recommended rules, as anyone outside the project would run it against
 * the served document. Telemetry and the update check are off (no network).
 */
export async function lintDocuments(documents: Record<DocumentedService, OpenApiDocument>): Promise<Record<DocumentedService, LintReport>> {
  await ensureOpenApiTools();
  return withDocumentFiles(documents, async (file) => {
    const reports = await Promise.all(
      documentedServices.map(async (service) => {
        const args = ['lint', file(service), '--extends=recommended', '--format=json', '--max-problems=1000'];
        const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
        // Exit code 1 means "errors found"; the JSON report on stdout says which.
        const { stdout } = await run(bin('redocly'), args, { env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }).catch(
          (error: { stdout?: string }) => {
            if (error.stdout?.trimStart().startsWith('{')) return { stdout: error.stdout };
            throw error;
          },
        );
        const report = JSON.parse(stdout) as {
          problems: { ruleId: string; severity: 'error' | 'warn'; message: string; location: { pointer: string }[] }[];
        };
        const problems = report.problems.map((problem) => ({
          ruleId: problem.ruleId,
          severity: problem.severity,
          message: problem.message,
          pointer: problem.location[0]?.pointer ?? '',
        }));
        return [
          service,
          { errors: problems.filter((p) => p.severity === 'error'), warnings: problems.filter((p) => p.severity !== 'error') },
        ] as const;
      }),
    );
    return Object.fromEntries(reports) as Record<DocumentedService, LintReport>;
  });
}
