import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, retryDelayMs } from './retry-schedule.js';

describe('webhook retry schedule', () => {
  it('defaults: 8 attempts, doubling from 30 s, the last one about 63.5 min after the first', () => {
    const middle = () => 0.5; // jitter factor exactly 1
    const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => retryDelayMs(DEFAULT_RETRY_POLICY, n, middle));
    expect(delays).toEqual([30, 60, 120, 240, 480, 960, 1920].map((s) => s * 1000));
    expect(delays.reduce((a, b) => a! + b!, 0)).toBe(3_810_000);
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 8, middle)).toBeUndefined();
  });

  it('jitter stays within ±20 % and the cap holds', () => {
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 1, () => 0)).toBe(24_000);
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 1, () => 0.999999)).toBeCloseTo(36_000, -1);
    const capped = { ...DEFAULT_RETRY_POLICY, maxAttempts: 100, maxDelayMs: 60_000, jitter: 0 };
    expect(retryDelayMs(capped, 50)).toBe(60_000);
    expect(retryDelayMs(capped, 99)).toBe(60_000);
  });
});
