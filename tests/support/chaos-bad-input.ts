// The bad-input catalogue, generated from each service's OpenAPI document: for every operation,
// requests that must be refused — malformed JSON, wrong types, missing and extra fields, numbers
// out of range, huge bodies, malformed and unknown ids, injection strings where the schema allows
// none, wrong content types. What the services must answer: a 4xx application/problem+json.
import { randomUUID } from 'node:crypto';
import { createConnection } from 'node:net';

// OpenAPI documents are plain JSON of arbitrary shape here.
type Schema = Record<string, any>;
type Doc = { paths: Record<string, Record<string, any>>; components?: { schemas?: Record<string, Schema> } };

export interface Operation {
  service: string;
  baseUrl: string;
  method: string;
  path: string;
  params: { name: string; in: string; required: boolean; schema: Schema }[];
  body: Schema | null;
}

export interface Probe {
  op: Operation;
  label: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | (() => ReadableStream<Uint8Array>);
  /** On a connection of its own, closed afterwards (huge bodies: the server may answer before reading them). */
  ownConnection?: boolean;
}

export interface ProbeResult {
  probe: Probe;
  status: number;
  contentType: string;
  problem: string | null;
  ms: number;
}

const httpMethods = ['get', 'post', 'put', 'patch', 'delete'];

export const injectionStrings = [
  "' OR '1'='1",
  '1; DROP TABLE customer_order; --',
  "Robert'); DROP TABLE product;--",
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '${7*7}{{7*7}}',
  '../../../../etc/passwd',
];

export function operationsOf(service: string, baseUrl: string, doc: Doc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of httpMethods) {
      const op = item[method];
      if (!op) continue;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p: Schema) => ({
        name: p.name as string,
        in: p.in as string,
        required: Boolean(p.required),
        schema: resolve(doc, p.schema ?? {}),
      }));
      const json = op.requestBody?.content?.['application/json']?.schema;
      ops.push({ service, baseUrl, method: method.toUpperCase(), path, params, body: json ? resolve(doc, json) : null });
    }
  }
  return ops;
}

/** Follows $refs (deeply), so the generators below see plain schemas. */
function resolve(doc: Doc, schema: Schema, depth = 0): Schema {
  if (depth > 20 || !schema || typeof schema !== 'object') return schema;
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/components/schemas/', '');
    return resolve(
      doc,
      { ...doc.components?.schemas?.[name], ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$ref')) },
      depth + 1,
    );
  }
  const out: Schema = Array.isArray(schema) ? [] : {};
  for (const [key, value] of Object.entries(schema)) out[key] = value && typeof value === 'object' ? resolve(doc, value, depth + 1) : value;
  return out;
}

const typesOf = (schema: Schema): string[] => (Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : []);
const isType = (schema: Schema, type: string) => typesOf(schema).includes(type);
const branch = (schema: Schema): Schema => (schema.anyOf ? schema.anyOf[0] : schema.oneOf ? schema.oneOf[0] : schema);

/** A value the schema accepts (examples first), for the parts of a request not under test. */
export function validValue(schema: Schema): unknown {
  schema = branch(schema);
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum) return schema.enum[0];
  if (isType(schema, 'object') || schema.properties) {
    return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, sub]) => [key, validValue(sub as Schema)]));
  }
  if (isType(schema, 'array')) return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => validValue(schema.items ?? {}));
  if (isType(schema, 'integer') || isType(schema, 'number')) return Math.max(schema.minimum ?? 1, Math.min(1, schema.maximum ?? 1));
  if (isType(schema, 'boolean')) return true;
  if (schema.format === 'uuid') return randomUUID();
  if (schema.format === 'date-time') return new Date().toISOString();
  if (schema.pattern) return '30s';
  return 'chaos'.padEnd(Math.max(5, schema.minLength ?? 0), 'x').slice(0, schema.maxLength ?? 100);
}

