// The faults of the chaos suite, one at a time, each injected into a sustained load by runScenario.
import { topics } from '#shared/contracts/topics.ts';
import { TIMEOUT_EVENT_OF, type SagaTimer } from '#statecharts/saga-types.ts';
import { sleep } from '../support/chaos-infra.ts';
import { cutDatabaseConnections, lockingReadOnHold, pendingTimers, rootConnection, timeoutEventsSince, withRoot } from '../support/chaos-db.ts';
import { startDuplicator } from '../support/chaos-duplicator.ts';
import type { FaultSpec } from '../support/chaos-scenario.ts';
import { serviceNames, type ServiceName } from '../support/platform.ts';

const secondsSince = (t: number) => `${((Date.now() - t) / 1000).toFixed(1)} s`;

/**
 * kill -9 of one service process; started again (same port, same database) after a pause. The load
 * runs `durationS` so that it goes on for a while after the restart (a start takes 5–10 s here).
 */
export function killService(service: ServiceName, durationS: number, pauseMs = 3_000): FaultSpec {
  return {
    name: `kill -9 ${service}`,
    atS: 3,
    durationS,
    async inject({ platform }) {
      const pid = platform.pid(service);
      await platform.kill(service, 'SIGKILL');
      await sleep(pauseMs);
      const restarting = Date.now();
      await platform.start(service);
      return { detail: `pid ${pid} killed; restarted after a ${pauseMs / 1000} s pause, healthy ${secondsSince(restarting)} later` };
    },
  };
}

/** kill -9 of the broker JVM; started again on its data directory after a pause. */
export function killKafka(durationS: number, pauseMs = 3_000): FaultSpec {
  return {
    name: 'kill -9 Kafka broker',
    atS: 3,
    durationS,
    async inject({ infra }) {
      const pid = infra.kafkaPid();
      await infra.killKafka();
      await sleep(pauseMs);
      const restarting = Date.now();
      await infra.startKafka();
      return {
        detail: `broker pid ${pid} killed; restarted on its data after a ${pauseMs / 1000} s pause, answering ${secondsSince(restarting)} later`,
      };
    },
  };
}

/**
 * kill -9 in the middle of a large batch: the product service is frozen (SIGSTOP) while orders
 * keep coming, so a backlog of commands piles up on its topics, and meanwhile every product row is
 * locked by a transaction of the test's own. Resumed, the service takes the backlog as one large
 * batch, whose transaction (the inbox checked) stops at its locking read of the product rows; it is
 * killed right there, the rows are released, and it is started again. Nothing of the batch was
 * committed, nor its offset: its records are fetched again and must be handled exactly once — the
 * scenario's checks as for every fault.
 */
export function killMidBatch(durationS: number, freezeMs = 8_000): FaultSpec {
  const service = 'product-service';
  return {
    name: `kill -9 ${service} mid large batch`,
    atS: 3,
    durationS,
    async inject({ infra, platform }) {
      const database = platform.databases[service];
      const holder = await rootConnection(infra.db);
      const watcher = await rootConnection(infra.db);
      try {
        platform.pause(service);
        await sleep(freezeMs);
        await holder.query('start transaction');
        await holder.query(`select id from \`${database}\`.product for update`);
        platform.resume(service);
        const open = await lockingReadOnHold(watcher, database, 10_000);
        await platform.kill(service, 'SIGKILL');
        await sleep(500);
        await holder.query('rollback');
        await sleep(1_500);
        const restarting = Date.now();
        await platform.start(service);
        const when = open
          ? `with its batch transaction open, waiting for the product rows it locks (${open}…)`
          : 'without its batch reaching a product row in 10 s (killed anyway)';
        return {
          detail: `frozen ${freezeMs / 1000} s under load, then killed ${when}; healthy ${secondsSince(restarting)} after the restart`,
          data: { open },
        };
      } finally {
        await holder.query('rollback').catch(() => {});
        await Promise.all([holder.end().catch(() => {}), watcher.end().catch(() => {})]);
      }
    },
    async check(_ctx, outcome) {
      const { open } = outcome.data as { open: string | null };
      return [
        {
          name: 'killed inside an open batch transaction',
          pass: open !== null,
          detail:
            open === null ? 'no batch transaction was seen waiting' : 'killed while its transaction waited for product rows; nothing of it committed',
        },
      ];
    },
  };
}

const timerOfEvent = Object.fromEntries(Object.entries(TIMEOUT_EVENT_OF).map(([timer, event]) => [event, timer])) as Record<string, SagaTimer>;

/**
 * FLUSHALL on Redis: every BullMQ delayed timer job and every job scheduler (the timer sweep among
 * them) is gone. So that lost timers matter, the payment service is frozen (SIGSTOP) from just
 * before the flush until well after the deadlines: the orders waiting for a payment can only move
 * on through their payment timer, whose job no longer exists — the sweep must fire it.
 */
