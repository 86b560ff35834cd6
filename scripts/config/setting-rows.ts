import { z } from 'zod';

/** One documented variable: what a person needs to set it. */
export interface SettingRow {
  name: string;
  /** The default as it would be written in the environment; null: none (unset). */
  defaultValue: string | null;
  accepted: string;
  description: string;
}

interface PropertySchema {
  description?: string;
  default?: unknown;
  'x-default'?: string;
  'x-type'?: string;
  type?: string;
  enum?: unknown[];
  format?: string;
  minimum?: number;
  maximum?: number;
  examples?: unknown[];
}

/** The rows of an object schema of environment variables, in its order, read from its JSON Schema (input side). */
export function settingRows(schema: z.ZodObject): SettingRow[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, PropertySchema> };
  return Object.entries(json.properties).map(([name, property]) => {
    const description = property.description ?? '';
    if (!description) throw new Error(`${name} has no description: give its schema a .describe() (or a note in its described shape)`);
    return { name, defaultValue: defaultOf(property), accepted: acceptedOf(property), description };
  });
}

function defaultOf(property: PropertySchema): string | null {
  if (property['x-default'] !== undefined) return property['x-default'];
  if (property.default === undefined) return null;
  return typeof property.default === 'string' ? property.default : JSON.stringify(property.default);
}

function acceptedOf(property: PropertySchema): string {
  if (property['x-type']) return property['x-type'];
  if (property.enum) return property.enum.map(String).join(' | ');
  if (property.format === 'uri') return 'URL';
  if (property.type === 'integer' || property.type === 'number') {
    const kind = property.type === 'integer' ? 'integer' : 'number';
    const lower = property.minimum !== undefined ? `${property.minimum}` : null;
    const upper = property.maximum !== undefined && property.maximum < Number.MAX_SAFE_INTEGER ? `${property.maximum}` : null;
    if (lower && upper) return `${kind} ${lower}–${upper}`;
    if (lower) return `${kind} ≥ ${lower}`;
    return kind;
  }
  return 'text';
}
