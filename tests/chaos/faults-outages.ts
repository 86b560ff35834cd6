// Faults of the chaos suite that take a dependency away whole: the database server, one service's
// broker connection, a service's liveness (a zombie consumer). Injected into a load by runScenario.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import { topics } from '#shared/contracts/topics.ts';
import { sleep } from '../support/chaos-infra.ts';
import { nonTerminalOrders } from '../support/chaos-settle.ts';
import type { ChaosContext, FaultSpec } from '../support/chaos-scenario.ts';
import { testSasl } from '../support/kafka-access.ts';
import { serviceNames, type ServiceName } from '../support/platform.ts';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Whether each service's /health/ready answered 200 (false on any error or timeout). */
async function readiness(ctx: ChaosContext): Promise<Record<ServiceName, boolean>> {
  const states = await Promise.all(
    serviceNames.map(async (service) => {
      try {
        const response = await fetch(`${ctx.platform.url[service]}/health/ready`, { signal: AbortSignal.timeout(3_000) });
        await response.body?.cancel();
        return response.ok;
      } catch {
        return false;
      }
    }),
  );
  return Object.fromEntries(serviceNames.map((service, i) => [service, states[i]])) as Record<ServiceName, boolean>;
}

/** Polls readiness until stopped: which services went not-ready, and when each was last seen not ready. */
function watchReadiness(ctx: ChaosContext, everyMs = 250) {
  const wentDown = new Set<ServiceName>();
  const lastDown = new Map<ServiceName, number>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      const states = await readiness(ctx);
      for (const service of serviceNames) {
        if (!states[service]) {
          wentDown.add(service);
          lastDown.set(service, at);
        }
      }
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { wentDown, lastDown };
    },
  };
}

async function allReady(ctx: ChaosContext, timeoutMs: number): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const states = await readiness(ctx);
    if (serviceNames.every((service) => states[service])) return Date.now();
    await sleep(200);
  }
  return null;
}

/**
 * kill -9 of the MariaDB server (the chaos run's own mariadbd), started again on the same data
 * directory and port after a pause: every pooled connection of the three services dies at once and
 * new ones are refused until the server is back and InnoDB has recovered. The services must ride it
 * out (pools reconnect, consumers hand their batches over again); POSTs meanwhile get 503.
 */
export function restartDatabase(pauseMs = 3_000): FaultSpec {
  return {
    name: 'kill -9 MariaDB server',
    atS: 3,
    durationS: 20,
    async inject(ctx) {
      const { infra } = ctx;
      const pid = infra.mariadbPid();
      const logFile = `${infra.dir}/mariadb.log`;
      const logFrom = existsSync(logFile) ? statSync(logFile).size : 0;
      const watch = watchReadiness(ctx);
      const killedAt = Date.now();
      await infra.killDatabase();
      await sleep(pauseMs);
      const restarting = Date.now();
      await infra.startDatabase();
      const answering = Date.now();
      const ready = await allReady(ctx, 60_000);
      await sleep(1_000);
      const { wentDown } = await watch.stop();
      const newPid = infra.mariadbPid();
      // What the new server logged: a kill -9 under load leaves InnoDB to recover from its redo log.
      const restartLog = existsSync(logFile) ? readFileSync(logFile).subarray(logFrom).toString('utf8') : '';
      const recovered = /Starting crash recovery/.test(restartLog);
      const pages = /To recover: (\d+) pages/.exec(restartLog)?.[1];
      return {
        detail:
          `mariadbd pid ${pid} killed; restarted (pid ${newPid}) on its data after a ${pauseMs / 1000} s pause, answering ${seconds(answering - restarting)} later${recovered ? ` (InnoDB crash recovery${pages ? ` of ${pages} pages` : ''})` : ''}; ` +
          `${wentDown.size} of 3 services not ready during the outage, all ready again ${ready === null ? 'NOT within 60 s' : `${seconds(ready - answering)} after it answered (${seconds(ready - killedAt)} after the kill)`}`,
        data: { pid, newPid, recovered, wentDown: [...wentDown], readyAfterMs: ready === null ? null : ready - answering },
      };
    },
    async check(_ctx, outcome) {
      const { pid, newPid, recovered, wentDown, readyAfterMs } = outcome.data as {
        pid: number | null;
        newPid: number | null;
        recovered: boolean;
        wentDown: string[];
        readyAfterMs: number | null;
      };
      return [
        {
          name: 'the database server was killed (not shut down) and a new one started on its data',
          pass: pid !== null && newPid !== null && pid !== newPid && recovered,
          detail: `pid ${pid} → ${newPid}; ${recovered ? 'InnoDB ran crash recovery' : 'no InnoDB crash recovery logged'}`,
        },
        {
          name: 'every service noticed the outage (not ready) and recovered',
          pass: wentDown.length === serviceNames.length && readyAfterMs !== null,
          detail: `not ready during it: ${wentDown.join(', ') || 'none'}; ready again: ${readyAfterMs === null ? 'no' : seconds(readyAfterMs)}`,
        },
      ];
    },
  };
}

