import { createHash } from 'node:crypto';

/** An Idempotency-Key answers its first request for this long (as payment APIs keep theirs). */
export const idempotencyKeyLifetimeMs = 24 * 60 * 60 * 1000;

/** Whether a key first used at `firstUsedAt` still answers with that first request's result. */
export function idempotencyKeyStillAnswers(firstUsedAt: Date, now: Date): boolean {
  return now.getTime() - firstUsedAt.getTime() < idempotencyKeyLifetimeMs;
}

/** Fingerprint of a request body: the same key with another body is a conflict, not a replay. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}
