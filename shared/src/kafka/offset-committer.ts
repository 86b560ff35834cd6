import type { Consumer } from 'kafkajs';
import { errorMessage } from '../db/retryable-errors.ts';
import type { Logger } from '../observability/logger.ts';
import { laneKey } from './partition-lanes.ts';

/**
 * Commits the offsets the lanes report as handled: at most every `commitIntervalMs` (one request for
 * every partition), or after each batch when `commitEveryBatch` is set. Only partitions this member
 * holds are committed: a batch that finished after its partition moved to another member must not
 * move that member's committed offset. A failed commit is only a cost (records are read again and
 * the inbox skips them), so it is logged and retried with the next one.
 */
export function createOffsetCommitter(
  consumer: Consumer,
  onWire: (topic: string) => string,
  logger: Logger,
  options: { commitEveryBatch?: boolean; commitIntervalMs?: number },
) {
  const intervalMs = options.commitIntervalMs ?? 200;
  const pending = new Map<string, { topic: string; partition: number; offset: string }>();
  let assigned: ReadonlySet<string> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> = Promise.resolve();

  async function commit(): Promise<void> {
    if (pending.size === 0) return;
    const entries = [...pending.values()].filter((entry) => !assigned || assigned.has(laneKey(entry.topic, entry.partition)));
    pending.clear();
    if (entries.length === 0) return;
    try {
      await consumer.commitOffsets(entries.map((entry) => ({ topic: onWire(entry.topic), partition: entry.partition, offset: entry.offset })));
    } catch (error) {
      logger.debug({ err: errorMessage(error) }, 'offset commit failed; the records will be read again and skipped');
    }
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    flushing = flushing.then(commit);
    return flushing;
  }

  return {
    assign(partitions: ReadonlySet<string>): void {
      assigned = partitions;
      for (const key of pending.keys()) if (!partitions.has(key)) pending.delete(key);
    },
    handled(topic: string, partition: number, offset: string): Promise<void> | void {
      pending.set(laneKey(topic, partition), { topic, partition, offset });
      if (options.commitEveryBatch) return flush();
      if (!timer) {
        timer = setTimeout(() => void flush(), intervalMs);
        timer.unref();
      }
    },
    flush,
  };
}
