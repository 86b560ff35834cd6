import type { IncomingRecord } from './kafka-client.ts';

/**
 * Prefetch between the Kafka client's fetch loop and the handlers. kafkajs fetches again only once
 * every batch it handed out was handled, so a slow partition would stall the others and the broker
 * would sit idle while a transaction commits. Here the fetch loop only appends records to the lane of
 * their partition and goes on fetching; each lane hands everything that piled up in it to the
 * handler as one batch, one batch at a time, in offset order. Under load batches grow by
 * themselves (what arrived while the previous batch was in its transaction); idle, a batch is one
 * record.
 *
 * Offsets: a lane reports the offset after its last handled batch (`onHandled`); nothing later
 * than what was handled is ever reported. A full lane makes `push` wait (back-pressure on the fetch
 * loop) instead of buffering without bound.
 */
export interface PartitionLanes {
  /** Appends a fetched batch; resolves once the lane has room again. */
  push(topic: string, partition: number, records: readonly IncomingRecord[]): Promise<void>;
  /** Forgets queued (not yet started) records of partitions no longer assigned: their new owner reads them. */
  keepOnly(assigned: ReadonlySet<string>): void;
  /** Stops taking work: queued records are dropped (uncommitted, so delivered again), batches in hand finish. */
  stop(): Promise<void>;
  /** Resolves when no batch is being handled. */
  idle(): Promise<void>;
}

export interface PartitionLanesOptions {
  handle(records: IncomingRecord[]): Promise<void>;
  /** The next offset to read of a partition whose records up to it are handled. */
  onHandled(topic: string, partition: number, nextOffset: string): void | Promise<void>;
  /** Told when a handler threw (it should not: retries are the handler's); the batch is tried again. */
  onError(error: unknown, topic: string, partition: number): void;
  maxBatch?: number;
  maxQueued?: number;
  retryDelayMs?: number;
  /**
   * `partition` (default): one lane per partition. `topic`: one lane per topic, whose batches take
   * the records of all its partitions (each partition's still in offset order, so per-key order
   * holds): fewer, larger transactions, and one hot row locked by one transaction at a time.
   */
  laneBy?: 'partition' | 'topic';
}

export const laneKey = (topic: string, partition: number) => `${topic}|${partition}`;

interface Lane {
  topic: string;
  queue: IncomingRecord[];
  running: Promise<void> | null;
  roomWaiters: (() => void)[];
}

export function createPartitionLanes(options: PartitionLanesOptions): PartitionLanes {
  const maxBatch = options.maxBatch ?? 500;
  const maxQueued = options.maxQueued ?? 2_000;
  const lanes = new Map<string, Lane>();
  let stopped = false;

  const wakeWaiters = (lane: Lane) => {
    for (const wake of lane.roomWaiters.splice(0)) wake();
  };

  async function work(lane: Lane): Promise<void> {
    while (lane.queue.length > 0 && !stopped) {
      const batch = lane.queue.splice(0, maxBatch);
      if (lane.queue.length < maxQueued) wakeWaiters(lane);
      for (;;) {
        try {
          await options.handle(batch);
          break;
        } catch (error) {
          if (stopped) return;
          options.onError(error, lane.topic, batch[0].partition);
          await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 1_000));
          if (stopped) return;
        }
      }
      const last = new Map<number, string>();
      for (const record of batch) last.set(record.partition, record.offset);
      for (const [partition, offset] of last) await options.onHandled(lane.topic, partition, (BigInt(offset) + 1n).toString());
    }
  }

  function kick(lane: Lane): void {
    if (lane.running || stopped) return;
    lane.running = work(lane).finally(() => {
      lane.running = null;
      wakeWaiters(lane);
      if (lane.queue.length > 0 && !stopped) kick(lane);
    });
  }

  return {
    async push(topic, partition, records) {
      if (stopped || records.length === 0) return;
      const key = options.laneBy === 'topic' ? topic : laneKey(topic, partition);
      let lane = lanes.get(key);
      if (!lane) {
        lane = { topic, queue: [], running: null, roomWaiters: [] };
        lanes.set(key, lane);
      }
      lane.queue.push(...records);
      kick(lane);
      while (lane.queue.length >= maxQueued && !stopped) {
        await new Promise<void>((resolve) => lane!.roomWaiters.push(resolve));
      }
    },
    keepOnly(assigned) {
      for (const lane of lanes.values()) {
        const kept = lane.queue.filter((record) => assigned.has(laneKey(record.topic, record.partition)));
        if (kept.length === lane.queue.length) continue;
        lane.queue.splice(0, lane.queue.length, ...kept);
        wakeWaiters(lane);
      }
    },
    async stop() {
      stopped = true;
      for (const lane of lanes.values()) {
        lane.queue.length = 0;
        wakeWaiters(lane);
      }
      await this.idle();
    },
    async idle() {
      await Promise.all([...lanes.values()].flatMap((lane) => (lane.running ? [lane.running] : [])));
    },
  };
}
