/** A failed check of one environment variable, as zod reports it. */
export interface EnvIssue {
  path: PropertyKey[];
  message: string;
}

/**
 * Every bad variable on one line, each with the value it was given, e.g.
 * `DB_PORT="abc": Invalid input: expected number, received NaN; LOG_LEVEL="loud": Invalid option: …`.
 * Secrets are not repeated back: only the names of *_PASSWORD variables appear.
 */
export function describeEnvIssues(issues: readonly EnvIssue[], source: Record<string, string | undefined>): string {
  return issues
    .map((issue) => {
      const name = String(issue.path[0] ?? '(environment)');
      const given = source[name];
      const shown = given === undefined ? '' : /PASSWORD|SECRET|TOKEN/.test(name) ? '=(hidden)' : `=${JSON.stringify(given)}`;
      return `${name}${shown}: ${issue.message}`;
    })
    .join('; ');
}
