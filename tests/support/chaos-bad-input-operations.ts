// The operations of a service's OpenAPI document, $refs resolved: what the bad-input catalogue probes.

// OpenAPI documents are plain JSON of arbitrary shape here.
export type Schema = Record<string, any>;
type Doc = { paths: Record<string, Record<string, any>>; components?: { schemas?: Record<string, Schema> } };

export interface Operation {
  service: string;
  baseUrl: string;
  method: string;
  path: string;
  params: { name: string; in: string; required: boolean; schema: Schema }[];
  body: Schema | null;
}

const httpMethods = ['get', 'post', 'put', 'patch', 'delete'];

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
