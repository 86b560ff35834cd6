import { sleep } from '../runtime/sleep.ts';

/** What looking again after a connection lost during COMMIT found out. */
export type LostCommitOutcome<T> =
  | { kind: 'committed'; value: T }
  /** Lookups worked and found nothing: the transaction was not committed. */
  | { kind: 'not-committed' }
  /** The database could not be asked: the transaction may still turn out committed. */
  | { kind: 'unknown' };

/**
 * After a CommitOutcomeUnknownError, asks the database whether the transaction's mark (a row only
 * it writes, looked up by an id chosen before it began) is there. A second after the lost COMMIT
 * the server has finished the commit either way, so a lookup that worked then and found nothing
 * means nothing was stored; a database that cannot be asked leaves the outcome open, and the
 * caller must say so instead of guessing.
 */
export async function settleLostCommit<T>(
  lookup: () => Promise<T | null>,
  options: { attempts?: number; pauseMs?: number } = {},
): Promise<LostCommitOutcome<T>> {
  const attempts = options.attempts ?? 5;
  let lookedUp = false;
  for (let attempt = 0; attempt < attempts; attempt++) {
    await sleep(options.pauseMs ?? 200);
    try {
      const value = await lookup();
      if (value !== null) return { kind: 'committed', value };
      lookedUp = true;
    } catch {
      lookedUp = false;
    }
  }
  return lookedUp ? { kind: 'not-committed' } : { kind: 'unknown' };
}
