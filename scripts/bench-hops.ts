// npm run bench:hops -- [--last 50] [--since ISO-time] [--json]
// Where one saga's time goes, hop by hop, from the timestamps the platform already records:
// each service's outbox row (created in the transaction that decided the message), the consumer's
// inbox row (written by the transaction that handled it) and the order's own created/terminal times.
// For each message of a saga:
//   transit  outbox created_at (sender) → inbox received_at (receiver): the rest of the sender's
//            transaction and its COMMIT, the publish, Kafka, the receiver's fetch and the start of
//            its transaction
//   handle   inbox received_at → created_at of the message the receiver sent next for that order:
//            the receiver's load, decision and writes up to its own outbox row (both are read from
//            one clock reading per batch transaction, so this leg is ~0 and its time is in transit)
// The times are the services' clocks at millisecond resolution: read them as averages over many
// orders, not as one order's exact story. Run it right after `bench:saga --phases a` (one at a time).
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { parseCliArgs } from './lib/cli-args.ts';

const usage = 'Usage: npm run bench:hops -- [--last 50] [--since 2026-12-02T10:00:00Z] [--json]';
const values = parseCliArgs({ last: { type: 'string', default: '50' }, since: { type: 'string' }, json: { type: 'boolean', default: false } }, usage);
const last = Number(values.last);
if (!(last > 0)) {
  console.error('--last takes a positive number of orders');
  console.error(usage);
  process.exit(2);
}

const env = process.env;
const prefix = env.DB_NAME_PREFIX ?? '';
const databases = { order: `${prefix}order_db`, product: `${prefix}product_db`, payment: `${prefix}payment_db` } as const;
type Service = keyof typeof databases;

interface Sent {
  service: Service;
  key: string;
  type: string;
  messageId: string;
  createdAt: number;
}
interface Received {
  service: Service;
  messageId: string;
  receivedAt: number;
}

let db: Connection;
try {
  db = await createConnection({
    host: env.DB_HOST ?? '127.0.0.1',
    port: Number(env.DB_PORT ?? 3306),
    user: env.DB_USER ?? 'root',
    password: env.DB_PASSWORD ?? '',
    timezone: 'Z',
    dateStrings: false,
  });
} catch (error) {
  console.error(`MariaDB does not answer (${(error as Error).message}); start it with bash infra/up.sh`);
  process.exit(1);
}

const time = (value: Date) => value.getTime();
const [orders] = await db.query<RowDataPacket[]>(
  `SELECT id, created_at, terminal_at, status FROM ${databases.order}.customer_order
    WHERE terminal_at IS NOT NULL ${values.since ? 'AND created_at >= ?' : ''} ORDER BY created_at DESC LIMIT ?`,
  values.since ? [new Date(values.since), last] : [last],
);
if (orders.length === 0) {
  console.error('no terminal orders found (place some first, e.g. npm run bench:saga -- --phases a)');
  process.exit(1);
}
const orderIds = orders.map((o) => String(o.id));

const sent: Sent[] = [];
const received = new Map<string, Received>();
for (const service of Object.keys(databases) as Service[]) {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT message_key, type, message_id, created_at FROM ${databases[service]}.outbox_message WHERE message_key IN (?)`,
    [orderIds],
  );
  for (const row of rows)
    sent.push({
      service,
      key: String(row.message_key),
      type: String(row.type),
      messageId: String(row.message_id),
      createdAt: time(row.created_at as Date),
    });
}
const messageIds = sent.map((s) => s.messageId);
for (const service of Object.keys(databases) as Service[]) {
  const [rows] = await db.query<RowDataPacket[]>(`SELECT message_id, received_at FROM ${databases[service]}.inbox_message WHERE message_id IN (?)`, [
    messageIds,
  ]);
  for (const row of rows)
    received.set(`${service}:${row.message_id}`, { service, messageId: String(row.message_id), receivedAt: time(row.received_at as Date) });
}
await db.end();

// Per order: its messages in the order they were created; each one's receiver is the service that has its id in its inbox.
const byOrder = new Map<string, Sent[]>();
for (const message of sent) {
  if (!byOrder.has(message.key)) byOrder.set(message.key, []);
  byOrder.get(message.key)!.push(message);
}

interface Leg {
  label: string;
  ms: number[];
}
const legs = new Map<string, Leg>();
const add = (label: string, ms: number) => {
  if (!legs.has(label)) legs.set(label, { label, ms: [] });
  legs.get(label)!.ms.push(ms);
};
const totals: number[] = [];
for (const order of orders) {
  const id = String(order.id);
  const created = time(order.created_at as Date);
  const terminal = time(order.terminal_at as Date);
  totals.push(terminal - created);
  const messages = [...(byOrder.get(id) ?? [])].sort((a, b) => a.createdAt - b.createdAt);
  let previousEnd = created;
  for (const message of messages) {
    const receiver = (Object.keys(databases) as Service[]).map((s) => received.get(`${s}:${message.messageId}`)).find(Boolean);
    add(`${message.service} handles → ${message.type} written`, message.createdAt - previousEnd);
    if (!receiver) continue;
    add(`${message.type}: ${message.service} → ${receiver.service} (commit, publish, Kafka, fetch)`, receiver.receivedAt - message.createdAt);
    previousEnd = receiver.receivedAt;
  }
  add('order service: last reply → terminal', terminal - previousEnd);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [...legs.values()].filter((leg) => leg.ms.length >= orders.length / 2);
if (values.json) {
  console.log(
    JSON.stringify(
      {
        orders: orders.length,
        totalMs: { mean: mean(totals), p50: p50(totals) },
        legs: rows.map((leg) => ({ leg: leg.label, n: leg.ms.length, meanMs: mean(leg.ms), p50Ms: p50(leg.ms) })),
      },
      null,
      2,
    ),
  );
} else {
  console.log(`${orders.length} orders, created → terminal: mean ${mean(totals).toFixed(1)} ms, p50 ${p50(totals)} ms`);
  console.log('| leg (in saga order) | mean ms | p50 ms | n |\n|---|---|---|---|');
  for (const leg of rows) console.log(`| ${leg.label} | ${mean(leg.ms).toFixed(1)} | ${p50(leg.ms)} | ${leg.ms.length} |`);
  const sum = rows.reduce((a, leg) => a + mean(leg.ms), 0);
  console.log(`sum of the legs' means: ${sum.toFixed(1)} ms`);
}
