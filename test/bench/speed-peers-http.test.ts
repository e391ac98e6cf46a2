/** Pure helpers of the speed, peers and http benches (bench/stats.ts, machine.ts, progress.ts). No timing assertions. */
import { describe, expect, it } from 'vitest';
import { parseNvidiaSmi } from '../../bench/machine.js';
import { formatDuration, progressLine } from '../../bench/progress.js';
import { multipartBody, percentile, ratioSpread, spread, statusShares, summarize } from '../../bench/stats.js';

describe('percentile', () => {
  it('interpolates linearly between closest ranks (numpy "linear")', () => {
    const values = [15, 20, 35, 40, 50];
    expect(percentile(values, 0)).toBe(15);
    expect(percentile(values, 50)).toBe(35);
    expect(percentile(values, 100)).toBe(50);
    expect(percentile(values, 40)).toBeCloseTo(29, 10); // rank 1.6: 20 + 0.6 × 15
    expect(percentile([1, 2, 3, 4], 95)).toBeCloseTo(3.85, 10);
  });
  it('does not depend on input order and does not sort the caller’s array', () => {
    const values = [50, 15, 40, 20, 35];
    expect(percentile(values, 50)).toBe(35);
    expect(values).toEqual([50, 15, 40, 20, 35]);
  });
  it('is NaN for no values and refuses p outside 0–100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('gives count, mean, percentiles and extremes', () => {
    const s = summarize(Array.from({ length: 101 }, (_, i) => i));
    expect(s).toMatchObject({ count: 101, mean: 50, p50: 50, p95: 95, p99: 99, min: 0, max: 100 });
  });
});

describe('ratioSpread', () => {
  it('divides round by round, then takes min / median / max', () => {
    const r = ratioSpread([10, 12, 9], [5, 4, 9]);
    expect(r.perRound).toEqual([2, 3, 1]);
    expect({ min: r.min, median: r.median, max: r.max }).toEqual({ min: 1, median: 2, max: 3 });
  });
  it('refuses rounds of different lengths', () => {
    expect(() => ratioSpread([1, 2], [1])).toThrow(/rounds differ/);
  });
  it('spread of nothing is NaN', () => {
    expect(spread([]).median).toBeNaN();
  });
});

describe('multipartBody', () => {
  it('builds a body that a standard multipart parser reads back field by field', async () => {
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0x00, 0x0d, 0x0a, 0x2d, 0x2d, 0xff, 0xd9]);
    const { body, contentType } = multipartBody([
      { name: 'image', filename: 'a.jpg', contentType: 'image/jpeg', data: jpeg },
      { name: 'qualityChecks.blur', value: 'yes' },
    ]);
    const form = await new Request('http://127.0.0.1/', { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': contentType } }).formData();
    const image = form.get('image') as File;
    expect(image.name).toBe('a.jpg');
    expect(image.type).toBe('image/jpeg');
    expect(new Uint8Array(await image.arrayBuffer())).toEqual(jpeg);
    expect(form.get('qualityChecks.blur')).toBe('yes');
    expect([...form.keys()]).toEqual(['image', 'qualityChecks.blur']);
  });
  it('refuses a boundary that occurs inside a part', () => {
    expect(() => multipartBody([{ name: 'x', value: 'a --b c' }], 'b')).toThrow(/boundary/);
  });
});

describe('statusShares', () => {
  it('splits responses into 200, 429, 503 and other', () => {
    expect(statusShares({ '200': 6, '429': 1, '503': 2, '400': 1 })).toEqual({ total: 10, ok: 0.6, tooMany: 0.1, unavailable: 0.2, other: 0.1 });
    expect(statusShares({}).ok).toBe(0);
  });
});

describe('machine and progress helpers', () => {
  it('parses nvidia-smi CSV rows', () => {
    expect(parseNvidiaSmi('NVIDIA H100 80GB HBM3, 81559, 550.54.15\n\n')).toEqual([{ name: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559, driver: '550.54.15' }]);
    expect(parseNvidiaSmi('')).toEqual([]);
  });
  it('draws a progress line with count, share and eta', () => {
    expect(progressLine('x', 5, 10, 10, 10)).toBe('x [#####.....] 5/10 50% 0:10 eta 0:10');
    expect(progressLine('x', 0, 10, 0, 4)).toBe('x [....] 0/10 0% 0:00 eta ?:??');
    expect(formatDuration(125)).toBe('2:05');
  });
});
