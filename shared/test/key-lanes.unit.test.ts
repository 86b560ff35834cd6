import { describe, expect, it } from 'vitest';
import { handleInKeyLanes } from '../src/kafka/kafkajs-client.ts';
import type { IncomingRecord } from '../src/kafka/kafka-client.ts';

const record = (offset: number, key: string | null): IncomingRecord => ({
  topic: 't',
  partition: 0,
  offset: String(offset),
  key,
  value: Buffer.from(String(offset)),
  headers: {},
  timestamp: '0',
});

describe('handling a fetched batch in lanes by key', () => {
  it('keeps offset order within a key and overlaps different keys', async () => {
    const records = [record(0, 'a'), record(1, 'b'), record(2, 'a'), record(3, 'c'), record(4, 'b'), record(5, 'a')];
    const started: string[] = [];
    const finished: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const result = await handleInKeyLanes(records, 8, async (r) => {
      started.push(r.offset);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, r.key === 'a' ? 5 : 1));
      inFlight--;
      finished.push(r.offset);
    });
    expect(result).toEqual({ prefix: 5 });
    const order = (key: string) => finished.filter((o) => records[Number(o)].key === key);
    expect(order('a')).toEqual(['0', '2', '5']);
    expect(order('b')).toEqual(['1', '4']);
    expect(maxInFlight).toBe(3);
  });

  it('commits only the prefix before the first failure and reports it', async () => {
    const records = [record(0, 'a'), record(1, 'b'), record(2, 'c'), record(3, 'b')];
    const boom = new Error('stopping');
    const result = await handleInKeyLanes(records, 1, async (r) => {
      if (r.offset === '1') throw boom;
    });
    expect(result).toEqual({ prefix: 0, failure: boom });
  });

  it('is strictly sequential with one lane at a time', async () => {
    const seen: string[] = [];
    await handleInKeyLanes([record(0, 'x'), record(1, 'y'), record(2, 'z')], 1, async (r) => {
      seen.push(r.offset);
    });
    expect(seen).toEqual(['0', '1', '2']);
  });
});
