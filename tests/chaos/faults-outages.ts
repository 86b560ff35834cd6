// Faults of the chaos suite that take a dependency away whole: the database server, one service's
// broker connection, a service's liveness (a zombie consumer). Injected into a load by runScenario.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
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
