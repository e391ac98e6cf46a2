import { describe, expect, it } from 'vitest';
import { ConcurrencyLimiter } from './concurrency.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('ConcurrencyLimiter', () => {
  it('runs up to the limit, queues up to the queue size, refuses the rest with BUSY', async () => {
    const limiter = new ConcurrencyLimiter(2, 1);
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const jobs = gates.map((g, i) => limiter.run(async () => (started.push(i), await g.promise, i)));
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(limiter.load).toEqual({ running: 2, waiting: 1 });
    await expect(limiter.run(async () => 9)).rejects.toMatchObject({ code: 'BUSY', status: 503 });
    gates[0]!.resolve();
    expect(await jobs[0]).toBe(0);
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([0, 1, 2]);
    gates[1]!.resolve();
    gates[2]!.resolve();
    expect(await Promise.all(jobs)).toEqual([0, 1, 2]);
    expect(limiter.load).toEqual({ running: 0, waiting: 0 });
  });

  it('frees the slot when a job throws', async () => {
    const limiter = new ConcurrencyLimiter(1, 0);
    await expect(limiter.run(async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await limiter.run(async () => 'ok')).toBe('ok');
  });

  it('rejects nonsense limits', () => {
    expect(() => new ConcurrencyLimiter(0, 0)).toThrow(RangeError);
    expect(() => new ConcurrencyLimiter(1, -1)).toThrow(RangeError);
  });
});
