import type { z } from 'zod';
import { exclusiveSettingProblems } from './env.ts';
import { describeEnvIssues } from './env-issues.ts';
import { DATABASE_PASSWORD, productionRefusals, type SecretSetting } from './production-guard.ts';
import { SCRIPT_SETTING_PATTERNS, scriptsEnvSchema } from './scripts-env.ts';
import { unknownSettings } from './unknown-settings.ts';

/** A service's settings: one schema for every variable it reads, and the prefixes it owns. */
export interface ServiceSettings<TSchema extends z.ZodObject = z.ZodObject> {
  service: string;
  schema: TSchema;
  /** A variable under one of these that no schema knows is refused (a typo would leave a default in force). */
  ownedPrefixes: readonly string[];
  /** Passwords of this service beyond the database's, refused in production when empty or a documented default. */
  secrets?: readonly SecretSetting[];
}

/** With NODE_ENV=production: what this service refuses to start with, one sentence each (none elsewhere). */
export const productionProblems = (settings: ServiceSettings, env: Record<string, string | undefined>): string[] =>
  productionRefusals(env, [DATABASE_PASSWORD, ...(settings.secrets ?? [])]);

/** null when the environment is fine, else one line naming every bad or unknown variable. */
export function settingsProblems(settings: ServiceSettings, env: Record<string, string | undefined>): string | null {
  const known = new Set([...Object.keys(settings.schema.shape), ...Object.keys(scriptsEnvSchema.shape)]);
  const result = settings.schema.safeParse(env);
  const problems = [
    ...(result.success ? [] : [describeEnvIssues(result.error.issues, env)]),
    ...unknownSettings(env, known, settings.ownedPrefixes, SCRIPT_SETTING_PATTERNS),
    ...exclusiveSettingProblems(env),
  ];
  return problems.length === 0 ? null : problems.join('; ');
}

/**
 * For `main.ts`, before anything starts: the parsed settings, or one line on stderr naming what is
 * wrong and exit code 1 (no stack trace, nothing half started). With NODE_ENV=production it also
 * refuses AUTH_MODE=off, empty or default passwords and Kafka without credentials, one line each.
 */
export function settingsOrExit<TSchema extends z.ZodObject>(
  settings: ServiceSettings<TSchema>,
  env: Record<string, string | undefined> = process.env,
): z.infer<TSchema> {
  const problem = settingsProblems(settings, env);
  if (problem !== null) {
    process.stderr.write(`${settings.service}: invalid configuration: ${problem} (see docs/configuration.md)\n`);
    process.exit(1);
  }
  const refusals = productionProblems(settings, env);
  if (refusals.length > 0) {
    for (const refusal of refusals) process.stderr.write(`${settings.service}: refused: ${refusal}\n`);
    process.exit(1);
  }
  return settings.schema.parse(env);
}