/** Values of the wrong type or out of the schema's bounds; each one makes the whole request invalid. */
export function invalidValues(schema: Schema): { label: string; value: unknown }[] {
  schema = branch(schema);
  const out: { label: string; value: unknown }[] = [];
  const types = typesOf(schema);
  const nullable = types.includes('null');
  if (types.includes('string')) {
    out.push(
      { label: 'number instead of string', value: 123 },
      { label: 'boolean instead of string', value: true },
      { label: 'object instead of string', value: {} },
    );
    if (!nullable) out.push({ label: 'null', value: null });
    if ((schema.minLength ?? 0) >= 1) out.push({ label: 'empty string', value: '' }, { label: 'blank string', value: '   ' });
    if (schema.maxLength) out.push({ label: `longer than ${schema.maxLength}`, value: 'x'.repeat(schema.maxLength + 1) });
    if (schema.format || schema.pattern || schema.enum) {
      out.push({ label: 'malformed', value: 'not-a-valid-value' });
      if (schema.format === 'uuid') out.push({ label: 'uuid with a non-hex digit', value: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fg' });
      for (const text of injectionStrings) out.push({ label: `injection ${JSON.stringify(text)}`, value: text });
    }
  } else if (types.includes('integer') || types.includes('number')) {
    out.push(
      { label: 'numeric string', value: '12' },
      { label: 'boolean instead of number', value: true },
      { label: 'array instead of number', value: [1] },
    );
    if (!nullable) out.push({ label: 'null', value: null });
    if (schema.minimum !== undefined) {
      out.push({ label: `below the minimum ${schema.minimum}`, value: schema.minimum - 1 });
      if (schema.minimum >= 0) out.push({ label: 'negative', value: -1 });
      if (schema.minimum >= 1) out.push({ label: 'zero', value: 0 });
    }
    if (schema.maximum !== undefined)
      out.push({ label: `above the maximum ${schema.maximum}`, value: schema.maximum + 1 }, { label: 'huge (1e20)', value: 1e20 });
    out.push({ label: 'beyond double (1e999)', value: '__RAW_1e999__' });
    if (types.includes('integer')) out.push({ label: 'fraction', value: 1.5 });
  } else if (types.includes('boolean')) {
    out.push({ label: 'string instead of boolean', value: 'true' }, { label: 'number instead of boolean', value: 1 });
    if (schema.enum) out.push({ label: 'the other boolean', value: !schema.enum[0] });
  } else if (types.includes('array')) {
    out.push({ label: 'object instead of array', value: {} }, { label: 'string instead of array', value: 'x' });
    if ((schema.minItems ?? 0) >= 1) out.push({ label: 'empty array', value: [] });
    if (schema.maxItems)
      out.push({
        label: `more than ${schema.maxItems} items`,
        value: Array.from({ length: schema.maxItems + 1 }, () => validValue(schema.items ?? {})),
      });
  } else if (types.includes('object') || schema.properties) {
    out.push({ label: 'string instead of object', value: 'x' }, { label: 'array instead of object', value: [] }, { label: 'null', value: null });
  }
  return out;
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function setAt(root: unknown, path: (string | number)[], value: unknown, remove = false): unknown {
  const copy = clone(root) as Record<string | number, unknown>;
  let cursor = copy;
  for (const key of path.slice(0, -1)) cursor = cursor[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (remove) delete cursor[last];
  else cursor[last] = value;
  return copy;
}

const toJson = (value: unknown) => JSON.stringify(value).replaceAll('"__RAW_1e999__"', '1e999');

/** Every body this schema must refuse, built by breaking one thing of a valid body at a time. */
export function invalidBodies(schema: Schema): { label: string; json: string }[] {
  const base = validValue(schema);
  const out: { label: string; json: string }[] = [];
  const walk = (sub: Schema, path: (string | number)[], value: unknown) => {
    sub = branch(sub);
    const where = path.length ? path.join('.') : 'body';
    if (path.length > 0)
      for (const bad of invalidValues(sub)) out.push({ label: `${where}: ${bad.label}`, json: toJson(setAt(base, path, bad.value)) });
    if (sub.properties && value && typeof value === 'object') {
      for (const key of sub.required ?? [])
        out.push({ label: `${where}: missing ${key}`, json: toJson(setAt(base, [...path, key], undefined, true)) });
      if (sub.additionalProperties === false) {
        out.push({ label: `${where}: extra field`, json: toJson(setAt(base, [...path, 'unexpectedField'], 'x')) });
        const withProto = toJson(setAt(base, [...path, 'zzProto'], { isAdmin: true })).replace('"zzProto"', '"__proto__"');
        out.push({ label: `${where}: __proto__ field`, json: withProto });
      }
      for (const [key, child] of Object.entries(sub.properties)) walk(child as Schema, [...path, key], (value as Record<string, unknown>)[key]);
    }
    if (isType(sub, 'array') && Array.isArray(value) && value.length > 0) walk(sub.items ?? {}, [...path, 0], value[0]);
  };
  walk(schema, [], base);
  out.push(
    { label: 'malformed JSON (truncated)', json: toJson(base).slice(0, -1) },
    { label: 'malformed JSON (single quotes)', json: "{'a': 1}" },
    { label: 'malformed JSON (trailing garbage)', json: `${toJson(base)} xyz` },
    { label: 'not JSON at all', json: '<xml>nope</xml>' },
    { label: 'empty body', json: '' },
    { label: 'JSON null', json: 'null' },
    { label: 'JSON array', json: '[]' },
    { label: 'JSON string', json: '"x"' },
    { label: 'JSON number', json: '42' },
    { label: 'deeply nested arrays', json: `${'['.repeat(20_000)}${']'.repeat(20_000)}` },
  );
  if ((schema.required ?? branch(schema).required ?? []).length > 0) out.push({ label: 'empty object', json: '{}' });
  return out;
}

function fillPath(op: Operation, overrides: Record<string, string> = {}): string {
  return op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    if (overrides[name] !== undefined) return encodeURIComponent(overrides[name]);
    const param = op.params.find((p) => p.name === name && p.in === 'path');
    return encodeURIComponent(String(validValue(param?.schema ?? {})));
  });
}

/** Every probe of the catalogue for one operation. `unknownOk` operations answer 404 for a well-formed unknown id. */
export function probesFor(op: Operation): Probe[] {
  const probes: Probe[] = [];
  const url = (path: string, query = '') => `${op.baseUrl}${path}${query}`;
  const base = (label: string, extra: Partial<Probe>): Probe => ({ op, label, url: url(fillPath(op)), method: op.method, headers: {}, ...extra });
  const bodyBase = op.body ? toJson(validValue(op.body)) : undefined;
  const jsonHeaders = { 'content-type': 'application/json' };

  for (const param of op.params.filter((p) => p.in === 'path')) {
    const values: { label: string; value: string }[] = [];
    const schema = param.schema;
    if (schema.format === 'uuid' || isType(schema, 'string')) {
      values.push(
        { label: 'malformed id', value: 'not-a-uuid' },
        { label: 'id too long', value: 'a'.repeat(5_000) },
        { label: 'uuid with a non-hex digit', value: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fg' },
        { label: 'null byte', value: 'abc\u0000def' },
        ...injectionStrings.map((text) => ({ label: `injection ${JSON.stringify(text)}`, value: text })),
      );
      if (schema.format === 'uuid') values.push({ label: 'unknown id', value: randomUUID() });
      if (schema.enum) values.push({ label: 'not one of the enum', value: 'bogus' });
    } else if (isType(schema, 'integer')) {
      values.push(
        { label: 'not a number', value: 'abc' },
        { label: 'negative', value: '-1' },
        { label: 'zero', value: '0' },
        { label: 'fraction', value: '1.5' },
        { label: 'huge', value: '99999999999999999999999' },
        { label: 'injection', value: '1 OR 1=1' },
        { label: 'unknown id', value: '987654321' },
      );
    }
    for (const { label, value } of values) {
      probes.push(
        base(`path ${param.name}: ${label}`, {
          url: url(fillPath(op, { [param.name]: value })),
          headers: op.body ? jsonHeaders : {},
          body: bodyBase,
        }),
      );
    }
  }

  for (const param of op.params.filter((p) => p.in === 'query')) {
    const schema = branch(param.schema);
    const values: string[] = [];
    if (isType(schema, 'integer') || isType(schema, 'number')) {
      values.push('abc', 'null', '1e999');
      if (schema.minimum !== undefined) values.push(String(schema.minimum - 1));
      if (schema.maximum !== undefined) values.push(String(schema.maximum + 1), '99999999999999999999');
      if (isType(schema, 'integer')) values.push('1.5');
    } else if (schema.enum || schema.format || schema.pattern) {
      values.push('not-a-valid-value', ...injectionStrings);
    } else if (schema.maxLength) {
      values.push('x'.repeat(schema.maxLength + 1));
    }
    for (const value of values) {
      probes.push(
        base(`query ${param.name}=${JSON.stringify(value.slice(0, 40))}`, { url: url(fillPath(op), `?${param.name}=${encodeURIComponent(value)}`) }),
      );
    }
  }

  for (const param of op.params.filter((p) => p.in === 'header')) {
    const schema = param.schema;
    if (schema.maxLength) {
      probes.push(
        base(`header ${param.name} longer than ${schema.maxLength}`, {
          headers: { ...jsonHeaders, [param.name]: 'k'.repeat(schema.maxLength + 1) },
          body: bodyBase,
        }),
      );
    }
  }

  if (op.body) {
    for (const { label, json } of invalidBodies(op.body)) probes.push(base(`body ${label}`, { headers: jsonHeaders, body: json }));
    const huge = `{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`;
    probes.push(base('body of 2 MB', { headers: jsonHeaders, body: huge, ownConnection: true }));
    probes.push(
      base('body of 2 MB, chunked (no content-length)', {
        headers: jsonHeaders,
        ownConnection: true,
        body: () =>
          new ReadableStream<Uint8Array>({
            start(controller) {
              const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
              controller.enqueue(new TextEncoder().encode('{"pad":"'));
              for (let i = 0; i < 32; i++) controller.enqueue(chunk);
              controller.enqueue(new TextEncoder().encode('"}'));
              controller.close();
            },
          }),
      }),
    );
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      probes.push(base(`valid body as ${type}`, { headers: { 'content-type': type }, body: bodyBase }));
    }
    probes.push(base('valid body without a content type', { body: new TextEncoder().encode(bodyBase ?? '{}') }));
  }
  return probes;
}

/** A method no route of this path has: answered 404/405, as a problem too. */
export function wrongMethodProbe(op: Operation, taken: ReadonlySet<string>): Probe | null {
  const method = ['DELETE', 'PATCH', 'PUT', 'POST'].find((m) => !taken.has(`${m} ${op.path}`));
  return method ? { op, label: `method ${method} not offered`, url: `${op.baseUrl}${fillPath(op)}`, method, headers: {} } : null;
}

/**
 * A request on a raw connection of its own (we close it afterwards) whose response is read even if the
 * server answers — and stops reading, and closes — before the body is sent: fetch and node:http
 * report a write error then instead of the response the server did send.
 */
function sendOnOwnConnection(probe: Probe, timeoutMs: number): Promise<{ status: number; contentType: string; text: string }> {
  const url = new URL(probe.url);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: url.hostname, port: Number(url.port) });
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (error: Error | null, result?: { status: number; contentType: string; text: string }) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (error) reject(error);
      else resolve(result!);
    };
    const tryParse = (final: boolean) => {
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return final ? finish(new Error('connection closed without an answer')) : undefined;
      const head = received.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? -1);
      const body = received.subarray(end + 4);
      if (length >= 0 ? body.length < length : !final) return final ? finish(new Error('connection closed mid-answer')) : undefined;
      finish(null, {
        status: Number(head.split(' ')[1]),
        contentType: /\r\ncontent-type: *([^\r]*)/i.exec(head)?.[1] ?? '',
        text: body.subarray(0, length >= 0 ? length : body.length).toString('utf8'),
      });
    };
    socket.setTimeout(timeoutMs, () => finish(Object.assign(new Error(`no answer in ${timeoutMs} ms`), { name: 'TimeoutError' })));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      tryParse(false);
    });
    socket.on('end', () => tryParse(true));
    socket.on('close', () => tryParse(true));
    socket.on('error', () => {}); // EPIPE / ECONNRESET while sending: the answer may be there already
    // No `Connection: close` from us: a server that answers early then closes at once resets the
    // connection while our body is still arriving, and the reset takes its answer with it.
    const headers = Object.entries({ ...probe.headers, host: url.host })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    // Written in small pieces, and no further once the server has begun to answer: a server may
    // answer early and close, and a write error would make Node drop the answer already received.
    const answering = () => received.length > 0 || socket.destroyed;
    const write = (data: string | Uint8Array) => new Promise<void>((done) => (answering() ? done() : socket.write(data, () => done())));
    const writeInPieces = async (data: Uint8Array) => {
      for (let offset = 0; offset < data.length && !answering(); offset += 16 * 1024) await write(data.subarray(offset, offset + 16 * 1024));
    };
    void (async () => {
      const body = typeof probe.body === 'function' ? probe.body() : probe.body;
      if (body instanceof ReadableStream) {
        await write(`${probe.method} ${url.pathname}${url.search} HTTP/1.1\r\n${headers}transfer-encoding: chunked\r\n\r\n`);
        for await (const chunk of body) {
          if (answering()) return;
          await write(`${chunk.length.toString(16)}\r\n`);
          await writeInPieces(chunk);
          await write('\r\n');
        }
        await write('0\r\n\r\n');
      } else {
        const bytes = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
        await write(`${probe.method} ${url.pathname}${url.search} HTTP/1.1\r\n${headers}content-length: ${bytes.length}\r\n\r\n`);
        await writeInPieces(bytes);
      }
    })();
  });
}

