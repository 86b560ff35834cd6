// Runs a nemesis schedule against a chaos platform: each fault at its time, one at a time per target, overlapping otherwise.
import { cutDatabaseConnections } from './chaos-db.ts';
import { startDuplicator } from './chaos-duplicator.ts';
import { sleep } from './chaos-infra.ts';
import type { ChaosContext, FaultSpec } from './chaos-scenario.ts';
import { describeFault, type NemesisFault, type NemesisTarget } from './nemesis-schedule.ts';
import { serviceNames, type ServiceName } from './platform.ts';
import { topics } from '#shared/contracts/topics.ts';

/** A fault as it ran: when (ms after the nemesis started), how long, what it did. */
export interface NemesisEvent {
  fault: NemesisFault;
  startedMs: number;
  endedMs: number;
  ok: boolean;
  detail: string;
}

const sagaTopics = [topics.productReservationRequest, topics.productReservationResponse, topics.paymentRequest, topics.paymentResponse];
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Tries `start` until it works (a service started while the broker is down may not come up): up to 5 times. */
async function startAgain(what: string, start: () => Promise<void>, kill: () => Promise<void>): Promise<string> {
  let failures = '';
  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      return failures;
    } catch (error) {
      failures += ` (start ${attempt} failed: ${(error as Error).message.slice(0, 120)})`;
      if (attempt === 5) throw new Error(`${what} did not start again${failures}`);
      await kill().catch(() => {});
      await sleep(2_000);
    }
  }
}

async function inject(ctx: ChaosContext, fault: NemesisFault): Promise<string> {
  const { infra, platform } = ctx;
  switch (fault.kind) {
    case 'kill': {
      const service = fault.service!;
      const pid = platform.pid(service);
      await platform.kill(service, 'SIGKILL');
      await sleep(fault.holdMs);
      const restarting = Date.now();
      const failures = await startAgain(
        service,
        () => platform.start(service),
        () => platform.kill(service, 'SIGKILL'),
      );
      return `pid ${pid} killed, healthy ${s(Date.now() - restarting)} after the restart${failures}`;
    }
    case 'freeze': {
      platform.pause(fault.service!);
      await sleep(fault.holdMs);
      platform.resume(fault.service!);
      return `pid ${platform.pid(fault.service!)} stopped and continued`;
    }
    case 'kill-broker': {
      const pid = infra.kafkaPid();
      await infra.killKafka();
      await sleep(fault.holdMs);
      const restarting = Date.now();
      const failures = await startAgain(
        'the broker',
        () => infra.startKafka(),
        async () => {
          if (infra.kafkaPid()) await infra.killKafka();
        },
      );
      return `broker pid ${pid} killed, answering ${s(Date.now() - restarting)} after the restart${failures}`;
    }
    case 'flushall': {
      await infra.flushRedis();
      return 'every key gone';
    }
    case 'cut-db': {
      const killed = await cutDatabaseConnections(infra.db, Object.values(platform.databases), fault.holdMs, 100);
      return `${killed} connections KILLed`;
    }
    case 'duplicates': {
      const started = Date.now();
      const duplicator = await startDuplicator(infra.kafkaBrokers, platform.prefix, sagaTopics, infra.kafkaCredentials('admin'));
      const joined = Date.now() - started;
      await sleep(fault.holdMs);
      const duplicated = await duplicator.stop();
      return `${duplicated} saga records delivered twice (helper joined after ${s(joined)})`;
    }
  }
}

/**
 * Runs the schedule from now: each fault at its planned time, or once the faults before it on
 * its targets have ended (a restart can take longer than planned). At the end everything is up
 * again: every service process running and not stopped, the broker running.
 */
