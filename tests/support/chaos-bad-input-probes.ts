// The bad-input catalogue, generated from each service's OpenAPI document: for every operation,
// requests that must be refused — malformed JSON, wrong types, missing and extra fields, numbers
// out of range, huge bodies, malformed and unknown ids, injection strings where the schema allows
// none, wrong content types. What the services must answer: a 4xx application/problem+json.
import { randomUUID } from 'node:crypto';
import { invalidBodies, toJson } from './chaos-bad-input-bodies.ts';
import type { Operation } from './chaos-bad-input-operations.ts';
import { branch, injectionStrings, isType, validValue } from './chaos-bad-input-values.ts';

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
