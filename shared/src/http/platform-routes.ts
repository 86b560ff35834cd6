import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Env } from 'hono';
import type { Registry } from 'prom-client';
import { errorMessage } from '../db/retryable-errors.ts';
import type { Logger } from '../observability/logger.ts';
import { problemSchema } from './problem.ts';

export interface HealthCheck {
  name: string;
  check(): Promise<unknown>;
  /**
   * The replica cannot serve without it, so /health/ready fails while it does (the database). A
   * dependency the service rides out (the broker: the outbox keeps what it must send) is left out,
   * so its outage does not take every replica out of the balancer at once.
   */
  neededForReady?: boolean;
}

export interface PlatformRoutesOptions {
  title: string;
  description: string;
  version: string;
  metrics: Registry;
  healthChecks: HealthCheck[];
  /** Adds what the route definitions do not say to the generated OpenAPI document (e.g. who may call each route). */
  decorateDocument?: <T extends object>(document: T) => T;
  /** Where a failed health check's error goes (the response says only which check is down). */
  logger?: Logger;
}

const swaggerUiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const ownAssetsDir = fileURLToPath(new URL('./assets/', import.meta.url));
/** The files /docs/assets/ serves (a Map: a name like "constructor" is no key of it). */
const swaggerAssets = new Map<string, { dir: string; contentType: string }>([
  ['swagger-ui.css', { dir: swaggerUiDir, contentType: 'text/css; charset=utf-8' }],
  ['swagger-ui-bundle.js', { dir: swaggerUiDir, contentType: 'text/javascript; charset=utf-8' }],
  ['swagger-ui-standalone-preset.js', { dir: swaggerUiDir, contentType: 'text/javascript; charset=utf-8' }],
  ['favicon-32x32.png', { dir: swaggerUiDir, contentType: 'image/png' }],
  ['swagger-init.js', { dir: ownAssetsDir, contentType: 'text/javascript; charset=utf-8' }],
]);

const swaggerPage = (title: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} — API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"><link rel="icon" href="/docs/assets/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script src="/docs/assets/swagger-init.js"></script>
</body></html>`;

/**
 * What every service exposes besides its API: the OpenAPI 3.1 document, Swagger UI served from
 * node_modules (no CDN: works offline), Prometheus metrics and health: /health checks every
 * dependency (for people and dashboards), /health/ready those the replica cannot serve without (for
 * the balancer), /health/live only that the process answers (for a supervisor that restarts it).
 */
export function addPlatformRoutes<E extends Env>(app: OpenAPIHono<E>, options: PlatformRoutesOptions): void {
  const documentConfig = {
    openapi: '3.1.0',
    info: { title: options.title, version: options.version, description: options.description },
    // Relative: the document is served by the service it describes, wherever that runs (port, balancer).
    servers: [{ url: '/', description: 'The service that serves this document' }],
  };
  // Every error answer is a Problem, also those the document's decoration adds by $ref (401/403 of the token check).
  app.openAPIRegistry.register('Problem', problemSchema);
  const decorate = options.decorateDocument ?? (<T>(document: T) => document);
  app.get('/openapi.json', (c) => c.json(decorate(app.getOpenAPI31Document(documentConfig))));
  app.get('/swagger-ui.html', (c) => c.html(swaggerPage(options.title)));
  app.get('/docs', (c) => c.redirect('/swagger-ui.html'));
  app.get('/docs/assets/:file', async (c) => {
    const asset = swaggerAssets.get(c.req.param('file'));
    if (!asset) return c.notFound();
    const body = await readFile(join(asset.dir, c.req.param('file')));
    return c.body(body, 200, { 'content-type': asset.contentType, 'cache-control': 'public, max-age=86400' });
  });
  app.get('/metrics', async (c) => c.body(await options.metrics.metrics(), 200, { 'content-type': options.metrics.contentType }));
  const report = async (checks: readonly HealthCheck[]) => {
    const results = await Promise.all(
      checks.map(async (entry) => {
        try {
          await withTimeout(entry.check(), 2_000);
          return [entry.name, { status: 'UP' }] as const;
        } catch (error) {
          // /health is open to anyone: the reason (host names, SQL, broker errors) goes to the log only.
          options.logger?.warn({ check: entry.name, err: errorMessage(error) }, 'health check failed');
          return [entry.name, { status: 'DOWN' }] as const;
        }
      }),
    );
    const up = results.every(([, result]) => result.status === 'UP');
    return { up, body: { status: up ? 'UP' : 'DOWN', checks: Object.fromEntries(results) } };
  };
  app.get('/health', async (c) => {
    const { up, body } = await report(options.healthChecks);
    return c.json(body, up ? 200 : 503);
  });
  app.get('/health/ready', async (c) => {
    const { up, body } = await report(options.healthChecks.filter((entry) => entry.neededForReady));
    return c.json(body, up ? 200 : 503);
  });
  app.get('/health/live', (c) => c.json({ status: 'UP' }, 200));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);
}