export function flushRedis(freezeMs = 20_000): FaultSpec {
  return {
    name: 'Redis FLUSHALL (timer jobs lost)',
    atS: 2,
    async inject({ infra, platform }) {
      platform.pause('payment-service');
      await sleep(1_500); // orders reach RESERVED and arm their payment timers (jobs in Redis)
      const pending = await withRoot(infra.db, (c) => pendingTimers(c, platform.databases['order-service']));
      await infra.flushRedis();
      const flushedAt = Date.now();
      await sleep(freezeMs);
      platform.resume('payment-service');
      const resumedAt = Date.now();
      return {
        detail: `FLUSHALL with ${pending.length} saga timers pending (their jobs lost); payment service frozen ${((resumedAt - flushedAt) / 1000 + 1.5).toFixed(0)} s around it`,
        data: { pending, flushedAt, resumedAt },
      };
    },
    async check(ctx, outcome) {
      const { platform } = ctx;
      const { pending, flushedAt, resumedAt } = outcome.data as {
        pending: { orderId: string; timer: string; attempt: number; deadlineAt: Date }[];
        flushedAt: number;
        resumedAt: number;
      };
      // A payment timer armed before the flush and due well before the payment service came back:
      // its order could not move on otherwise, so it must have fired although its job was flushed.
      const mustFire = pending.filter((t) => t.timer === 'payment' && t.deadlineAt.getTime() < resumedAt - 2_000);
      const events = await withRoot(ctx.infra.db, (c) => timeoutEventsSince(c, platform.databases['order-service'], new Date(flushedAt - 1_000)));
      const fired = new Set(events.map((e) => `${e.orderId}/${timerOfEvent[e.eventType]}/${e.attempt}`));
      const notFired = mustFire.filter((t) => !fired.has(`${t.orderId}/${t.timer}/${t.attempt}`));
      const firedAt = mustFire
        .map((t) => events.find((e) => e.orderId === t.orderId && timerOfEvent[e.eventType] === t.timer && e.attempt === t.attempt))
        .filter((e) => e !== undefined)
        .map((e) => e.occurredAt.getTime() - flushedAt);
      return [
        {
          name: 'timers whose jobs were flushed still fired (the sweep)',
          pass: mustFire.length > 0 && notFired.length === 0,
          detail:
            mustFire.length === 0
              ? 'no payment timer was pending at the flush: nothing tested'
              : `${mustFire.length - notFired.length} of ${mustFire.length} fired, ${(Math.min(...firedAt) / 1000).toFixed(1)}–${(Math.max(...firedAt) / 1000).toFixed(1)} s after the flush${
                  notFired.length
                    ? `; never fired: ${notFired
                        .slice(0, 3)
                        .map((t) => `${t.orderId} ${t.timer}#${t.attempt}`)
                        .join(', ')}`
                    : ''
                }`,
        },
      ];
    },
  };
}

/** KILLs every connection of the platform's databases, again and again, for a few seconds. */
export function cutDatabase(durationMs = 3_000): FaultSpec {
  return {
    name: 'MariaDB connections cut',
    atS: 3,
    async inject({ infra, platform }) {
      const killed = await cutDatabaseConnections(infra.db, Object.values(platform.databases), durationMs, 100);
      return { detail: `${killed} connections KILLed over ${durationMs / 1000} s (every 100 ms)` };
    },
  };
}

/** Every record on the four saga topics published a second time by a helper process. */
export function duplicateStorm(durationS: number): FaultSpec {
  const sagaTopics = [topics.productReservationRequest, topics.productReservationResponse, topics.paymentRequest, topics.paymentResponse];
  return {
    name: 'duplicate delivery storm',
    atS: 0,
    async inject({ infra, platform }) {
      const started = Date.now();
      const duplicator = await startDuplicator(infra.kafkaBrokers, platform.prefix, sagaTopics, infra.kafkaCredentials('admin'));
      const joinedAfter = Date.now() - started;
      await sleep(Math.max(0, durationS * 1000 + 5_000 - (Date.now() - started)));
      const duplicated = await duplicator.stop();
      return {
        detail: `${duplicated} saga records delivered twice (helper joined after ${(joinedAfter / 1000).toFixed(1)} s)`,
        data: { duplicated },
      };
    },
    async check(_ctx, outcome) {
      const duplicated = Number(outcome.data?.duplicated ?? 0);
      return [{ name: 'the storm did duplicate records', pass: duplicated > 0, detail: `${duplicated} records duplicated` }];
    },
  };
}

/** A second process of every service joins the consumer groups (rebalance), works, then leaves (SIGTERM). */
export function rebalance(holdMs = 6_000): FaultSpec {
  return {
    name: 'consumer group rebalance (replicas join, leave)',
    atS: 2,
    durationS: 20,
    async inject({ platform }) {
      const started = Date.now();
      const replicas = await Promise.all(serviceNames.map((service) => platform.startReplica(service)));
      const joinedAfter = Date.now() - started;
      await sleep(holdMs);
      await Promise.all(replicas.map((replica) => replica.stop('SIGTERM')));
      return {
        detail: `a 2nd process of each of the 3 services joined (healthy after ${(joinedAfter / 1000).toFixed(1)} s), stayed ${holdMs / 1000} s, left`,
      };
    },
  };
}
