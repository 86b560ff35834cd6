// Bad input, over HTTP and over Kafka, against the three services as processes (own broker, Redis
// and databases). HTTP: every operation of every service's OpenAPI document gets the catalogue of
// tests/support/chaos-bad-input-probes.ts; each request must be refused with a 4xx problem, promptly, and
// leave no trace. Kafka: malformed and schema-invalid records on every consumed topic become dead
// letters with their reason, and the partitions keep flowing behind them.
import { randomUUID } from 'node:crypto';
import type { RowDataPacket } from 'mysql2/promise';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicLayout, topics } from '#shared/contracts/topics.ts';
import { oversizedThenReuse } from '../support/chaos-bad-input-keep-alive.ts';
import { operationsOf, type Operation } from '../support/chaos-bad-input-operations.ts';
import { probesFor, wrongMethodProbe } from '../support/chaos-bad-input-probes.ts';
import { send, verdict, type ProbeResult } from '../support/chaos-bad-input-send.ts';
import { injectionStrings } from '../support/chaos-bad-input-values.ts';
import { withRoot } from '../support/chaos-db.ts';
import { testSasl } from '../support/kafka-access.ts';
import { sleep, startChaosInfra, type ChaosInfra } from '../support/chaos-infra.ts';
import { startChaosPlatform, type ChaosPlatform } from '../support/chaos-platform.ts';
import { customers, orderBody, platformClient, products, type PlatformClient } from '../support/platform-client.ts';
import { serviceNames } from '../support/platform.ts';
import { eventually } from '../support/test-infra.ts';

const log = (message: string) => console.log(`[bad-input ${new Date().toISOString().slice(11, 23)}] ${message}`);

let infra: ChaosInfra;
let platform: ChaosPlatform;
let client: PlatformClient;
let operations: Operation[] = [];

/** Everything a refused request must not have changed: every table's row count, and what the APIs show. */
async function snapshot(): Promise<Record<string, unknown>> {
  const counts = await withRoot(infra.db, async (connection) => {
    const out: Record<string, number> = {};
    for (const db of Object.values(platform.databases)) {
      const [tables] = await connection.query<RowDataPacket[]>('select table_name as t from information_schema.tables where table_schema = ?', [db]);
      for (const { t } of tables) {
        const [rows] = await connection.query<RowDataPacket[]>(`select count(*) as n from \`${db}\`.\`${t}\``);
        out[`${db}.${t}`] = Number(rows[0].n);
      }
    }
    return out;
  });
  const get = async (url: string) => {
    const response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
    return response.json();
  };
  const order = platform.url['order-service'];
  const product = platform.url['product-service'];
  const payment = platform.url['payment-service'];
  return {
    counts,
    products: await get(`${product}/api/v1/products?size=100`),
    catalog: await get(`${order}/api/v1/catalog/products`),
    credits: await Promise.all(Object.values(customers).map((id) => get(`${payment}/api/v1/credits/${id}`))),
    orders: await get(`${order}/api/v1/orders?size=200`),
    deadLetters: await get(`${order}/api/v1/dead-letters?size=200`),
  };
}

async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]);
      }
    }),
  );
  return results;
}

