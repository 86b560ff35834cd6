import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { randomIds, uuidv7 } from '../src/runtime/ids.ts';

const v7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('ids: UUID version 7', () => {
  it('is a UUID of version 7 and the RFC variant, valid for the APIs', () => {
    for (let i = 0; i < 2_000; i++) {
      const id = randomIds.next();
      expect(id).toMatch(v7);
      expect(z.uuid().safeParse(id).success).toBe(true);
    }
  });

  it('starts with the milliseconds it was made at', () => {
    const at = Date.parse('2026-12-03T14:05:06.789Z');
    const id = uuidv7(at);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('sorts by time: an id of a later millisecond sorts after every id of an earlier one', () => {
    const earlier = Array.from({ length: 500 }, () => uuidv7(1_000_000));
    const later = Array.from({ length: 500 }, () => uuidv7(1_000_001));
    expect([...later, ...earlier].sort()).toEqual([...earlier.sort(), ...later.sort()]);
  });

  it('does not repeat (100,000 ids within a few milliseconds)', () => {
    const ids = new Set(Array.from({ length: 100_000 }, () => randomIds.next()));
    expect(ids.size).toBe(100_000);
  });
});
