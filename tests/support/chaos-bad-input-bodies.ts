// Request bodies a schema must refuse, each a valid body with one thing broken, for the bad-input catalogue.
import type { Schema } from './chaos-bad-input-operations.ts';
import { branch, invalidValues, isType, validValue } from './chaos-bad-input-values.ts';

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

export const toJson = (value: unknown) => JSON.stringify(value).replaceAll('"__RAW_1e999__"', '1e999');

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
