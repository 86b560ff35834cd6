import { describe, expect, it } from 'vitest';
import type { IncomingRecord } from '../src/kafka/kafka-client.ts';
import { createPartitionLanes, laneKey } from '../src/kafka/partition-lanes.ts';

const record = (partition: number, offset: number): IncomingRecord => ({
  topic: 't',
  partition,
  offset: String(offset),
  key: `k${offset % 3}`,
  value: Buffer.from(String(offset)),
  headers: {},
  timestamp: '0',
});
const range = (partition: number, from: number, to: number) => Array.from({ length: to - from }, (_, i) => record(partition, from + i));

describe('partition lanes (prefetch between fetch and handler)', () => {
  it('hands each partition its records in offset order, one batch at a time, and what piled up meanwhile as the next batch', async () => {
    const batches: string[][] = [];
    const handled: string[] = [];
    let release!: () => void;
    const firstHeld = new Promise<void>((resolve) => (release = resolve));
    const lanes = createPartitionLanes({
      handle: async (records) => {
        batches.push(records.map((r) => r.offset));
        if (batches.length === 1) await firstHeld;
      },
      onHandled: (_topic, partition, next) => void handled.push(`${partition}:${next}`),
      onError: () => {},
    });
    await lanes.push('t', 0, range(0, 0, 1));
    await lanes.push('t', 0, range(0, 1, 3)); // arrives while the first batch is in its handler
    await lanes.push('t', 0, range(0, 3, 4));
    release();
    await lanes.idle();
    await new Promise((resolve) => setTimeout(resolve, 0));
    await lanes.idle();
    expect(batches).toEqual([['0'], ['1', '2', '3']]);
    expect(handled).toEqual(['0:1', '0:4']);
  });

  it('handles partitions concurrently and never reports an offset beyond what was handled', async () => {
    const inFlight = new Set<number>();
    let concurrent = 0;
    const reported = new Map<number, string>();
    const lanes = createPartitionLanes({
      handle: async (records) => {
        inFlight.add(records[0].partition);
        concurrent = Math.max(concurrent, inFlight.size);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight.delete(records[0].partition);
      },
      onHandled: (_topic, partition, next) => void reported.set(partition, next),
      onError: () => {},
      maxBatch: 2,
    });
    await Promise.all([lanes.push('t', 0, range(0, 0, 5)), lanes.push('t', 1, range(1, 10, 13))]);
    for (let i = 0; i < 20 && (reported.get(0) !== '5' || reported.get(1) !== '13'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(concurrent).toBe(2);
    expect(Object.fromEntries(reported)).toEqual({ 0: '5', 1: '13' });
  });

  it('hands a batch whose handler threw over again, and drops queued records of a partition that moved away', async () => {
    let calls = 0;
    const seen: string[][] = [];
    const lanes = createPartitionLanes({
      handle: async (records) => {
        seen.push(records.map((r) => r.offset));
        if (++calls === 1) throw new Error('database away');
      },
      onHandled: () => {},
      onError: () => {},
      retryDelayMs: 1,
    });
    await lanes.push('t', 0, range(0, 0, 2));
    for (let i = 0; i < 50 && seen.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(seen).toEqual([
      ['0', '1'],
      ['0', '1'],
    ]);
    lanes.keepOnly(new Set([laneKey('t', 1)]));
    await lanes.stop();
  });

  it('makes the fetch loop wait when a lane is full (back-pressure), and lets it go once the lane drains', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const lanes = createPartitionLanes({ handle: () => held, onHandled: () => {}, onError: () => {}, maxBatch: 1, maxQueued: 2 });
    await lanes.push('t', 0, range(0, 0, 1));
    let pushed = false;
    const pushing = lanes.push('t', 0, range(0, 1, 4)).then(() => (pushed = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(pushed).toBe(false);
    release();
    await pushing;
    expect(pushed).toBe(true);
    await lanes.stop();
  });

  it('by topic: one batch takes what piled up on every partition, each partition in order, and reports the offset of each partition', async () => {
    const batches: string[][] = [];
    const reported: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const lanes = createPartitionLanes({
      handle: async (records) => {
        batches.push(records.map((r) => `${r.partition}:${r.offset}`));
        if (batches.length === 1) await held;
      },
      onHandled: (_topic, partition, next) => void reported.push(`${partition}:${next}`),
      onError: () => {},
      laneBy: 'topic',
    });
    await lanes.push('t', 0, range(0, 0, 1));
    await lanes.push('t', 1, range(1, 5, 7));
    await lanes.push('t', 0, range(0, 1, 2));
    lanes.keepOnly(new Set([laneKey('t', 0), laneKey('t', 1)]));
    release();
    for (let i = 0; i < 50 && batches.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 2));
    await lanes.idle();
    expect(batches).toEqual([['0:0'], ['1:5', '1:6', '0:1']]);
    expect(reported).toEqual(['0:1', '1:7', '0:2']);
  });
});