/** The saga topic each service consumes (its group's lag) and the one it answers on. */
const sagaTopicsOf: Record<ServiceName, { consumes: string[]; produces: string[] }> = {
  'order-service': {
    consumes: [topics.productReservationResponse, topics.paymentResponse],
    produces: [topics.productReservationRequest, topics.paymentRequest],
  },
  'product-service': { consumes: [topics.productReservationRequest], produces: [topics.productReservationResponse] },
  'payment-service': { consumes: [topics.paymentRequest], produces: [topics.paymentResponse] },
};

/** An admin on the chaos broker (direct, never through the proxy): a group's lag, topics' end offsets. */
async function brokerProbe(ctx: ChaosContext) {
  const { infra, platform } = ctx;
  const admin = new Kafka({
    clientId: 'chaos-probe',
    brokers: [infra.kafkaBrokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
    ...testSasl(infra.kafkaCredentials('admin')),
  }).admin();
  await admin.connect();
  const ends = async (topicNames: string[]) => {
    let sum = 0;
    for (const topic of topicNames) for (const entry of await admin.fetchTopicOffsets(platform.prefix + topic)) sum += Number(entry.high);
    return sum;
  };
  return {
    /** Records of `service`'s topics its group has not committed yet. */
    async lag(service: ServiceName): Promise<number> {
      const committed = await admin.fetchOffsets({
        groupId: platform.prefix + service,
        topics: sagaTopicsOf[service].consumes.map((t) => platform.prefix + t),
      });
      let lag = 0;
      for (const entry of committed) {
        const high = await admin.fetchTopicOffsets(entry.topic);
        for (const partition of entry.partitions) {
          const end = Number(high.find((h) => h.partition === partition.partition)?.high ?? 0);
          lag += Math.max(0, end - Math.max(0, Number(partition.offset)));
        }
      }
      return lag;
    },
    /** Sum of the end offsets of the topics `service` produces to. */
    produced: (service: ServiceName) => ends(sagaTopicsOf[service].produces),
    disconnect: () => admin.disconnect(),
    admin,
  };
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, everyMs = 500): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    try {
      if (done(await probe())) return Date.now();
    } catch {
      // the probe failed this time: ask again
    }
    await sleep(everyMs);
  }
  return null;
}

/**
 * One service cut off from Kafka only — its database, Redis and HTTP stay up: every broker
 * connection of it goes through infra.kafkaProxy (chaos-platform: the payment service), which is
 * cut (open connections reset, new ones refused) for `cutMs` and then healed. Meanwhile the rest of
 * the platform goes on producing commands for it; its consumer must rejoin and drain them, its
 * outbox must send what it could not.
 */
