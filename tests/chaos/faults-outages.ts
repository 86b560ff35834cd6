// Faults of the chaos suite that take a dependency away whole: the database server, one service's
// broker connection, a service's liveness (a zombie consumer). Injected into a load by runScenario.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { sleep } from '../support/chaos-infra.ts';
import type { ChaosContext, FaultSpec } from '../support/chaos-scenario.ts';
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
