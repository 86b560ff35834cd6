// The order service's module rules, read from its source: the domain (orders, saga, catalog) never
// reaches into the console (operator API, saga pages, dead letters) or the identity part (token
// issuer); the console reads the domain only through its public files; each table is queried by
// one repository.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = new URL('../src/', import.meta.url).pathname;

interface SourceFile {
  path: string;
  module: string;
  code: string;
  imports: { target: string; typeOnly: boolean }[];
}

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return listTs(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The module a file belongs to: `console/operator`, `saga`, …, or `(wiring)` for the files at the top. */
export function moduleOf(path: string): string {
  const parts = path.split('/');
  if (parts.length === 1) return '(wiring)';
  return parts[0] === 'console' ? `console/${parts[1]}` : parts[0];
}

/** The code without comments (so a table named in a comment is not a query). */
export function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

export function importsOf(path: string, text: string): SourceFile['imports'] {
  const found: SourceFile['imports'] = [];
  for (const match of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'(\.{1,2}\/[^']+)'/gm)) {
    found.push({ target: normalize(join(dirname(path), match[3])), typeOnly: Boolean(match[2]) });
  }
  for (const match of text.matchAll(/import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)) {
    found.push({ target: normalize(join(dirname(path), match[1])), typeOnly: false });
  }
  return found;
}

const files: SourceFile[] = listTs(src).map((full) => {
  const path = relative(src, full);
  const code = withoutComments(readFileSync(full, 'utf8'));
  return { path, module: moduleOf(path), code, imports: importsOf(path, code) };
});

const DOMAIN = ['orders', 'saga', 'catalog', 'db'];
const isConsole = (module: string) => module.startsWith('console/');

/** What the console may use of the domain: the saga's reads, its runner and step types, and row types. */
const DOMAIN_PUBLIC_FOR_CONSOLE = [
  'saga/saga-reads.ts',
  'saga/saga-runner.ts',
  'saga/saga-step.ts',
  'saga/pending-timers.ts',
  'saga/order.entity.ts',
  'saga/saga-event.entity.ts',
];

/** Every table and the one file (besides migrations in db/) whose code may query it. */
const REPOSITORY_OF: Record<string, string[]> = {
  customer_order: ['saga/saga-rows.ts', 'saga/saga-reads.ts'],
  saga_event: ['saga/saga-rows.ts', 'saga/saga-reads.ts'],
  catalog_product: ['catalog/catalog-copy.ts'],
  dead_letter: ['console/dead-letters/dead-letter-store.ts'],
  signing_key: ['identity/signing-keys.ts'],
  customer_credential: ['identity/customer-credentials.ts'],
};

const ENTITY_FILES: Record<string, string> = {
  'saga/order.entity.ts': 'saga/',
  'saga/saga-event.entity.ts': 'saga/',
  'catalog/catalog-product.entity.ts': 'catalog/',
  'console/dead-letters/dead-letter.entity.ts': 'console/dead-letters/',
};

function violations(rule: (file: SourceFile, target: string, typeOnly: boolean) => string | null): string[] {
  return files.flatMap((file) =>
    file.imports.flatMap(({ target, typeOnly }) => {
      const why = rule(file, target, typeOnly);
      return why ? [`${file.path} → ${target}: ${why}`] : [];
    }),
  );
}

describe('order service modules', () => {
  it('reads every source file and finds the modules it expects', () => {
    const modules = new Set(files.map((file) => file.module));
    for (const module of [
      '(wiring)',
      'orders',
      'saga',
      'catalog',
      'db',
      'console/operator',
      'console/sagas-ui',
      'console/dead-letters',
      'identity',
    ]) {
      expect(modules, module).toContain(module);
    }
    expect(files.flatMap((file) => file.imports).length).toBeGreaterThan(100);
  });

  it('the domain (orders, saga, catalog, db) imports neither the console nor the identity part', () => {
    expect(
      violations((file, target) =>
        DOMAIN.includes(file.module) && (isConsole(moduleOf(target)) || moduleOf(target) === 'identity')
          ? 'domain depends on the console or identity'
          : null,
      ),
    ).toEqual([]);
  });

  it('the identity part imports nothing of the console or the domain', () => {
    expect(
      violations((file, target) =>
        file.module === 'identity' && (isConsole(moduleOf(target)) || DOMAIN.includes(moduleOf(target)))
          ? 'identity depends on the console or the domain'
          : null,
      ),
    ).toEqual([]);
  });

  it('the console reads the domain only through its public files (and row types only as types)', () => {
    expect(
      violations((file, target, typeOnly) => {
        if (!isConsole(file.module) || !DOMAIN.includes(moduleOf(target))) return null;
        if (!DOMAIN_PUBLIC_FOR_CONSOLE.includes(target)) return 'not a public file of the domain';
        if (target.endsWith('.entity.ts') && !typeOnly) return 'an entity used as a value (a query outside its repository)';
        return null;
      }),
    ).toEqual([]);
  });

  it('modules import each other one way: no two modules import each other', () => {
    const edges = new Set(files.flatMap((file) => file.imports.map(({ target }) => `${file.module}|${moduleOf(target)}`)));
    const both = [...edges].filter((edge) => {
      const [from, to] = edge.split('|');
      return from !== to && from < to && edges.has(`${to}|${from}`);
    });
    expect(both).toEqual([]);
  });

  it('an entity is used as a value only inside its own module (and in the wiring, which registers it)', () => {
    expect(
      violations((file, target, typeOnly) => {
        const owner = ENTITY_FILES[target];
        if (!owner || typeOnly || file.module === '(wiring)' || file.path.startsWith(owner)) return null;
        return `an entity of ${owner} used as a value`;
      }),
    ).toEqual([]);
  });

  it('each table is queried by its one repository (migrations aside)', () => {
    const misplaced = files.flatMap((file) => {
      if (file.module === 'db') return [];
      return Object.entries(REPOSITORY_OF).flatMap(([table, owners]) => {
        const query = new RegExp(`\\b(from|into|update|join|table)\\s+${table}\\b`, 'i');
        return query.test(file.code) && !owners.includes(file.path) ? [`${file.path} queries ${table}`] : [];
      });
    });
    expect(misplaced).toEqual([]);
  });
});

describe('the rules themselves', () => {
  it('find an import from a comment-free text, type-only or not', () => {
    expect(importsOf('console/operator/x.ts', "import type { A } from '../../saga/order.entity.ts';\nimport { b } from './y.ts';")).toEqual([
      { target: 'saga/order.entity.ts', typeOnly: true },
      { target: 'console/operator/y.ts', typeOnly: false },
    ]);
  });

  it('ignore a table named in a comment but see it in a query string', () => {
    expect(withoutComments('// reads customer_order\n/* from customer_order */ const q = `select 1`;')).not.toContain('customer_order');
    expect(withoutComments("const q = 'select * from customer_order where id = ?';")).toContain('from customer_order');
  });

  it('name modules by their folder, console modules by their sub-folder', () => {
    expect(moduleOf('order-service.ts')).toBe('(wiring)');
    expect(moduleOf('saga/saga-rows.ts')).toBe('saga');
    expect(moduleOf('console/sagas-ui/html.ts')).toBe('console/sagas-ui');
  });
});