export function cutServiceFromKafka(mode: 'refuse' | 'blackhole' = 'refuse', cutMs = 15_000): FaultSpec {
  return {
    name: `one service cut off from Kafka (proxy ${mode === 'refuse' ? 'refuses' : 'blackholes'})`,
    atS: 3,
    durationS: 25,
    async inject(ctx) {
      const { infra, platform } = ctx;
      const service = platform.kafkaProxied;
      if (!service) throw new Error('no service of this platform goes through the Kafka proxy');
      const proxy = infra.kafkaProxy;
      const probe = await brokerProbe(ctx);
      try {
        const lagBefore = await probe.lag(service);
        const atCut = proxy.stats();
        proxy.cut(mode);
        const cutAt = Date.now();
        await sleep(1_000); // what was on the wire when the sockets were reset has landed or failed
        const producedEarly = await probe.produced(service);
        let maxOpen = 0;
        while (Date.now() - cutAt < cutMs - 1_000) {
          maxOpen = Math.max(maxOpen, proxy.stats().open);
          await sleep(250);
        }
        const lagAtHeal = await probe.lag(service);
        const producedLate = await probe.produced(service);
        const waiting = await nonTerminalOrders(infra, platform).catch(() => -1);
        while (Date.now() - cutAt < cutMs) {
          maxOpen = Math.max(maxOpen, proxy.stats().open);
          await sleep(50);
        }
        const whileCut = proxy.stats();
        proxy.heal();
        const healedAt = Date.now();
        const reconnected = await until(
          async () => proxy.stats().lastForwardedAt ?? 0,
          (at) => at >= healedAt,
          60_000,
          100,
        );
        const drained = await until(
          () => probe.lag(service),
          (lag) => lag === 0,
          90_000,
        );
        const refused = whileCut.refused - atCut.refused + (whileCut.blackholed - atCut.blackholed);
        const data = {
          service,
          severed: whileCut.severed - atCut.severed,
          refused,
          maxOpen,
          lagBefore,
          lagAtHeal,
          waiting,
          producedWhileCut: producedLate - producedEarly,
          reconnectedMs: reconnected === null ? null : reconnected - healedAt,
          drainedMs: drained === null ? null : drained - healedAt,
        };
        return {
          detail:
            `${service} cut off the broker for ${seconds(healedAt - cutAt)} (${data.severed} connections reset, ${refused} new ones ${mode === 'refuse' ? 'refused' : 'blackholed'}, none open); ` +
            `its consumer lag ${lagBefore} → ${lagAtHeal}, ${data.producedWhileCut} records of it reached the broker while cut, ${waiting} orders not terminal at the heal; ` +
            `reconnected ${data.reconnectedMs === null ? 'NOT within 60 s' : `${seconds(data.reconnectedMs)} after the heal`}, ` +
            `lag drained ${data.drainedMs === null ? 'NOT within 90 s' : `${seconds(data.drainedMs)} after it`}`,
          data,
        };
      } finally {
        proxy.heal();
        await probe.disconnect().catch(() => {});
      }
    },
    async check(_ctx, outcome) {
      const d = outcome.data as
        | {
            service: string;
            severed: number;
            refused: number;
            maxOpen: number;
            lagBefore: number;
            lagAtHeal: number;
            producedWhileCut: number;
            reconnectedMs: number | null;
            drainedMs: number | null;
          }
        | undefined;
      if (!d) return [{ name: 'the service was cut off the broker', pass: false, detail: outcome.detail }];
      return [
        {
          name: `${d.service} really had no broker connection while cut`,
          pass: d.severed > 0 && d.refused > 0 && d.maxOpen === 0 && d.producedWhileCut === 0 && d.lagAtHeal > d.lagBefore,
          detail: `${d.severed} reset at the cut, ${d.refused} attempts refused, at most ${d.maxOpen} open; lag ${d.lagBefore} → ${d.lagAtHeal}; ${d.producedWhileCut} records produced`,
        },
        {
          name: `${d.service} reconnected after the heal and drained its lag`,
          pass: d.reconnectedMs !== null && d.drainedMs !== null,
          detail: `reconnected ${d.reconnectedMs === null ? 'never' : seconds(d.reconnectedMs)}, drained ${d.drainedMs === null ? 'never' : seconds(d.drainedMs)} after the heal`,
        },
      ];
    },
  };
}

type GroupState = { state: string; members: { clientId: string; partitions: number }[] };

async function groupState(probe: Awaited<ReturnType<typeof brokerProbe>>, groupId: string): Promise<GroupState> {
  const { groups } = await probe.admin.describeGroups([groupId]);
  const group = groups[0];
  return {
    state: group?.state ?? 'unknown',
    members: (group?.members ?? []).map((member) => {
      const assignment =
        member.memberAssignment.length > 0 ? (AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment ?? {}) : {};
      return { clientId: member.clientId, partitions: Object.values(assignment).reduce((sum, partitions) => sum + partitions.length, 0) };
    }),
  };
}

const describeGroup = (g: GroupState) => `${g.state}: ${g.members.map((m) => `${m.clientId} ${m.partitions}`).join(', ') || 'no members'}`;

/**
 * A zombie consumer: a second process of the service joins its consumer group, then the first one
 * is frozen (SIGSTOP) long enough for its group session (10 s) to expire, so that all its partitions
 * move to the replica, which goes on with their records. Then the frozen one is woken (SIGCONT): it
 * still believes it owns its partitions and carries on where it stopped — finishes its batch,
 * commits offsets with a dead generation, relays its outbox — before it learns it was thrown out
 * and rejoins. Whatever it still does must break nothing; the replica then leaves.
 */
