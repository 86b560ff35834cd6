/** One sample of the Prometheus text exposition format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (what prom-client serves on /metrics); comments are skipped. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const nameEnd = line.search(/[{\s]/);
    if (nameEnd <= 0) continue;
    const name = line.slice(0, nameEnd);
    const labels: Record<string, string> = {};
    let rest = line.slice(nameEnd);
    if (rest.startsWith('{')) {
      let i = 1;
      while (i < rest.length && rest[i] !== '}') {
        const eq = rest.indexOf('=', i);
        const key = rest.slice(i, eq).trim().replace(/^,/, '').trim();
        let j = eq + 2; // past ="
        let value = '';
        while (j < rest.length && rest[j] !== '"') {
          if (rest[j] === '\\' && j + 1 < rest.length) {
            const next = rest[j + 1];
            value += next === 'n' ? '\n' : next;
            j += 2;
          } else {
            value += rest[j++];
          }
        }
        labels[key] = value;
        i = j + 1;
        if (rest[i] === ',') i++;
      }
      rest = rest.slice(i + 1);
    }
    const [valueText] = rest.trim().split(/\s+/);
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    samples.push({ name, labels, value });
  }
  return samples;
}

/** The sum of the samples of one name whose labels include these. */
export function sumOf(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number {
  let total = 0;
  for (const sample of samples) {
    if (sample.name !== name) continue;
    if (Object.entries(match).every(([key, value]) => sample.labels[key] === value)) total += sample.value;
  }
  return total;
}

/**
 * A quantile from a Prometheus histogram's cumulative buckets (`<name>_bucket{le=…}`), summed over
 * every other label, interpolated linearly inside the bucket as histogram_quantile() does.
 */
export function histogramQuantile(samples: readonly Sample[], name: string, q: number, match: Record<string, string> = {}): number | null {
  const byLe = new Map<number, number>();
  for (const sample of samples) {
    if (sample.name !== `${name}_bucket`) continue;
    if (!Object.entries(match).every(([key, value]) => sample.labels[key] === value)) continue;
    const le = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + sample.value);
  }
  const buckets = [...byLe].sort((a, b) => a[0] - b[0]);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let previousLe = 0;
  let previousCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return previousLe;
      if (count === previousCount) return le;
      return previousLe + ((le - previousLe) * (rank - previousCount)) / (count - previousCount);
    }
    previousLe = le;
    previousCount = count;
  }
  return previousLe;
}
