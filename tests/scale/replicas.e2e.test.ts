import { randomUUID } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoadTest } from '../../scripts/load/load-test.ts';
import type { LoadReport } from '../../scripts/load/report.ts';
import { describeConsumerGroups } from '../support/consumer-groups.ts';
import { serviceNames, type ServiceName } from '../support/platform.ts';
import { haproxyServers, startReplicatedPlatform, type ReplicatedPlatform } from '../support/replicated-platform.ts';
import { eventually, testEnv } from '../support/test-infra.ts';

let platform: ReplicatedPlatform;

/** The consumer group of each service's saga handlers (the order service's replies). */
const sagaTopicOf: Record<ServiceName, string[]> = {
  'product-service': ['product-reservation-request'],
  'payment-service': ['payment-request'],
  'order-service': ['product-reservation-response', 'payment-response'],
};
const partitions = [0, 1, 2, 3];

const failedInvariants = (report: LoadReport) => report.invariants.filter((i) => !i.pass).map((i) => `${i.name}: ${i.detail}`);

async function publishedOutboxRows(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('outbox_messages_published_total{'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

/** Each service's saga group: which partitions of its topics each member owns. */
async function sagaGroupAssignments(): Promise<Record<ServiceName, Record<string, number[]>[]>> {
  // A member that rejoins (a slow heartbeat on a busy machine) puts its group through a rebalance;
  // read the assignments once every group is Stable again (bounded: the test fails after 30 s).
  const groupIds = serviceNames.map((service) => `${platform.prefix}${service}`);
  const groups = await eventually(
    () => describeConsumerGroups(groupIds),
    (seen) => seen.every((g) => g.state === 'Stable'),
    30_000,
    500,
  );
  return Object.fromEntries(
    serviceNames.map((service) => {
      const group = groups.find((g) => g.groupId === `${platform.prefix}${service}`)!;
      return [
        service,
        group.members.map((member) =>
          Object.fromEntries(
            sagaTopicOf[service].map((topic) => [topic, [...(member.assignment[`${platform.prefix}${topic}`] ?? [])].sort((a, b) => a - b)]),
          ),
        ),
      ];
    }),
  ) as Record<ServiceName, Record<string, number[]>[]>;
}

interface SagaHistoryCheck {
  orders: number;
  broken: string[];
  timerFirings: number;
  timersAppliedTwice: string[];
}

/**
 * Read straight from the order database: every order's saga_event rows form one unbroken chain
 * (sequence 1..n = event_count, each step starting from the state the previous one ended in), which
 * is what the row lock guarantees across replicas; and no timer (order, timer, attempt) was applied
 * twice, whichever replica's job or sweep fired it.
 */
async function checkSagaHistories(): Promise<SagaHistoryCheck> {
  const connection = await createConnection({
    host: testEnv.DB_HOST,
    port: testEnv.DB_PORT,
    user: testEnv.DB_USER,
    password: testEnv.DB_PASSWORD,
    database: platform.database['order-service'],
  });
  try {
    const [orders] = (await connection.query('select id, event_count from customer_order')) as unknown as [{ id: string; event_count: number }[]];
    const [events] = (await connection.query(
      'select order_id, sequence, event_type, event, source, state_before, state_after from saga_event order by order_id, sequence',
    )) as unknown as [
      { order_id: string; sequence: number; event_type: string; event: unknown; source: string; state_before: string | null; state_after: string }[],
    ];
    const byOrder = new Map<string, typeof events>();
    for (const event of events) byOrder.set(event.order_id, [...(byOrder.get(event.order_id) ?? []), event]);
    const broken: string[] = [];
    for (const order of orders) {
      const history = byOrder.get(order.id) ?? [];
      if (history.length !== order.event_count) broken.push(`${order.id}: ${history.length} events, event_count ${order.event_count}`);
      history.forEach((event, i) => {
        if (event.sequence !== i + 1) broken.push(`${order.id}: event ${i + 1} has sequence ${event.sequence}`);
        const expectedBefore = i === 0 ? null : history[i - 1].state_after;
        if (event.state_before !== expectedBefore)
          broken.push(`${order.id}#${event.sequence} starts in ${event.state_before}, previous ended in ${expectedBefore}`);
      });
    }
    const firings = new Map<string, number>();
    for (const event of events.filter((e) => e.source === 'timer')) {
      const body = (typeof event.event === 'string' ? JSON.parse(event.event) : event.event) as { attempt?: number };
      const key = `${event.order_id} ${event.event_type} attempt ${body.attempt}`;
      firings.set(key, (firings.get(key) ?? 0) + 1);
    }
    return {
      orders: orders.length,
      broken,
      timerFirings: [...firings.values()].reduce((a, b) => a + b, 0),
      timersAppliedTwice: [...firings].filter(([, n]) => n > 1).map(([key, n]) => `${key}: ${n}×`),
    };
  } finally {
    await connection.end();
  }
}

describe('two replicas of every service behind a balancer: one database and one consumer group per service', () => {
  beforeAll(async () => {
    platform = await startReplicatedPlatform({
      replicas: 2,
      // E2E_BALANCER=in-process runs the test without HAProxy even where it is installed
      balancer: (process.env.E2E_BALANCER as 'haproxy' | 'in-process' | undefined) ?? 'auto',
      env: {
        // Short deadlines with many attempts: while a killed replica's partitions wait for the
        // group to notice (session timeout 10 s), timers fire and commands are re-sent, on both replicas.
        SAGA_TIMEOUT_MS: '3000',
        SAGA_RESERVATION_MAX_ATTEMPTS: '20',
        SAGA_PAYMENT_MAX_ATTEMPTS: '20',
        SAGA_CONFIRMATION_MAX_ATTEMPTS: '20',
        // Six processes share the server's connection budget (MariaDB's default max_connections is
        // 151, and other work on this machine holds some): 6 × 6 instead of 6 × 24.
        DB_POOL_MAX: '6',
        // This test is about replicas, not about tokens.
        AUTH_MODE: 'off',
      },
    });
    console.log(`replicated platform: ${platform.replicas.length} processes behind ${platform.balancer}`);
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('keeps every invariant over 60 orders, with every replica serving HTTP, consuming its share of partitions and relaying its outbox', async () => {
    const { report } = await runLoadTest({ urls: urls(), orders: 60, concurrency: 20, measureFloor: false, deadlineMs: 60_000, auth: null });
    expect(failedInvariants(report)).toEqual([]);
    expect(report.orders).toMatchObject({ placed: 60, accepted: 60, notTerminal: 0, postErrors: 0 });

    if (platform.statsUrl) {
      const servers = await haproxyServers(platform.statsUrl);
      expect(servers).toHaveLength(6);
      for (const server of servers) expect(server.total, `${server.backend}/${server.server} requests`).toBeGreaterThan(0);
    }

    // Kafka: each saga group has two members owning disjoint halves of the four partitions.
    const assignments = await sagaGroupAssignments();
    for (const service of serviceNames) {
      expect(assignments[service], service).toHaveLength(2);
      for (const topic of sagaTopicOf[service]) {
        const owned = assignments[service].map((member) => member[topic]);
        expect(
          owned.every((p) => p.length > 0),
          `${service} ${topic}: ${JSON.stringify(owned)}`,
        ).toBe(true);
        expect(
          owned.flat().sort((a, b) => a - b),
          `${service} ${topic}`,
        ).toEqual(partitions);
      }
    }

    // Outbox: both replicas of every service published rows (SKIP LOCKED lets them share the table).
    for (const replica of platform.replicas) {
      expect(await publishedOutboxRows(replica.url), `${replica.service} replica ${replica.index} published`).toBeGreaterThan(0);
    }

    const histories = await checkSagaHistories();
    expect(histories.orders).toBe(60);
    expect(histories.broken).toEqual([]);
    expect(histories.timersAppliedTwice).toEqual([]);
  }, 180_000);

  it('loses nothing when one replica of each service is killed with SIGKILL mid-load', async () => {
    const ordersBefore = (await checkSagaHistories()).orders;
    // assigned in a callback, which narrowing cannot see: declared so that `await killing` is typed as a promise
    let killing = null as Promise<void> | null;
    const { report } = await runLoadTest({
      urls: urls(),
      auth: null, // the platform runs with AUTH_MODE=off
      rate: 10,
      durationS: 9,
      measureFloor: false,
      deadlineMs: 90_000,
      // A client that retries safely: with an Idempotency-Key the balancer may retry an order
      // whose replica died after receiving it (the key returns the same order, never a second one).
      authHeader: () => ({ 'idempotency-key': randomUUID() }),
      onProgress: (progress) => {
        if (!killing && progress.sent >= 30) {
          killing = Promise.all(serviceNames.map((service) => platform.kill(service, 1, 'SIGKILL'))).then(() => {});
        }
      },
    });
    expect(killing, 'the replicas were killed while orders were being placed').not.toBeNull();
    await killing;
    expect(failedInvariants(report)).toEqual([]);
    expect(report.orders).toMatchObject({ placed: 90, accepted: 90, notTerminal: 0, postErrors: 0 });

    // The survivors own every partition now.
    const assignments = await eventually(sagaGroupAssignments, (a) => serviceNames.every((s) => a[s].length === 1), 30_000, 500);
    for (const service of serviceNames) {
      for (const topic of sagaTopicOf[service]) expect(assignments[service][0][topic], `${service} ${topic}`).toEqual(partitions);
    }
    if (platform.statsUrl) {
      const servers = await haproxyServers(platform.statsUrl);
      const down = servers.filter((s) => s.status !== 'UP').map((s) => s.server);
      expect(down.sort()).toEqual(['order-1', 'payment-1', 'product-1']);
      const retried = servers.reduce((sum, s) => sum + s.retries + s.redispatches, 0);
      console.log(`haproxy: ${retried} requests retried or redispatched away from a dead replica`);
    }

    const histories = await checkSagaHistories();
    console.log(`after the kill: ${histories.orders} orders, ${histories.timerFirings} timer firings applied`);
    expect(histories.orders).toBe(ordersBefore + 90);
    expect(histories.broken).toEqual([]);
    expect(histories.timersAppliedTwice).toEqual([]);
  }, 240_000);
});

function urls() {
  return { order: platform.url['order-service'], product: platform.url['product-service'], payment: platform.url['payment-service'] };
}
