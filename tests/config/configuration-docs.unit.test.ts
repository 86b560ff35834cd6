import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigurationDoc, renderEnvExample } from '../../scripts/config/configuration-docs.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('docs/configuration.md and .env.example', () => {
  it('are what the settings schemas give (npm run config:docs writes them)', () => {
    expect(read('docs/configuration.md'), 'docs/configuration.md is out of date: npm run config:docs').toBe(renderConfigurationDoc());
    expect(read('.env.example'), '.env.example is out of date: npm run config:docs').toBe(renderEnvExample());
  });
});
