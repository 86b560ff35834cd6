import './kafkajs-request-queue-fix.ts';
import { Kafka, logLevel, Partitioners, type KafkaMessage, type SASLOptions } from 'kafkajs';
import type { Logger } from '../observability/logger.ts';
import { errorMessage } from '../db/retryable-errors.ts';
import { sleep } from '../runtime/sleep.ts';
import { createPartitionLanes, laneKey, type PartitionLanes } from './partition-lanes.ts';
import { createOffsetCommitter } from './offset-committer.ts';
import type {
  ConsumerOptions,
  IncomingRecord,
  KafkaAdmin,
  KafkaClient,
  KafkaConnectionSettings,
  KafkaConsumer,
  KafkaProducer,
  OutgoingRecord,
} from './kafka-client.ts';

/** kafkajs 2.2.4 behind the KafkaClient seam. */
// What kafkajs reports at warn/error level although nothing needs a look, kept at debug so a
// service's log shows only what does:
// - the producer's retries are bounded on purpose, so that a send to a broker that is down fails
//   and leaves the record to the outbox relay; a record sent twice that way is dropped by the
//   receiver's inbox (by message id), so nothing relies on the exactly-once guarantee it warns about;
// - a heartbeat answered "rebalancing" is logged as a connection error, and then again by the
//   consumer as the warning that it re-joins (which stays); so is a just-started broker's
//   "coordinator is loading", which kafkajs retries.
const EXPECTED_WARNINGS = new Set(['Limiting retries for the idempotent producer may invalidate EoS guarantees']);
const EXPECTED_CONNECTION_ERRORS = new Set([
  'The group is rebalancing, so a rejoin is needed',
  // A broker that has just started answers so for a moment; kafkajs retries, and says so if it gives up.
  "The coordinator is loading and hence can't process requests for this group",
]);

/** The level one of kafkajs's log entries is written at. */
export function kafkajsLogLevel(level: logLevel, namespace: string, message: string, error: unknown): 'error' | 'warn' | 'debug' {
  if (EXPECTED_WARNINGS.has(message)) return 'debug';
  if (namespace === 'Connection' && typeof error === 'string' && EXPECTED_CONNECTION_ERRORS.has(error)) return 'debug';
  return level === logLevel.ERROR ? 'error' : level === logLevel.WARN ? 'warn' : 'debug';
}

