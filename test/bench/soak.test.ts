/** The soak bench's trend statistics (bench/soak.ts): pure functions, no service, no timing. */
import { describe, expect, it } from 'vitest';
import { linearFit, metricTrend, type SoakSample, soakVerdict, tQuantile975 } from '../../bench/soak.js';

/** Samples every 1,000 requests whose RSS and heap follow `bytesAt(requests)`. */
const samples = (total: number, bytesAt: (requests: number) => number): SoakSample[] =>
  Array.from({ length: total / 1000 + 1 }, (_, i) => {
    const requests = i * 1000;
    const bytes = bytesAt(requests);
    return { requests, memory: { rss: bytes, heapUsed: bytes, heapTotal: bytes, external: 0, arrayBuffers: 0 }, requestsPerSecond: 5, p50Ms: 300, errors: 0 };
  });

/** Deterministic ±`amplitude` wobble, so "noise" does not depend on a random seed. */
const wobble = (requests: number, amplitude: number) => (requests % 2000 === 0 ? amplitude : -amplitude);

describe('soak bench statistics', () => {
  it('Student t 0.975 quantiles: table values, the normal quantile past 30, NaN without degrees of freedom', () => {
    expect(tQuantile975(1)).toBe(12.706);
    expect(tQuantile975(2)).toBe(4.303);
    expect(tQuantile975(30)).toBe(2.042);
    expect(tQuantile975(100)).toBe(1.96);
    expect(tQuantile975(0)).toBeNaN();
  });

  it('linearFit: exact line has zero width; a worked example matches the textbook formulas', () => {
    expect(linearFit([0, 1, 2, 3], [5, 7, 9, 11])).toEqual({ points: 4, slope: 2, halfWidth95: 0 });
    // slope = Sxy / Sxx = 4 / 5; SE = √(SSres / (n − 2) / Sxx) = √(1.8 / 2 / 5); × t(2) = 4.303.
    const fit = linearFit([1, 2, 3, 4], [1, 3, 2, 4]);
    expect(fit.slope).toBeCloseTo(0.8, 12);
    expect(fit.halfWidth95).toBeCloseTo(4.303 * Math.sqrt(0.18), 12);
    expect(linearFit([1, 2], [1, 5])).toMatchObject({ slope: 4, halfWidth95: Number.NaN });
    expect(() => linearFit([1, 2], [1])).toThrow(/2 x values but 1 y values/);
  });

  it('growth that stops half way levels off; row 0 (before any request) is left out of the fit', () => {
    // +100 MB at the first request (warm-up), then +2 KiB per request until 10,000, then flat within ±64 KiB.
    const run = samples(20_000, (r) => (r === 0 ? 0 : 100e6 + 2048 * Math.min(r, 10_000) + wobble(r, 65_536)));
    const trend = metricTrend(run, 'rss', 20_000);
    expect(trend.first.points).toBe(10);
    expect(trend.second.points).toBe(11);
    expect((trend.first.slope * 1000) / 1024).toBeGreaterThan(1900);
    expect((trend.first.slope * 1000) / 1024).toBeLessThan(2100);
    expect(trend.levelsOff).toBe(true);
    expect(soakVerdict([trend])).toMatch(/^RSS levels off: second half [+−]\d+\.\d ± \d+\.\d KiB per 1,000 requests, within noise of 0, i.e. at most \+\d+\.\d KiB per 1,000 requests at 95 %/);
  });

  it('steady growth does not level off, and the verdict gives its rate per million requests', () => {
    const run = samples(20_000, (r) => 500e6 + 1024 * r + wobble(r, 65_536));
    const trend = metricTrend(run, 'heapUsed', 20_000);
    expect(trend.levelsOff).toBe(false);
    expect(soakVerdict([trend])).toMatch(/^V8 heap used still grows: second half \+1000\.\d ± \d+\.\d KiB per 1,000 requests, ≈ 976\.6 MiB per million requests/);
  });

  it('too few samples in the second half is said, not guessed', () => {
    const run = samples(2000, (r) => r);
    const trend = metricTrend(run, 'rss', 2000);
    expect(trend.levelsOff).toBeUndefined();
    expect(soakVerdict([trend])).toMatch(/too few samples/);
  });
});
