import { describe, expect, it } from 'vitest';
import { mapLimited } from './map-limited.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mapLimited', () => {
  it('keeps input order and never has more than `limit` calls in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimited([30, 5, 20, 1, 10, 2], 3, async (ms, i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await tick(ms);
      inFlight--;
      return `${i}:${ms}`;
    });
    expect(out).toEqual(['0:30', '1:5', '2:20', '3:1', '4:10', '5:2']);
    expect(peak).toBe(3);
  });

  it('limit 1 runs strictly one after the other', async () => {
    const order: string[] = [];
    await mapLimited([3, 1, 2], 1, async (ms) => {
      order.push(`start ${ms}`);
      await tick(ms);
      order.push(`end ${ms}`);
    });
    expect(order).toEqual(['start 3', 'end 3', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('rejects with the first failure, starts nothing after it, and waits for the calls in flight', async () => {
    const started: number[] = [];
    let settled = 0;
    const run = mapLimited([0, 1, 2, 3, 4, 5], 2, async (i) => {
      started.push(i);
      await tick(i === 1 ? 1 : 15);
      settled++;
      if (i === 1) throw new Error('frame 1 failed');
      return i;
    });
    await expect(run).rejects.toThrow('frame 1 failed');
    expect(started).toEqual([0, 1]);
    expect(settled).toBe(2); // item 0 finished before the rejection was delivered
  });

  it('handles an empty list and refuses a bad limit', async () => {
    expect(await mapLimited([], 4, async () => 1)).toEqual([]);
    await expect(mapLimited([1], 0, async () => 1)).rejects.toThrow(RangeError);
  });
});