export function createKafkajsClient(settings: KafkaConnectionSettings, logger: Logger): KafkaClient {
  const prefix = settings.topicPrefix ?? '';
  const onWire = (topic: string) => prefix + topic;
  const fromWire = (topic: string) => (prefix && topic.startsWith(prefix) ? topic.slice(prefix.length) : topic);
  const kafka = new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    ssl: settings.ssl,
    sasl: settings.sasl as SASLOptions | undefined,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5_000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...extra } = entry.log;
      const level = kafkajsLogLevel(entry.level, entry.namespace, message, extra.error);
      logger[level]({ kafka: entry.namespace, ...extra }, message);
    },
  });

  return {
    async producer(): Promise<KafkaProducer> {
      const producer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // Murmur2 like the Java client: a key lands on the same partition whoever produces it.
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      return {
        async send(records: readonly OutgoingRecord[]) {
          if (records.length === 0) return;
          const byTopic = new Map<string, OutgoingRecord[]>();
          for (const record of records) {
            const list = byTopic.get(record.topic) ?? [];
            list.push(record);
            byTopic.set(record.topic, list);
          }
          await producer.sendBatch({
            acks: -1,
            topicMessages: [...byTopic].map(([topic, list]) => ({
              topic: onWire(topic),
              messages: list.map((record) => ({ key: record.key, value: record.value, headers: record.headers })),
            })),
          });
        },
        disconnect: () => producer.disconnect(),
      };
    },

    async consumer(options: ConsumerOptions): Promise<KafkaConsumer> {
      const consumer = kafka.consumer({
        groupId: onWire(options.groupId),
        // A long poll: the broker answers as soon as a record arrives, so this only bounds how
        // often an idle consumer asks (and heartbeats between its fetches).
        maxWaitTimeInMs: options.maxWaitTimeMs ?? 2_000,
        // A killed replica's partitions move to the survivors after this long.
        sessionTimeout: 10_000,
        // A third of the session: idle consumers cost the broker little, a dead member is still noticed in 10 s.
        heartbeatInterval: 3_000,
        allowAutoTopicCreation: false,
      });
      await consumer.connect();
      await consumer.subscribe({ topics: options.topics.map(onWire), fromBeginning: options.fromBeginning ?? true });
      const offsets = createOffsetCommitter(consumer, onWire, logger, options);
      let lanes: PartitionLanes | null = null;
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        const assigned = new Set<string>();
        for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
          for (const partition of partitions) assigned.add(laneKey(fromWire(topic), partition));
        }
        offsets.assign(assigned);
        lanes?.keepOnly(assigned);
      });

      async function runBatches(handle: (records: IncomingRecord[]) => Promise<void>): Promise<void> {
        // The first fetch after joining has resolved the group's start offsets: from then on,
        // every newly produced record is seen.
        const joined = new Promise<void>((resolve) => {
          const removeJoin = consumer.on(consumer.events.GROUP_JOIN, () => {
            removeJoin();
            const removeFetch = consumer.on(consumer.events.FETCH, () => {
              removeFetch();
              resolve();
            });
          });
        });
        lanes = createPartitionLanes({
          handle,
          maxBatch: options.maxBatchRecords,
          laneBy: options.laneBy,
          onHandled: (topic, partition, nextOffset) => offsets.handled(topic, partition, nextOffset),
          onError: (error, topic, partition) =>
            logger.error({ err: errorMessage(error), topic, partition }, 'batch handler failed; handing the batch over again'),
        });
        const partitionLanes = lanes;
        await consumer.run({
          autoCommit: false,
          // Each fetched batch is only queued (see PartitionLanes), so every partition is taken at once.
          partitionsConsumedConcurrently: 64,
          eachBatchAutoResolve: false,
          // kafkajs hands these over as closures (its runner builds them per batch), not methods needing `this`.
          // oxlint-disable-next-line typescript/unbound-method
          eachBatch: async ({ batch, resolveOffset, isRunning, isStale }) => {
            if (!isRunning() || isStale() || batch.messages.length === 0) return;
            const topic = fromWire(batch.topic);
            const records = batch.messages.map((message) => toIncomingRecord(topic, batch.partition, message));
            // Moves the fetch position on (what is committed is the lanes' business).
            resolveOffset(batch.lastOffset());
            await partitionLanes.push(topic, batch.partition, records);
          },
        });
        await joined;
      }

      return {
        runBatches,
        run: (handle) =>
          runBatches(async (records) => {
            for (const record of records) await handle(record);
          }),
        async stop() {
          await lanes?.stop();
          await offsets.flush();
          await consumer.stop();
          await consumer.disconnect();
        },
      };
    },

    async admin(): Promise<KafkaAdmin> {
      const admin = kafka.admin();
      await admin.connect();
      return {
        topicOffsets: async (topic) =>
          (await admin.fetchTopicOffsets(onWire(topic))).map((entry) => ({
            partition: entry.partition,
            low: entry.low,
            high: entry.high,
          })),
        groupOffsets: async (groupId, topic) => {
          const [entry] = await admin.fetchOffsets({ groupId: onWire(groupId), topics: [onWire(topic)] });
          return (entry?.partitions ?? []).map((partition) => ({
            partition: partition.partition,
            offset: partition.offset,
          }));
        },
        listTopics: async () => (await admin.listTopics()).filter((topic) => topic.startsWith(prefix)).map(fromWire),
        deleteTopics: (names) => admin.deleteTopics({ topics: names.map(onWire) }),
        async createTopics(layout) {
          // A broker that has just started (KRaft) can answer the leader wait of topics it has just
          // created with UNKNOWN_TOPIC_OR_PARTITION; kafkajs retries only LEADER_NOT_AVAILABLE there.
          // Listing again and creating what is still missing is idempotent, so the whole step is retried.
          for (let attempt = 1; ; attempt++) {
            try {
              const existing = new Set(await admin.listTopics());
              const missing = layout.filter((topic) => !existing.has(onWire(topic.name)));
              if (missing.length === 0) return;
              await admin.createTopics({
                waitForLeaders: true,
                topics: missing.map((topic) => ({
                  topic: onWire(topic.name),
                  numPartitions: topic.partitions,
                  replicationFactor: 1,
                  configEntries: topic.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
                })),
              });
              return;
            } catch (error) {
              const { type, cause } = error as { type?: string; cause?: { type?: string } };
              const code = type ?? cause?.type;
              if (attempt >= 10 || (code !== 'UNKNOWN_TOPIC_OR_PARTITION' && code !== 'LEADER_NOT_AVAILABLE')) throw error;
              await sleep(500);
            }
          }
        },
        disconnect: () => admin.disconnect(),
      };
    },
  };
}

function toIncomingRecord(topic: string, partition: number, message: KafkaMessage): IncomingRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key ? message.key.toString() : null,
    value: message.value,
    headers,
    timestamp: message.timestamp,
  };
}
