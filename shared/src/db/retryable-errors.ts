import { ConnectionException, DeadlockException, LockWaitTimeoutException, OptimisticLockError } from '@mikro-orm/core';

const retryableCodes = new Set([
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_GET_CONNECTION_TIMEOUT',
  'ER_CONNECTION_ALREADY_CLOSED',
  'ER_SOCKET_UNEXPECTED_CLOSE',
  'ER_CLIENT_CLOSED',
  'ER_CMD_CONNECTION_CLOSED',
  'ER_CONNECTION_KILLED',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'PROTOCOL_CONNECTION_LOST',
]);
const retryableErrnos = new Set([1040, 1205, 1213, 1927, 2006, 2013, 1053, 45009, 45028]);

/**
 * The one place that tells a passing infrastructure failure (deadlock, lock wait, lost connection,
 * optimistic lock conflict, broker unavailable) from a terminal error (a bug, a poison message).
 * Retryable errors are retried without limit with backoff; terminal ones a bounded number of times.
 */
export function isRetryable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    if (
      current instanceof DeadlockException ||
      current instanceof LockWaitTimeoutException ||
      current instanceof ConnectionException ||
      current instanceof OptimisticLockError
    ) {
      return true;
    }
    const candidate = current as { code?: unknown; errno?: unknown; name?: unknown; retriable?: unknown };
    if (typeof candidate.code === 'string' && retryableCodes.has(candidate.code)) return true;
    if (typeof candidate.errno === 'number' && retryableErrnos.has(candidate.errno)) return true;
    if (typeof candidate.name === 'string' && candidate.name.startsWith('KafkaJS') && candidate.retriable !== false) {
      return true;
    }
    if (current instanceof RetryableError) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The connection was lost while COMMIT was on its way: the server may have committed or not. Retrying
 * is safe where the work is idempotent (a message batch: the inbox tells); a caller that must
 * answer someone (an HTTP request) looks the outcome up instead of guessing.
 */
export class CommitOutcomeUnknownError extends Error {
  override name = 'CommitOutcomeUnknownError';
  constructor(cause: unknown) {
    super(`the connection was lost during COMMIT: ${errorMessage(cause)}`, { cause });
  }
}

/** Thrown by code that knows a failure is transient (e.g. a dependency not ready yet). */
export class RetryableError extends Error {
  override name = 'RetryableError';
}

/** A unique key refused the write (ER_DUP_ENTRY), wherever it is in the cause chain (ORM or driver error). */
export function isDuplicateKey(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    const candidate = current as { code?: unknown; errno?: unknown; name?: unknown };
    if (candidate.name === 'UniqueConstraintViolationException' || candidate.code === 'ER_DUP_ENTRY' || candidate.errno === 1062) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 1000);
  return String(error).slice(0, 1000);
}

/**
 * Thrown by a handler for a message it can never process (e.g. a reply for an order this service
 * does not know): it goes to the dead-letter topic at once, with this message as the reason.
 */
export class PoisonMessageError extends Error {
  override name = 'PoisonMessageError';
}
