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
  /**
   * One batch at a time per partition (default), or per topic: a topic's batches then take the
   * records of all its partitions (each in offset order), so they grow larger and a hot row is
   * locked by one transaction at a time.
   */
  laneBy?: 'partition' | 'topic';
  /** Most records handed to one batch (default 500). */
  maxBatchRecords?: number;
  /** How long a fetch waits for data when the partitions are empty (default 2 s; new data ends it at once). */
  maxWaitTimeMs?: number;
  /** Commit offsets right after each handled batch instead of every `commitIntervalMs` (tests and tools). */
  commitEveryBatch?: boolean;
  commitIntervalMs?: number;
}

export interface KafkaConsumer {
  /**
   * Hands over the records of each partition in offset order, as batches: one batch of a partition
   * at a time, batches of different partitions concurrently, while the client keeps fetching
   * (whatever arrived during a batch is the next batch). An offset is committed only after the
   * batch that contains it resolved; records not yet handled when a partition moves to another
   * member or the process dies are delivered again (consumers are idempotent). A handler that
   * throws gets the same batch again. Resolves once the consumer has joined its group, so records
   * produced afterwards are seen.
   */
  runBatches(handle: (records: IncomingRecord[]) => Promise<void>): Promise<void>;
  /** The same, one record at a time per partition (tools and tests). */
  run(handle: (record: IncomingRecord) => Promise<void>): Promise<void>;
  /** Stops fetching, lets the batches in hand finish, commits what they handled, leaves the group. */
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
