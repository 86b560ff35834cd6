// Values of a schema for the bad-input catalogue: one it accepts, and those of the wrong type or out of bounds it must refuse.
import { randomUUID } from 'node:crypto';
import type { Schema } from './chaos-bad-input-operations.ts';

export const injectionStrings = [
  "' OR '1'='1",
  '1; DROP TABLE customer_order; --',
  "Robert'); DROP TABLE product;--",
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '${7*7}{{7*7}}',
  '../../../../etc/passwd',
];

export const typesOf = (schema: Schema): string[] => (Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : []);
export const isType = (schema: Schema, type: string) => typesOf(schema).includes(type);
export const branch = (schema: Schema): Schema => (schema.anyOf ? schema.anyOf[0] : schema.oneOf ? schema.oneOf[0] : schema);

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
