import { CommitOutcomeUnknownError } from './retryable-errors.ts';
import { isConnectionBroken, type SqlConnection, type SqlPool, type Statement } from './sql-pool.ts';

/**
 * A transaction that costs as few round trips as its logic allows: `run` sends statements together
 * (the first call also opens the transaction), and whatever is written at the end — the parts
 * registered with `beforeCommit` — travels in one round trip with the COMMIT. A transaction that
 * only writes is a single round trip.
 *
 * After-commit effects run once COMMIT has succeeded (publish what was committed, schedule timer
 * jobs); they are optimisations a sweep also performs, so their failures are reported, not thrown.
 */
export interface SqlTransaction {
  run(statements: readonly Statement[]): Promise<unknown[]>;
  /** Statements to send with the COMMIT, built when the transaction ends (in registration order). */
  beforeCommit(part: () => CommitPart): void;
  afterCommit(effect: () => void | Promise<void>): void;
  /** Per-transaction state of a collaborator (e.g. the outbox rows added so far), created on first use. */
  local<T>(key: object, create: () => T): T;
}

export interface CommitPart {
  statements: Statement[];
  /** Receives the results of `statements` once they ran (before the COMMIT's own result). */
  onResults?(results: unknown[]): void;
  /** Told when the part's statements did not commit (or may not have: the connection broke during COMMIT). */
  onAbort?(): void;
}

export interface TransactionOptions {
  /** Told about an after-commit effect that failed (the transaction itself is committed). */
  onEffectError?(error: unknown): void;
}

export async function inTransaction<T>(pool: SqlPool, work: (tx: SqlTransaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const connection: SqlConnection = await pool.acquire();
  let started = false;
  const parts: (() => CommitPart)[] = [];
  const effects: (() => void | Promise<void>)[] = [];
  const locals = new Map<object, unknown>();
  const send = async (statements: readonly Statement[]): Promise<unknown[]> => {
    if (started) return connection.run(statements);
    started = true;
    return (await connection.run([{ sql: 'start transaction' }, ...statements])).slice(1);
  };
  const tx: SqlTransaction = {
    run: (statements) => send(statements),
    beforeCommit: (part) => void parts.push(part),
    afterCommit: (effect) => void effects.push(effect),
    local<L>(key: object, create: () => L): L {
      if (!locals.has(key)) locals.set(key, create());
      return locals.get(key) as L;
    },
  };

  let value: T;
  let committing = false;
  const built: CommitPart[] = [];
  try {
    value = await work(tx);
    // Parts may register further parts (e.g. a write that queues an outbox row): drain in order.
    for (let index = 0; index < parts.length; index++) built.push(parts[index]());
    const statements = built.flatMap((part) => part.statements);
    if (statements.length === 0 && !started) {
      connection.release();
    } else {
      committing = true;
      const results = await send([...statements, { sql: 'commit' }]);
      let offset = 0;
      for (const part of built) {
        part.onResults?.(results.slice(offset, offset + part.statements.length));
        offset += part.statements.length;
      }
      connection.release();
    }
  } catch (error) {
    for (const part of built) part.onAbort?.();
    const broken = isConnectionBroken(error);
    if (committing && broken) {
      connection.release(true);
      throw new CommitOutcomeUnknownError(error);
    }
    if (started && !broken) {
      try {
        await connection.run([{ sql: 'rollback' }]);
      } catch {
        connection.release(true);
        throw error;
      }
    }
    connection.release(broken);
    throw error;
  }
  for (const effect of effects) {
    try {
      await effect();
    } catch (error) {
      options.onEffectError?.(error);
    }
  }
  return value;
}

/** `(?, ?, ?), (?, ?, ?)` for a multi-row insert of `rows` rows of `columns` values. */
export function valuesList(rows: number, columns: number): string {
  const row = `(${placeholders(columns)})`;
  return Array.from({ length: rows }, () => row).join(', ');
}

/** `?, ?, ?` for an IN list. */
export function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

/** Rows of a SELECT result, as returned by `run`. */
export function rowsOf<T>(result: unknown): T[] {
  return result as T[];
}

/** affectedRows of a write's result header. */
export function affectedRowsOf(result: unknown): number {
  return Number((result as { affectedRows?: number }).affectedRows ?? 0);
}
