const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export const durationPattern = /^(\d{1,9})(ms|s|m|h|d)$/;

/** "30s", "5m", "250ms", "2h", "1d" → milliseconds; null for anything else. */
export function parseDuration(text: string): number | null {
  const match = durationPattern.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** 1234 → "1.2 s", 65_000 → "1 m 5 s": for people, not for parsing. */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1_000) return `${Math.round(ms)} ms`;
  if (abs < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const sign = ms < 0 ? '-' : '';
  const totalSeconds = Math.round(abs / 1_000);
  const hours = Math.floor(totalSeconds / 3_600);
  const minutes = Math.floor((totalSeconds % 3_600) / 60);
  const seconds = totalSeconds % 60;
  return sign + (hours > 0 ? `${hours} h ${minutes} m` : `${minutes} m ${seconds} s`);
}
