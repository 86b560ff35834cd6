import { CommitOutcomeUnknownError } from './retryable-errors.ts';
import type { SqlPool } from './sql-pool.ts';
import { inTransaction, type SqlTransaction, type TransactionOptions } from './sql-transaction.ts';

export interface TransactionBatcher {
  /**
   * Runs `work` in a transaction shared with the other work submitted meanwhile: while one batch
   * commits, newly submitted work gathers and goes in the next transaction together (group commit
   * at the application level: one round trip and one log flush for all of it). `work` must only
   * queue writes in its transaction (as the outbox and the step handler do), so that it can run
   * again alone: if a shared transaction fails, each of its works is retried in a transaction of
   * its own, and only the failing one fails.
   */
  run<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T>;
}

interface Pending {
  work: (tx: SqlTransaction) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export function createTransactionBatcher(pool: SqlPool, options: TransactionOptions & { maxBatch?: number } = {}): TransactionBatcher {
  const maxBatch = options.maxBatch ?? 200;
  const waiting: Pending[] = [];
  let committing = false;

  async function alone(item: Pending): Promise<void> {
    try {
      item.resolve(await inTransaction(pool, item.work, options));
    } catch (error) {
      item.reject(error);
    }
  }

  async function commitBatches(): Promise<void> {
    while (waiting.length > 0) {
      const batch = waiting.splice(0, maxBatch);
      if (batch.length === 1) {
        await alone(batch[0]);
        continue;
      }
      let values: unknown[];
      try {
        values = await inTransaction(
          pool,
          async (tx) => {
            const results: unknown[] = [];
            for (const item of batch) results.push(await item.work(tx));
            return results;
          },
          options,
        );
      } catch (error) {
        // Whether it committed is unknown: running the work again could do it twice; each caller decides.
        if (error instanceof CommitOutcomeUnknownError) {
          for (const item of batch) item.reject(error);
          continue;
        }
        for (const item of batch) await alone(item);
        continue;
      }
      batch.forEach((item, index) => item.resolve(values[index]));
    }
  }

  return {
    run<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        waiting.push({ work, resolve: resolve as (value: unknown) => void, reject });
        if (committing) return;
        committing = true;
        void commitBatches().finally(() => {
          committing = false;
        });
      });
    },
  };
}
