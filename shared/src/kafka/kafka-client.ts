/**
 * The one small seam between the platform and its Kafka client library. Everything else in the
 * project talks to these interfaces, so kafkajs can be swapped (e.g. for @platformatic/kafka)
 * by writing one more implementation of `KafkaClient`.
 */
export interface IncomingRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  timestamp: string;
}

export interface OutgoingRecord {
  topic: string;
  key: string | null;
  value: string | Buffer;
  headers?: Record<string, string>;
}

export interface KafkaProducer {
  /** Resolves once every record is acknowledged by all in-sync replicas (acks = -1). */
  send(records: readonly OutgoingRecord[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface ConsumerOptions {
  groupId: string;
  topics: readonly string[];
  /** Read a topic from its beginning when the group has no committed offset (default true). */
  fromBeginning?: boolean;
  /** How many partitions are fetched and handled in parallel. */
  partitionsConsumedConcurrently?: number;
  /**
   * Within one partition, records with different keys are handled concurrently, up to this many at
   * once; records with the same key always one after the other, in offset order (default 8; 1 makes
   * the partition strictly sequential).
   */
  keysConsumedConcurrently?: number;
  /** How long a fetch waits for data when the partition is empty. */
  maxWaitTimeMs?: number;
  /** Commit the offset after every record instead of periodically (slower; for tests and tools). */
  commitEveryMessage?: boolean;
}

export interface KafkaConsumer {
  /**
   * Calls `handle` for each record: same key → in offset order, one at a time; different keys →
   * possibly concurrently. An offset is committed only once `handle` resolved for that record and
   * every record before it in the partition; if `handle` throws, the record is delivered again
   * (and so may be later records of the batch: consumers are idempotent). Resolves once the
   * consumer has joined its group, so records produced afterwards are seen.
   */
  run(handle: (record: IncomingRecord) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

export interface TopicOffsets {
  partition: number;
  low: string;
  high: string;
}

export interface KafkaAdmin {
  topicOffsets(topic: string): Promise<TopicOffsets[]>;
  groupOffsets(groupId: string, topic: string): Promise<{ partition: number; offset: string }[]>;
  listTopics(): Promise<string[]>;
  deleteTopics(names: readonly string[]): Promise<void>;
  /** Creates the topics that do not exist yet. */
  createTopics(layout: readonly { name: string; partitions: number; compacted: boolean }[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface KafkaClient {
  producer(): Promise<KafkaProducer>;
  consumer(options: ConsumerOptions): Promise<KafkaConsumer>;
  admin(): Promise<KafkaAdmin>;
}

export interface KafkaConnectionSettings {
  clientId: string;
  brokers: string[];
  /**
   * Prepended to every topic name and consumer group id on the wire (and stripped from incoming
   * records), so a test run or a second environment on one broker gets topics and groups of its
   * own and never rebalances another's. Empty in production.
   */
  topicPrefix?: string;
  ssl?: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}
