/**
 * Hot-row benchmark of the product service's stock commands.
 *
 * Starts only the product service, in this process, on a database of its own (product_bench) and on
 * Kafka topics of its own (prefix `it-hot-product-…`, deleted at the end), so it never touches a running
 * environment. Every order asks for 1 unit of the same product. Per round and phase it fires all
 * commands in one producer batch and waits for every reply:
 *
 *   reserve  N ReserveStock at once
 *   confirm  N ConfirmStock at once (for the orders just reserved)
 *   mixed    N fresh orders, ReserveStock and ConfirmStock for each, all at once (2N commands)
 *
 * and reports the time until the last reply, the average handler transaction time
 * (inbox_handle_duration_seconds of the service's registry) and the InnoDB row lock counters
 * (Innodb_row_lock_waits / Innodb_row_lock_time, global). The counters are server-wide: anything else
 * running on the same MariaDB adds to them, so the idle rate right before each phase is shown too.
 *
 *   node product-service/bench/hot-product.ts [orders=400] [rounds=3]
 *
 * DB_HOST/DB_PORT/KAFKA_BROKERS as for the tests.
 */
// First: the broker's admin credentials into the environment, as for the tests (unless it names others).
import '../../tests/kafka-credentials.setup.ts';
import { randomUUID } from 'node:crypto';
import type { Envelope } from '#shared/contracts/envelope.ts';
import { topics } from '#shared/contracts/topics.ts';
import type { KafkaConsumer, OutgoingRecord } from '#shared/kafka/kafka-client.ts';
import {
  commandRecord,
  handlerTime,
  idleRowLocks,
  median,
  rowLockCounters,
  rowLocksBetween,
  serverConnection,
} from '../../tests/support/hot-row-bench.ts';
import { createTestProduct, httpClient, isolatedKafka, productState, startProductService } from '../test/product-test-kit.ts';

const orders = Number(process.argv[2] ?? 400);
const rounds = Number(process.argv[3] ?? 3);
const customerId = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
const price = 1_000;

interface Command {
  type: 'ReserveStock' | 'ConfirmStock';
  orderId: string;
}

interface PhaseResult {
  phase: string;
  commands: number;
  wallMs: number;
  handlerAvgMs: number;
  lockWaits: number;
  lockTimeMs: number;
  idleWaitsPerSecond: number;
}

function recordOf(command: Command, productId: string): OutgoingRecord {
  const payload = command.type === 'ReserveStock' ? { customerId, items: [{ productId, quantity: 1, price }] } : {};
  return commandRecord(command.type, command.orderId, payload);
}

/** Counts the replies on product-reservation-response and lets a phase wait for its total. */
function replyCounter() {
  let seen = 0;
  const types = new Map<string, number>();
  let waiter: { until: number; resolve: () => void } | null = null;
  return {
    record(type: string) {
      seen++;
      types.set(type, (types.get(type) ?? 0) + 1);
      if (waiter && seen >= waiter.until) waiter.resolve();
    },
    total: () => seen,
    types: () => Object.fromEntries(types),
    waitFor(until: number, timeoutMs: number): Promise<void> {
      if (seen >= until) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${seen} of ${until} replies after ${timeoutMs} ms`)), timeoutMs);
        waiter = {
          until,
          resolve: () => {
            clearTimeout(timer);
            waiter = null;
            resolve();
          },
        };
      });
    },
  };
}

async function main(): Promise<void> {
  const kafka = await isolatedKafka('hot-product');
  const service = await startProductService('product_bench', kafka);
  const http = httpClient(service);
  const db = await serverConnection();
  const producer = await kafka.kafka.producer();
  const replies = replyCounter();
  const replyConsumer: KafkaConsumer = await kafka.kafka.consumer({
    groupId: `bench-replies-${randomUUID()}`,
    topics: [topics.productReservationResponse],
    fromBeginning: false,
  });
  await replyConsumer.run(async (record) => {
    if (record.value) replies.record((JSON.parse(record.value.toString()) as Envelope).type);
  });

  const startingStock = 10 * orders * (rounds + 1);
  const hot = await createTestProduct(http, { price, quantity: startingStock });

  async function runPhase(phase: string, commands: Command[]): Promise<PhaseResult> {
    const { idle, end: before } = await idleRowLocks(db, 1_000);
    const handledBefore = await handlerTime(service, topics.productReservationRequest);
    const expected = replies.total() + commands.length;
    const records = commands.map((command) => recordOf(command, hot.id));
    const started = performance.now();
    await producer.send(records);
    await replies.waitFor(expected, 300_000);
    const wallMs = performance.now() - started;
    const locks = rowLocksBetween(before, await rowLockCounters(db));
    const handledAfter = await handlerTime(service, topics.productReservationRequest);
    const handled = handledAfter.count - handledBefore.count;
    return {
      phase,
      commands: commands.length,
      wallMs: Math.round(wallMs),
      handlerAvgMs: handled ? Math.round(((handledAfter.seconds - handledBefore.seconds) / handled) * 1000 * 10) / 10 : 0,
      lockWaits: locks.waits,
      lockTimeMs: locks.timeMs,
      idleWaitsPerSecond: idle.waits,
    };
  }

  async function round(size: number): Promise<PhaseResult[]> {
    const reserveConfirm = Array.from({ length: size }, () => randomUUID());
    const mixed = Array.from({ length: size }, () => randomUUID());
    return [
      await runPhase(
        'reserve',
        reserveConfirm.map((orderId) => ({ type: 'ReserveStock', orderId })),
      ),
      await runPhase(
        'confirm',
        reserveConfirm.map((orderId) => ({ type: 'ConfirmStock', orderId })),
      ),
      await runPhase(
        'mixed',
        mixed.flatMap((orderId): Command[] => [
          { type: 'ReserveStock', orderId },
          { type: 'ConfirmStock', orderId },
        ]),
      ),
    ];
  }

  try {
    await round(Math.min(50, orders)); // warm-up: JIT, connection pool, consumer fetch sessions
    const results: PhaseResult[][] = [];
    for (let index = 0; index < rounds; index++) {
      const result = await round(orders);
      console.table(result);
      results.push(result);
    }
    const state = await productState(http, hot.id);
    const shipped = Math.min(50, orders) * 2 + rounds * orders * 2;
    console.log('reply types:', replies.types());
    console.log('hot product:', { onHand: state.onHand, reserved: state.reserved, expectedOnHand: startingStock - shipped });
    if (state.reserved !== 0 || state.onHand !== startingStock - shipped) throw new Error('stock does not add up');
    console.log(`median of ${rounds} rounds, ${orders} orders, one hot product:`);
    console.table(
      results[0].map((first, phaseIndex) => {
        const of = (key: keyof PhaseResult) => median(results.map((result) => result[phaseIndex][key] as number));
        return {
          phase: first.phase,
          commands: first.commands,
          wallMs: of('wallMs'),
          handlerAvgMs: of('handlerAvgMs'),
          lockWaits: of('lockWaits'),
          lockTimeMs: of('lockTimeMs'),
          idleWaitsPerSecond: of('idleWaitsPerSecond'),
        };
      }),
    );
  } finally {
    await replyConsumer.stop();
    await producer.disconnect();
    await db.end();
    await service.stop();
    await kafka.close();
  }
}

await main();