export async function send(probe: Probe, timeoutMs = 15_000): Promise<ProbeResult> {
  const started = performance.now();
  try {
    let status: number;
    let contentType: string;
    let text: string;
    if (probe.ownConnection) {
      ({ status, contentType, text } = await sendOnOwnConnection(probe, timeoutMs));
    } else {
      const body = typeof probe.body === 'function' ? probe.body() : probe.body;
      const init: RequestInit & { duplex?: 'half' } = {
        method: probe.method,
        headers: probe.headers,
        body: body as BodyInit | undefined,
        signal: AbortSignal.timeout(timeoutMs),
      };
      if (body instanceof ReadableStream) init.duplex = 'half';
      const response = await fetch(probe.url, init);
      text = await response.text();
      status = response.status;
      contentType = response.headers.get('content-type') ?? '';
    }
    let problem: string | null = null;
    try {
      const parsed = JSON.parse(text) as { status?: unknown; title?: unknown; detail?: unknown };
      if (parsed.status !== status || typeof parsed.title !== 'string') problem = `body is not a problem for ${status}: ${text.slice(0, 200)}`;
    } catch {
      problem = `body is not JSON: ${text.slice(0, 200)}`;
    }
    return { probe, status, contentType, problem, ms: performance.now() - started };
  } catch (error) {
    const reason =
      (error as Error).name === 'TimeoutError'
        ? `no answer in ${timeoutMs} ms`
        : `request failed: ${(error as Error).message} ${(error as { cause?: Error }).cause?.message ?? ''}`;
    return { probe, status: 0, contentType: '', problem: reason, ms: performance.now() - started };
  }
}

