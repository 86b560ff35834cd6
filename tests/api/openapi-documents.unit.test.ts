import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentedServices, openApiDocuments, type DocumentedService, type OpenApiDocument } from '../../scripts/lib/openapi-documents.ts';
import { clientPath, ensureOpenApiTools, generateClients, lintDocuments } from '../../scripts/lib/openapi-tools.ts';

const methods = ['get', 'put', 'post', 'delete', 'patch'] as const;

/**
 * The recommended rules' warnings that stay: the project declares no license, and the JWKS has no
 * client error to answer (no input). Anything else is a regression.
 */
const acceptedWarnings = new Set(['info-license #/info', 'operation-4xx-response #/paths/~1.well-known~1jwks.json/get/responses']);

let documents: Record<DocumentedService, OpenApiDocument>;

function operationsOf(document: OpenApiDocument) {
  return Object.entries<Record<string, any>>(document.paths).flatMap(([path, item]) =>
    methods.filter((method) => item[method]).map((method) => ({ key: `${method} ${path}`, path, operation: item[method] })),
  );
}

/** A response, with a `$ref` to components/responses followed. */
const resolve = (document: OpenApiDocument, response: any) =>
  response?.$ref ? document.components.responses[response.$ref.replace('#/components/responses/', '')] : response;

describe('the three OpenAPI documents, as the services serve them', () => {
  beforeAll(async () => {
    // openapi-typescript and the Redocly CLI live in tools/openapi-client (npm ci there when missing or stale).
    await ensureOpenApiTools();
    documents = await openApiDocuments();
  }, 300_000);

  it('pass `redocly lint` with its recommended rules: no errors, no warnings but the accepted ones', async () => {
    const reports = await lintDocuments(documents);
    for (const service of documentedServices) {
      expect(reports[service].errors, `${service}: ${JSON.stringify(reports[service].errors, null, 2)}`).toEqual([]);
      const warnings = reports[service].warnings.filter((warning) => !acceptedWarnings.has(`${warning.ruleId} ${warning.pointer}`));
      expect(warnings, `${service}: ${JSON.stringify(warnings, null, 2)}`).toEqual([]);
    }
  }, 60_000);

  it('give every operation a unique operationId', () => {
    const seen = new Map<string, string>();
    for (const service of documentedServices) {
      for (const { key, operation } of operationsOf(documents[service])) {
        expect(operation.operationId, `${service} ${key}`).toMatch(/^[a-z][a-zA-Z]+$/);
        // Unique across the platform, so one client over the three services can be keyed by operationId.
        expect(seen.get(operation.operationId), `${operation.operationId}: ${service} ${key}`).toBeUndefined();
        seen.set(operation.operationId, `${service} ${key}`);
      }
    }
    expect(seen.size).toBeGreaterThan(20);
  });

  it('declare their error answers in JSON Schema (no serialized zod), who may call each operation, and a relative server', () => {
    for (const service of documentedServices) {
      const document = documents[service];
      expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
      expect(JSON.stringify(document)).not.toMatch(/"(def|shape|_zod)":/);
      for (const { key, path, operation } of operationsOf(document)) {
        expect(operation.security, `${service} ${key}`).toBeDefined();
        const open = operation.security.length === 0;
        expect(open, `${service} ${key}`).toBe(!path.startsWith('/api/') || path === '/api/v1/auth/tokens');
        if (open) continue;
        for (const status of ['401', '403']) {
          const response = resolve(document, operation.responses[status]);
          expect(response?.content?.['application/problem+json']?.schema, `${service} ${key} ${status}`).toEqual({
            $ref: '#/components/schemas/Problem',
          });
        }
      }
    }
  });

  it('declare 503 with Retry-After on every operation: each reads the database (and a token check can be unavailable)', () => {
    for (const service of documentedServices) {
      const document = documents[service];
      for (const { key, operation } of operationsOf(document)) {
        const unavailable = resolve(document, operation.responses['503']);
        expect(unavailable, `${service} ${key}`).toBeDefined();
        expect(Object.keys(unavailable.content), `${service} ${key}`).toEqual(['application/problem+json']);
        expect(unavailable.headers?.['Retry-After']?.schema, `${service} ${key}`).toMatchObject({ type: 'integer' });
      }
    }
    // A lost COMMIT is a 503 of its own: the order may exist.
    expect(documents['order-service'].paths['/api/v1/orders'].post.responses['503'].description).toMatch(/COMMIT/);
  });

  it('are what the committed API types were generated from (npm run openapi:clients writes them again)', async () => {
    const generated = await generateClients(documents);
    for (const service of documentedServices) {
      const committed = (await readFile(clientPath(service), 'utf8').catch(() => '')).split('\n');
      const fresh = generated[service].split('\n');
      const line = fresh.findIndex((text, index) => committed[index] !== text);
      const where =
        line < 0 ? 'it has lines past the end' : `line ${line + 1} is \n  ${committed[line]?.trim()}\nand should be\n  ${fresh[line]!.trim()}`;
      expect(
        line < 0 && committed.length === fresh.length,
        `tests/support/api/${service}.ts is out of date (npm run openapi:clients): ${where}`,
      ).toBe(true);
    }
  }, 60_000);
});
