import { Kafka, logLevel, type KafkaMessage, type SASLOptions } from 'kafkajs';
import type { Logger } from '../observability/logger.ts';
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
      const level = entry.level === logLevel.ERROR ? 'error' : entry.level === logLevel.WARN ? 'warn' : 'debug';
      logger[level]({ kafka: entry.namespace, ...extra }, message);
    },
  });

  return {
    async producer(): Promise<KafkaProducer> {
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
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
        maxWaitTimeInMs: options.maxWaitTimeMs ?? 100,
        // A killed replica's partitions move to the survivors after this long.
        sessionTimeout: 10_000,
        heartbeatInterval: 1_000,
        allowAutoTopicCreation: false,
      });
      await consumer.connect();
      await consumer.subscribe({ topics: options.topics.map(onWire), fromBeginning: options.fromBeginning ?? true });
      return {
        async run(handle) {
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
          const keysConcurrently = Math.max(1, options.keysConsumedConcurrently ?? 8);
          await consumer.run({
            autoCommit: true,
            autoCommitInterval: 1_000,
            autoCommitThreshold: options.commitEveryMessage ? 1 : undefined,
            partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
            eachBatchAutoResolve: false,
            eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }) => {
              const records = batch.messages.map((message) => toIncomingRecord(fromWire(batch.topic), batch.partition, message));
              const handled = await handleInKeyLanes(records, keysConcurrently, handle, () => isRunning() && !isStale(), heartbeat);
              if (handled.prefix >= 0) resolveOffset(records[handled.prefix].offset);
              await heartbeat();
              if (handled.failure !== undefined) throw handled.failure;
              await commitOffsetsIfNecessary();
            },
          });
          await joined;
        },
        stop: () => consumer.disconnect(),
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
        listTopics: async () =>
          (await admin.listTopics()).filter((topic) => topic.startsWith(prefix)).map(fromWire),
        deleteTopics: (names) => admin.deleteTopics({ topics: names.map(onWire) }),
        async createTopics(layout) {
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
        },
        disconnect: () => admin.disconnect(),
      };
    },
  };
}

/**
 * Handles one fetched batch in lanes by key: a lane runs its records in offset order, lanes run
 * concurrently. Returns the index of the last record of the longest fully handled prefix (the
 * offset that may be committed) and the first failure, if any.
 */
export async function handleInKeyLanes(
  records: readonly IncomingRecord[],
  concurrency: number,
  handle: (record: IncomingRecord) => Promise<void>,
  mayContinue: () => boolean = () => true,
  heartbeat: () => Promise<void> = async () => {},
): Promise<{ prefix: number; failure?: unknown }> {
  const lanes = new Map<string, number[]>();
  records.forEach((record, index) => {
    const key = record.key ?? '';
    const lane = lanes.get(key);
    if (lane) lane.push(index);
    else lanes.set(key, [index]);
  });
  const done = new Array<boolean>(records.length).fill(false);
  let failure: unknown;
  let failed = false;
  const queue = [...lanes.values()];
  async function worker(): Promise<void> {
    for (let lane = queue.shift(); lane; lane = queue.shift()) {
      for (const index of lane) {
        if (failed || !mayContinue()) return;
        try {
          await handle(records[index]);
          done[index] = true;
        } catch (error) {
          if (!failed) failure = error;
          failed = true;
          return;
        }
        await heartbeat().catch(() => {});
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  let prefix = -1;
  while (prefix + 1 < records.length && done[prefix + 1]) prefix++;
  return failed ? { prefix, failure } : { prefix };
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