/** Why a result breaks the rule (4xx application/problem+json), or null. */
export function verdict(result: ProbeResult): string | null {
  if (result.status === 0) return result.problem;
  if (result.status < 400 || result.status >= 500) return `status ${result.status}`;
  if (!result.contentType.startsWith('application/problem+json')) return `content-type ${result.contentType}`;
  return result.problem;
}

/**
 * Refuses a body too large to read (2 MB, its length announced or chunked) on a raw keep-alive connection,
 * then sends one more request on the same connection 100 ms later, as a pooling client (undici,
 * HAProxy's http-reuse) may: the server must either have said `Connection: close` or answer it.
 */
export function oversizedThenReuse(
  baseUrl: string,
  path: string,
  chunked = false,
): Promise<{ first: string; connectionHeader: string | null; second: string }> {
  const url = new URL(baseUrl);
  const body = Buffer.from(`{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`);
  return new Promise((resolve) => {
    const socket = createConnection({ host: url.hostname, port: Number(url.port) });
    let received = '';
    let first: string | null = null;
    let connectionHeader: string | null = null;
    let secondSent = false;
    const done = (second: string) => {
      socket.destroy();
      resolve({ first: first ?? 'no answer', connectionHeader, second });
    };
    socket.setTimeout(10_000, () => done(first ? 'no answer to the second request in 10 s' : 'no answer'));
    socket.on('error', (error) => done(secondSent ? `connection error: ${error.message}` : `error before the second request: ${error.message}`));
    socket.on('close', () => done(secondSent ? 'connection closed, second request unanswered' : 'connection closed before the second request'));
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (first === null) {
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = received.slice(0, end);
        first = head.split('\r\n')[0];
        connectionHeader = /\r\nconnection: *([^\r]*)/i.exec(head)?.[1] ?? null;
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        received = received.slice(end + 4 + length);
        if (connectionHeader?.toLowerCase() === 'close') return done('not sent: the server said Connection: close');
        setTimeout(() => {
          secondSent = true;
          socket.write(`GET /health HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
        }, 100);
        return;
      }
      const line = received.split('\r\n')[0];
      if (line.startsWith('HTTP/1.1')) done(line);
    });
    if (chunked) {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
      for (let offset = 0; offset < body.length; offset += 64 * 1024) {
        const piece = body.subarray(offset, offset + 64 * 1024);
        socket.write(`${piece.length.toString(16)}\r\n`);
        socket.write(piece);
        socket.write('\r\n');
      }
      socket.write('0\r\n\r\n');
    } else {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      socket.write(body);
    }
  });
}
