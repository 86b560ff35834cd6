/**
 * Variables that look like one of the platform's settings (they start with a prefix the service
 * owns) but are none of them: almost always a typo, which would otherwise silently leave the
 * default in force. One problem per variable, with the nearest known name when one is close.
 */
export function unknownSettings(
  env: Record<string, string | undefined>,
  known: ReadonlySet<string>,
  ownedPrefixes: readonly string[],
  knownPatterns: readonly RegExp[] = [],
): string[] {
  const isKnown = (name: string) => known.has(name) || knownPatterns.some((pattern) => pattern.test(name));
  return Object.keys(env)
    .filter((name) => env[name] !== undefined && ownedPrefixes.some((prefix) => name.startsWith(prefix)) && !isKnown(name))
    .sort()
    .map((name) => {
      const nearest = nearestName(name, known);
      return `${name}: not a setting of this service${nearest ? ` (did you mean ${nearest}?)` : ''}`;
    });
}

function nearestName(name: string, known: ReadonlySet<string>): string | null {
  let best: { name: string; distance: number } | null = null;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance <= 3 && (best === null || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name ?? null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