export function zombieConsumer(service: ServiceName = 'payment-service'): FaultSpec {
  return {
    name: `zombie consumer (${service} frozen past its session, woken)`,
    atS: 2,
    durationS: 35,
    async inject(ctx) {
      const { platform } = ctx;
      const groupId = platform.prefix + service;
      const zombieId = `${service}-${service}-1`;
      const pid = platform.pid(service);
      const probe = await brokerProbe(ctx);
      const started = Date.now();
      const replica = await platform.startReplica(service);
      try {
        const joinedAfter = Date.now() - started;
        let last: GroupState = { state: 'unknown', members: [] };
        const watch = (done: (g: GroupState) => boolean, timeoutMs: number) =>
          until(
            async () => (last = await groupState(probe, groupId)),
            (g) => g.state === 'Stable' && done(g),
            timeoutMs,
            250,
          );
        const shared = await watch((g) => g.members.length === 2 && g.members.every((m) => m.partitions > 0), 30_000);
        const before = last;
        const zombiePartitions = before.members.find((m) => m.clientId === zombieId)?.partitions ?? 0;
        const logFile = platform.logFile(service);
        const logFrom = existsSync(logFile) ? statSync(logFile).size : 0;
        const waitingAtFreeze = await nonTerminalOrders(ctx.infra, platform).catch(() => -1);
        platform.pause(service);
        const pausedAt = Date.now();
        const moved = await watch((g) => g.members.length === 1 && g.members[0]!.clientId !== zombieId, 40_000);
        const whileFrozen = last;
        await sleep(3_000); // the replica goes on with the zombie's partitions
        platform.resume(service);
        const wokeAt = Date.now();
        const rejoined = await watch((g) => g.members.length === 2 && g.members.some((m) => m.clientId === zombieId && m.partitions > 0), 40_000);
        const after = last;
        await sleep(3_000);
        await replica.stop('SIGTERM');
        const zombieLog = existsSync(logFile) ? readFileSync(logFile).subarray(logFrom).toString('utf8') : '';
        // What it did on waking, as its log says (kafkajs: what the broker answered its heartbeat and commit).
        const woke = zombieLog
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => {
            try {
              const entry = JSON.parse(line) as { msg?: string; error?: string };
              return `${entry.msg ?? ''}${entry.error && !entry.msg?.startsWith(entry.error) ? ` → ${entry.error}` : ''}`.replace(
                /\d+(\.\d+)?ms/g,
                '…',
              );
            } catch {
              return null;
            }
          })
          .filter((m) => m !== null);
        const kinds = [...new Set(woke)].slice(0, 4);
        const staleRefused = woke.filter((m) => /not aware of this member|generation|rebalanc/i.test(m)).length;
        const data = {
          pid,
          zombiePartitions,
          shared: shared !== null,
          movedMs: moved === null ? null : moved - pausedAt,
          frozenMs: wokeAt - pausedAt,
          rejoinedMs: rejoined === null ? null : rejoined - wokeAt,
          staleRefused,
          before: describeGroup(before),
          whileFrozen: describeGroup(whileFrozen),
          after: describeGroup(after),
        };
        return {
          detail:
            `a replica of ${service} joined (healthy after ${seconds(joinedAfter)}; group ${data.before}); pid ${pid} frozen with ${zombiePartitions} partitions and ${waitingAtFreeze} orders not terminal, ` +
            `its partitions ${moved === null ? 'NOT moved in 40 s' : `moved to the replica ${seconds(data.movedMs!)} later (${data.whileFrozen})`}; woken after ${seconds(data.frozenMs)} frozen, ` +
            `${rejoined === null ? 'NOT back in the group in 40 s' : `back in the group ${seconds(data.rejoinedMs!)} later (${data.after})`}; ` +
            `it logged ${woke.length} lines on waking${kinds.length ? ` (${kinds.map((k) => `"${k}"`).join(', ')})` : ''}; replica left`,
          data,
        };
      } finally {
        platform.resume(service);
        await replica.stop('SIGTERM').catch(() => {});
        await probe.disconnect().catch(() => {});
      }
    },
    async check(_ctx, outcome) {
      const d = outcome.data as
        | { zombiePartitions: number; shared: boolean; movedMs: number | null; rejoinedMs: number | null; whileFrozen: string; staleRefused: number }
        | undefined;
      if (!d) return [{ name: 'a zombie consumer was made', pass: false, detail: outcome.detail }];
      return [
        {
          name: 'the frozen process lost its partitions to the replica (session expired)',
          pass: d.shared && d.zombiePartitions > 0 && d.movedMs !== null,
          detail: `owned ${d.zombiePartitions} partitions; moved after ${d.movedMs === null ? 'never' : seconds(d.movedMs)} (${d.whileFrozen})`,
        },
        {
          name: 'the woken zombie acted as a member it no longer was (the broker refused it)',
          pass: d.staleRefused > 0,
          detail: `${d.staleRefused} requests of it refused as from a dead member or generation`,
        },
        {
          name: 'the woken zombie rejoined its group',
          pass: d.rejoinedMs !== null,
          detail: d.rejoinedMs === null ? 'not back in 40 s' : `${seconds(d.rejoinedMs)} after waking`,
        },
      ];
    },
  };
}
