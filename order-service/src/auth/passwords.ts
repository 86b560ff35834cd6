import { createHash, timingSafeEqual } from 'node:crypto';

/** Compares a given password with the configured one in constant time (digests hide the length too). */
export function samePassword(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
