// The nemesis's plan: a seeded, pure schedule of overlapping faults over a soak (same seed, same schedule).
import type { ServiceName } from './platform.ts';

/** Something the nemesis can break; one fault at a time per target, faults on different targets overlap. */
export type NemesisTarget = ServiceName | 'kafka' | 'redis' | 'mariadb' | 'duplicator';

export type NemesisKind = 'kill' | 'freeze' | 'kill-broker' | 'flushall' | 'cut-db' | 'duplicates';

export interface NemesisFault {
  /** Planned start, ms after the load started. */
  atMs: number;
  kind: NemesisKind;
  /** The service killed or frozen (kill, freeze); null for the others. */
  service: ServiceName | null;
  /** kill, kill-broker: pause before the restart; freeze: how long stopped; cut-db, duplicates: how long. flushall: 0. */
  holdMs: number;
  /** What the fault occupies while it runs (the broker for a burst of duplicates too: it needs one). */
  targets: NemesisTarget[];
  /** Planned end, for the overlap: start + hold + what a recovery takes here (a service start ~8 s, the broker's ~12 s). */
  plannedEndMs: number;
}

export interface NemesisScheduleOptions {
  seed: number;
  durationMs: number;
  /** No fault starts before this (the load warms up). Default 5 s. */
  warmupMs?: number;
  /** No fault starts in the last part of the run, so the platform recovers under load. Default: a tenth, at least 20 s. */
  quietTailMs?: number;
  /** Mean gap between fault starts (exponential). Default 7 s. */
  meanGapMs?: number;
}

/** mulberry32: a small, fast 32-bit PRNG; the same seed gives the same sequence on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const services: ServiceName[] = ['product-service', 'payment-service', 'order-service'];

/** Weights of the kinds, and what each one's hold and recovery are drawn from (ms). */
const kinds: { kind: NemesisKind; weight: number; hold: [number, number]; recoveryMs: number }[] = [
  { kind: 'kill', weight: 4, hold: [500, 5_000], recoveryMs: 8_000 },
  { kind: 'freeze', weight: 3, hold: [2_000, 12_000], recoveryMs: 0 },
  { kind: 'kill-broker', weight: 1.5, hold: [1_000, 5_000], recoveryMs: 12_000 },
  { kind: 'flushall', weight: 1.5, hold: [0, 0], recoveryMs: 0 },
  { kind: 'cut-db', weight: 2, hold: [1_000, 4_000], recoveryMs: 0 },
  { kind: 'duplicates', weight: 2, hold: [5_000, 15_000], recoveryMs: 3_000 },
];
const totalWeight = kinds.reduce((sum, k) => sum + k.weight, 0);

function targetsOf(kind: NemesisKind, service: ServiceName | null): NemesisTarget[] {
  switch (kind) {
    case 'kill':
    case 'freeze':
      return [service!];
    case 'kill-broker':
      return ['kafka'];
    case 'flushall':
      return ['redis'];
    case 'cut-db':
      return ['mariadb'];
    case 'duplicates':
      return ['duplicator', 'kafka'];
  }
}

/**
 * Faults over `durationMs`: start times an exponential gap apart (so several often run at once),
 * each a kind drawn by weight, a service drawn for kill and freeze, a hold drawn from the kind's
 * range. A fault whose target is still busy (planned) is drawn again, up to 5 times, else the slot
 * is skipped: every target has one fault at a time, different targets overlap.
 */
export function nemesisSchedule(options: NemesisScheduleOptions): NemesisFault[] {
  const random = mulberry32(options.seed);
  const warmupMs = options.warmupMs ?? 5_000;
  const quietTailMs = options.quietTailMs ?? Math.max(20_000, options.durationMs / 10);
  const meanGapMs = options.meanGapMs ?? 7_000;
  const lastStart = options.durationMs - quietTailMs;
  const busyUntil = new Map<NemesisTarget, number>();
  const faults: NemesisFault[] = [];
  const between = ([low, high]: [number, number]) => Math.round((low + random() * (high - low)) / 100) * 100;
  let at = warmupMs;
  while (at < lastStart) {
    for (let attempt = 0; attempt < 5; attempt++) {
      let pick = random() * totalWeight;
      const spec = kinds.find((k) => (pick -= k.weight) < 0) ?? kinds[kinds.length - 1];
      const service = spec.kind === 'kill' || spec.kind === 'freeze' ? services[Math.floor(random() * services.length)] : null;
      const targets = targetsOf(spec.kind, service);
      if (targets.some((t) => (busyUntil.get(t) ?? 0) > at)) continue;
      const holdMs = between(spec.hold);
      const plannedEndMs = at + holdMs + spec.recoveryMs;
      for (const t of targets) busyUntil.set(t, plannedEndMs + 1_000);
      faults.push({ atMs: Math.round(at), kind: spec.kind, service, holdMs, targets, plannedEndMs: Math.round(plannedEndMs) });
      break;
    }
    at += Math.max(500, -Math.log(1 - random()) * meanGapMs);
  }
  return faults;
}

/** Pairs of faults whose planned windows overlap (on different targets, by construction). */
export function overlappingPairs(faults: readonly NemesisFault[]): [NemesisFault, NemesisFault][] {
  const pairs: [NemesisFault, NemesisFault][] = [];
  for (let i = 0; i < faults.length; i++)
    for (let j = i + 1; j < faults.length; j++) if (faults[j].atMs < faults[i].plannedEndMs) pairs.push([faults[i], faults[j]]);
  return pairs;
}

/** One fault in words: "kill -9 payment-service, restarted after 2.3 s". */
export function describeFault(fault: NemesisFault): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  switch (fault.kind) {
    case 'kill':
      return `kill -9 ${fault.service}, restart after ${s(fault.holdMs)}`;
    case 'freeze':
      return `SIGSTOP ${fault.service} for ${s(fault.holdMs)}, then SIGCONT`;
    case 'kill-broker':
      return `kill -9 Kafka broker, restart after ${s(fault.holdMs)}`;
    case 'flushall':
      return 'Redis FLUSHALL';
    case 'cut-db':
      return `MariaDB connections cut for ${s(fault.holdMs)}`;
    case 'duplicates':
      return `duplicate burst on the saga topics for ${s(fault.holdMs)}`;
  }
}

/** "10m", "90s", "3m30s", "1h", "120" (seconds) → seconds; null if it is none of these or not positive. */
export function parseDurationS(text: string): number | null {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) > 0 ? Number(trimmed) : null;
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(trimmed);
  if (!match || trimmed === '') return null;
  const seconds = Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
  return seconds > 0 ? seconds : null;
}