export async function runNemesis(ctx: ChaosContext, schedule: readonly NemesisFault[]): Promise<NemesisEvent[]> {
  const start = Date.now();
  const events: NemesisEvent[] = [];
  const tails = new Map<NemesisTarget, Promise<void>>();
  const tasks = schedule.map((fault) => {
    const prior = Promise.all(fault.targets.map((t) => tails.get(t) ?? Promise.resolve()));
    const task = (async () => {
      await sleep(Math.max(0, start + fault.atMs - Date.now()));
      await prior;
      const startedMs = Date.now() - start;
      ctx.log(`nemesis +${s(startedMs)}: ${describeFault(fault)}${startedMs - fault.atMs > 1_000 ? ` (planned +${s(fault.atMs)})` : ''}`);
      let ok = true;
      let detail: string;
      try {
        detail = await inject(ctx, fault);
      } catch (error) {
        ok = false;
        detail = `failed: ${(error as Error).message}`;
      }
      const event: NemesisEvent = { fault, startedMs, endedMs: Date.now() - start, ok, detail };
      events.push(event);
      ctx.log(`nemesis +${s(event.endedMs)}: done ${describeFault(fault)} — ${detail}`);
    })();
    const done = task.then(
      () => {},
      () => {},
    );
    for (const t of fault.targets) tails.set(t, done);
    return task;
  });
  await Promise.all(tasks);
  await everythingUp(ctx);
  return events.sort((a, b) => a.startedMs - b.startedMs);
}

/** Whatever a failed fault left down is started again; every service is sent SIGCONT (a no-op unless stopped). */
async function everythingUp(ctx: ChaosContext): Promise<void> {
  const { infra, platform } = ctx;
  if (!infra.kafkaPid()) {
    ctx.log('nemesis: the broker was down at the end: starting it');
    await infra.startKafka();
  }
  for (const service of serviceNames as readonly ServiceName[]) {
    platform.resume(service);
    if (!platform.pid(service)) {
      ctx.log(`nemesis: ${service} was down at the end: starting it`);
      await platform.start(service);
    }
  }
}

/** "+12.3 s … +18.0 s  kill -9 payment-service, restart after 2.0 s — pid … killed, …": the schedule as it ran. */
export function scheduleAsRun(events: readonly NemesisEvent[]): string {
  return events
    .map((e) => `  +${s(e.startedMs).padStart(7)} → +${s(e.endedMs).padStart(7)}  ${describeFault(e.fault)}${e.ok ? '' : ' [FAILED]'} — ${e.detail}`)
    .join('\n');
}

/** How many faults ran at once at most (by their actual windows). */
export function maxConcurrent(events: readonly NemesisEvent[]): number {
  let most = 0;
  for (const e of events) most = Math.max(most, events.filter((o) => o.startedMs <= e.startedMs && o.endedMs > e.startedMs).length);
  return most;
}

/**
 * The whole schedule as one FaultSpec, so runScenario runs it under its load (from the load's
 * start) and then checks exactly what it checks after a single fault; its own check: every fault
 * ran, and some ran at the same time.
 */
export function nemesisFault(schedule: readonly NemesisFault[], durationS: number, ran: NemesisEvent[]): FaultSpec {
  return {
    name: `nemesis: ${schedule.length} overlapping faults`,
    atS: 0,
    durationS,
    async inject(ctx) {
      const events = await runNemesis(ctx, schedule);
      ran.push(...events);
      const failed = events.filter((e) => !e.ok).length;
      return {
        detail: `${events.length} faults ran (${failed} failed), up to ${maxConcurrent(events)} at once`,
        data: { failed, concurrent: maxConcurrent(events) },
      };
    },
    async check(_ctx, outcome) {
      const { failed, concurrent } = (outcome.data ?? { failed: -1, concurrent: 0 }) as { failed: number; concurrent: number };
      return [
        { name: 'every fault of the schedule was injected and undone', pass: failed === 0, detail: `${ran.length} ran, ${failed} failed` },
        { name: 'faults overlapped', pass: concurrent >= 2, detail: `up to ${concurrent} at once` },
      ];
    },
  };
}
