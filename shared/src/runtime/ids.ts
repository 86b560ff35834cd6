import { randomFillSync } from 'node:crypto';

export interface Ids {
  next(): string;
}

/**
 * Time-ordered ids: UUID version 7 (RFC 9562), 48 bits of Unix milliseconds and then 74 random
 * bits. Every id the platform makes is a key in a B-tree — orders, saga events, outbox rows and
 * the receivers' inbox rows (clustered by message id), payments, reservations — and random v4 ids
 * land anywhere in an index, splitting pages and touching a different page per insert; ids of one
 * moment land next to each other at the index's end. Ids made within one millisecond are not ordered
 * among themselves (nothing relies on that). Still a UUID for every client and validator.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  if (offset + RANDOM_BYTES > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const r = offset;
  offset += RANDOM_BYTES;
  const time = nowMs.toString(16).padStart(12, '0');
  return (
    `${time.slice(0, 8)}-${time.slice(8, 12)}-` +
    `7${HEX[pool[r]! & 0x0f]!.slice(1)}${HEX[pool[r + 1]!]}-` +
    `${HEX[(pool[r + 2]! & 0x3f) | 0x80]}${HEX[pool[r + 3]!]}-` +
    `${HEX[pool[r + 4]!]}${HEX[pool[r + 5]!]}${HEX[pool[r + 6]!]}${HEX[pool[r + 7]!]}${HEX[pool[r + 8]!]}${HEX[pool[r + 9]!]}`
  );
}

const RANDOM_BYTES = 10;
// Random bytes drawn a few kilobytes at a time (one call instead of one per id).
const pool = Buffer.alloc(RANDOM_BYTES * 400);
let offset = pool.length;
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

export const randomIds: Ids = { next: () => uuidv7() };