describe('chaos: bad input is refused over HTTP and dead-lettered over Kafka', () => {
  beforeAll(async () => {
    infra = await startChaosInfra();
    platform = await startChaosPlatform({ infra, name: 'badinput' });
    client = platformClient(platform);
    await client.waitForCatalog();
    for (const service of serviceNames) {
      const doc = await (await fetch(`${platform.url[service]}/openapi.json`)).json();
      operations.push(...operationsOf(service, platform.url[service], doc));
    }
    log(`${operations.length} operations in the three OpenAPI documents; logs in ${infra.dir}`);
  });

  afterAll(async () => {
    await platform?.stop();
    await platform?.dropDatabases();
    await infra?.stop();
  });

  it('refuses every bad request with a 4xx problem, promptly, and persists nothing', async () => {
    // Authentication is off on this platform (AUTH_MODE=off when it exists): validation is what answers.
    expect((await fetch(`${platform.url['product-service']}/api/v1/products`)).status).toBe(200);
    const taken = new Set(operations.map((op) => `${op.method} ${op.path}`));
    const probes = operations.flatMap((op) => probesFor(op));
    for (const path of new Set(operations.map((op) => op.path))) {
      const probe = wrongMethodProbe(
        operations.find((op) => op.path === path)!,
        taken,
      );
      if (probe) probes.push(probe);
    }
    const before = await snapshot();
    const started = Date.now();
    const results: ProbeResult[] = await inParallel(probes, 6, (probe) => send(probe));
    const after = await snapshot();
    const bad = results
      .map((result) => ({ result, why: verdict(result) }))
      .filter((entry) => entry.why !== null)
      .map(({ result, why }) => `${result.probe.op.service} ${result.probe.method} ${result.probe.op.path} — ${result.probe.label}: ${why}`);
    const byStatus = new Map<number, number>();
    for (const result of results) byStatus.set(result.status, (byStatus.get(result.status) ?? 0) + 1);
    const slowest = results.reduce((a, b) => (b.ms > a.ms ? b : a));
    log(
      `${results.length} bad requests over ${operations.length} operations in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
        `${[...byStatus]
          .sort(([a], [b]) => a - b)
          .map(([s, n]) => `${s}×${n}`)
          .join(', ')}; slowest ${slowest.ms.toFixed(0)} ms (${slowest.probe.method} ${slowest.probe.op.path} ${slowest.probe.label})`,
    );
    for (const result of results.filter((r) => ![400, 404, 413, 415].includes(r.status))) {
      log(`  ${result.status}: ${result.probe.op.service} ${result.probe.method} ${result.probe.op.path} — ${result.probe.label}`);
    }
    for (const line of bad.slice(0, 40)) log(`  NOT REFUSED PROPERLY: ${line}`);
    expect(bad).toEqual([]);
    expect(after).toEqual(before);
  });

  // A 413 answered before the body is read: the server must say Connection: close, or else keep the
  // connection it advertised usable. It used to advertise keep-alive and close it 500 ms later (hono's
  // bodyLimit opened the body stream, which @hono/node-server then could not drain), so a pooling
  // client's next request on it (undici, HAProxy http-reuse) got no answer at all. `Connection: close`
  // is no fix: the immediate close resets the connection and the client often loses the 413 itself.
  const oversizedThenReuseAll = async (chunked: boolean) => {
    const outcomes = await Promise.all(
      serviceNames.map(async (service) => {
        const path = operations.find((op) => op.service === service && op.method === 'POST')!.path.replace(/\{[^}]+\}/g, customers.rich);
        return { service, ...(await oversizedThenReuse(platform.url[service], path, chunked)) };
      }),
    );
    for (const o of outcomes)
      log(
        `  ${chunked ? 'chunked' : 'length'} ${o.service}: ${o.first} (connection: ${o.connectionHeader ?? 'not said'}) → next request: ${o.second}`,
      );
    return outcomes;
  };

  it('refuses a body whose declared length is too large without losing the next request on that keep-alive connection', async () => {
    const outcomes = await oversizedThenReuseAll(false);
    expect(outcomes.filter((o) => !/ 413 /.test(o.first) || !(o.second.startsWith('not sent') || / 200 /.test(o.second)))).toEqual([]);
  });

  // The same for a chunked body, which has no length to check: it is read to its end (up to a bound)
  // and then refused, so the connection the 413 advertises stays usable.
  it('refuses an oversized chunked body without losing the next request on that keep-alive connection', async () => {
    const outcomes = await oversizedThenReuseAll(true);
    expect(outcomes.every((o) => / 413 /.test(o.first))).toBe(true); // the 413 itself always arrives
    expect(outcomes.filter((o) => !(o.second.startsWith('not sent') || / 200 /.test(o.second)))).toEqual([]);
  });

  it('dead-letters malformed and schema-invalid records on every consumed topic, with their reason, and keeps flowing', async () => {
    const kafka = new Kafka({
      clientId: 'chaos-poison',
      brokers: [infra.kafkaBrokers],
      logLevel: logLevel.NOTHING,
      ...testSasl(infra.kafkaCredentials('admin')),
    });
    const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const business = ['customer_order', 'saga_event', 'order_stock', 'product_reservation', 'payment', 'credit_history'];
    const businessCounts = () =>
      withRoot(infra.db, async (connection) => {
        const out: Record<string, number> = {};
        for (const db of Object.values(platform.databases)) {
          const [tables] = await connection.query<RowDataPacket[]>('select table_name as t from information_schema.tables where table_schema = ?', [
            db,
          ]);
          for (const { t } of tables.filter((row) => business.includes(row.t))) {
            const [rows] = await connection.query<RowDataPacket[]>(`select count(*) as n from \`${db}\`.\`${t}\``);
            out[`${db}.${t}`] = Number(rows[0].n);
          }
        }
        return out;
      });
    const countsBefore = await businessCounts();
    const envelope = (type: string, payload: unknown, orderId: string) =>
      JSON.stringify({ messageId: randomUUID(), type, orderId, sagaId: orderId, occurredAt: new Date().toISOString(), causationId: null, payload });
    // Per consumed topic: a schema-invalid message of its own family, and a type from another topic.
    const invalidOfFamily: Record<string, [string, unknown]> = {
      [topics.productReservationRequest]: ['ReserveStock', { customerId: 'nope', items: [{ productId: 'x', quantity: -1, price: 0 }] }],
      [topics.productReservationResponse]: ['StockRejected', { code: 'NOT_A_CODE', reason: '' }],
      [topics.paymentRequest]: ['ChargePayment', { customerId: customers.rich, amount: -5 }],
      [topics.paymentResponse]: ['PaymentCompleted', { paymentId: 'x', amount: 0 }],
      [topics.productCatalog]: ['ProductUpserted', { productId: randomUUID(), name: '', price: -1, active: 'yes', revision: -1 }],
    };
    const refusedByHandler: Record<string, [string, unknown]> = {
      [topics.productReservationResponse]: ['StockReserved', {}],
      [topics.paymentResponse]: ['PaymentFailed', { code: 'INSUFFICIENT_CREDIT', reason: 'poison for an order that does not exist' }],
    };
    const consumed = [
      topics.productReservationRequest,
      topics.productReservationResponse,
      topics.paymentRequest,
      topics.paymentResponse,
      topics.productCatalog,
    ];
    const poison: { topic: string; key: string; kind: string; reason: RegExp; partition: number; value: string | Buffer | null }[] = [];
    for (const topic of consumed) {
      const partitions = topicLayout.find((t) => t.name === topic)!.partitions;
      const key = () => randomUUID();
      const kinds: { kind: string; reason: RegExp; value: (key: string) => string | Buffer | null }[] = [
        { kind: 'not JSON', reason: /malformed JSON/i, value: () => Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x67, 0x61, 0x72]) },
        { kind: 'empty value', reason: /empty/i, value: () => null },
        { kind: 'JSON but no envelope', reason: /invalid envelope/i, value: () => JSON.stringify({ hello: 'world', script: injectionStrings[3] }) },
        {
          kind: 'schema-invalid payload',
          reason: /invalid .* message/i,
          value: (k) => envelope(invalidOfFamily[topic][0], invalidOfFamily[topic][1], k),
        },
        {
          kind: 'type of another topic',
          reason: /invalid .* message/i,
          value: (k) => envelope(topic === topics.paymentRequest ? 'ReserveStock' : 'ChargePayment', { customerId: customers.rich, amount: 100 }, k),
        },
      ];
      const refused = refusedByHandler[topic];
      if (refused)
        kinds.push({
          kind: 'valid reply for an unknown order',
          reason: /refused.*unknown order/i,
          value: (k) => envelope(refused[0], refused[1], k),
        });
      const records = kinds.map((entry, index) => {
        const k = key();
        return { topic, key: k, kind: entry.kind, reason: entry.reason, partition: index % partitions, value: entry.value(k) };
      });
      poison.push(...records);
      await producer.send({
        topic: platform.prefix + topic,
        acks: -1,
        messages: records.map((r) => ({ key: r.key, value: r.value, partition: r.partition })),
      });
    }
    log(`${poison.length} poison records on ${consumed.length} topics (every partition of each)`);

    // Each one shows up among the platform's dead letters with its reason.
    type DeadLetterView = { key: string | null; reason: string; originalTopic: string; consumerGroup: string | null };
    const listAll = async (): Promise<DeadLetterView[]> => {
      const items: DeadLetterView[] = [];
      for (let page = 0; ; page++) {
        const response = await fetch(`${platform.url['order-service']}/api/v1/dead-letters?size=200&page=${page}`);
        const body = (await response.json()) as { items: DeadLetterView[]; total: number };
        items.push(...body.items);
        if (body.items.length < 200) return items;
      }
    };
    const letters = await eventually(listAll, (list) => poison.every((p) => list.some((l) => l.key === p.key)), 90_000, 500);
    const missing = poison.filter((p) => !letters.some((l) => l.key === p.key));
    expect(missing.map((p) => `${p.topic} ${p.kind}`)).toEqual([]);
    const wrongReason = poison
      .map((p) => ({ p, letter: letters.find((l) => l.key === p.key)! }))
      .filter(({ p, letter }) => !p.reason.test(letter.reason) || letter.originalTopic !== p.topic || !letter.consumerGroup)
      .map(({ p, letter }) => `${p.topic} ${p.kind}: "${letter.reason}" (${letter.originalTopic}, group ${letter.consumerGroup})`);
    expect(wrongReason).toEqual([]);
    for (const p of poison.slice(0, 6)) log(`  ${p.topic} ${p.kind} → "${letters.find((l) => l.key === p.key)!.reason.slice(0, 100)}"`);

    // Behind the poison, every partition still flows: an order goes through all four saga topics,
    // a new product through the catalog topic.
    const before = await Promise.all([client.stock(products.coffee.id), client.credit(customers.rich)]);
    const id = await client.placeOrder(orderBody(customers.rich, [{ product: products.coffee, quantity: 1 }]));
    expect((await client.waitTerminal(id, 60_000)).orderStatus).toBe('CONFIRMED');
    const after = await Promise.all([client.stock(products.coffee.id), client.credit(customers.rich)]);
    expect(after[0].onHand).toBe(before[0].onHand - 1);
    expect(after[1].balance).toBe(before[1].balance - products.coffee.price);
    const created = await fetch(`${platform.url['product-service']}/api/v1/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'after the poison', price: 777, quantity: 5 }),
    });
    expect(created.status).toBe(201);
    const newProduct = (await created.json()) as { id: string };
    const catalog = await eventually(
      () => client.catalog(),
      (c) => c.items.some((item) => item.productId === newProduct.id),
      60_000,
      200,
    );
    expect(catalog.items.some((item) => item.productId === newProduct.id)).toBe(true);

    // Nothing but the poison was dead-lettered, and the poison changed no business row.
    await sleep(2_000);
    const total = ((await (await fetch(`${platform.url['order-service']}/api/v1/dead-letters?size=1`)).json()) as { total: number }).total;
    expect(total).toBe(poison.length);
    const countsAfter = await businessCounts();
    const grew = Object.entries(countsAfter)
      .filter(([table, n]) => n !== countsBefore[table])
      .map(([table, n]) => `${table} ${countsBefore[table]} → ${n}`);
    // The one valid order: its row, its saga events, its stock and payment rows, its ledger row.
    expect(grew.every((line) => /customer_order|saga_event|order_stock|product_reservation|payment|credit_history/.test(line))).toBe(true);
    const orderRows =
      countsAfter[`${platform.databases['order-service']}.customer_order`] - countsBefore[`${platform.databases['order-service']}.customer_order`];
    expect(orderRows).toBe(1);
    await producer.disconnect();
  });

  it('treats injection strings in free text as data: stored and shown verbatim, nothing else happens', async () => {
    const name = `${injectionStrings[2]} ${injectionStrings[3]}`.slice(0, 200);
    const response = await fetch(`${platform.url['product-service']}/api/v1/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, price: 1234, quantity: 3 }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const product = (await response.json()) as { id: string; name: string };
    expect(product.name).toBe(name);
    expect(((await (await fetch(`${platform.url['product-service']}/api/v1/products/${product.id}`)).json()) as { name: string }).name).toBe(name);
    // The name went through Kafka into the order service's catalog copy unchanged.
    const catalog = await eventually(
      () => client.catalog(),
      (c) => c.items.some((item) => item.productId === product.id),
      60_000,
      200,
    );
    expect((catalog.items.find((item) => item.productId === product.id) as { name?: string } | undefined)?.name).toBe(name);
    // An order whose address is made of injection strings is an ordinary order.
    const body = orderBody(customers.rich, [{ product: products.coffee, quantity: 1 }]);
    body.address = { street: injectionStrings[1], postalCode: injectionStrings[0].slice(0, 20), city: injectionStrings[4] };
    const id = await client.placeOrder(body);
    expect((await client.waitTerminal(id, 60_000)).orderStatus).toBe('CONFIRMED');
    const stored = await withRoot(infra.db, async (connection) => {
      const [rows] = await connection.query<RowDataPacket[]>(
        `select address from \`${platform.databases['order-service']}\`.customer_order where id = ?`,
        [id],
      );
      return typeof rows[0].address === 'string' ? JSON.parse(rows[0].address) : rows[0].address;
    });
    expect(stored).toEqual(body.address);
    expect((await fetch(`${platform.url['product-service']}/api/v1/products?size=100`)).status).toBe(200);
  });
});
