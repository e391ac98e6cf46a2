import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/random.js';
import type { GreyImage } from './line-segments.js';
import { type PeakSearch, averagePowerSpectrum, log10GammaTail, peakSignificanceAt, strongestPeak } from './spectrum.js';


const SIZE = 64;
function tile(value: (x: number, y: number) => number): GreyImage {
  return { data: Float32Array.from({ length: SIZE * SIZE }, (_, i) => value(i % SIZE, Math.floor(i / SIZE))), width: SIZE, height: SIZE };
}
/** 16 tiles of uniform noise (0–255) plus a cosine grating of `amplitude` grey levels at (fx, fy) cycles per pixel. */
function gratingTiles(seed: number, fx: number, fy: number, amplitude: number): GreyImage[] {
  const next = seededRandom(seed);
  return Array.from({ length: 16 }, () => tile((x, y) => next() * 255 + amplitude * Math.cos(2 * Math.PI * (fx * x + fy * y) + 1)));
}

const SEARCH: PeakSearch = { minFrequency: 1 / 16, backgroundRadius: 3, blockGuard: 1, blockPeriod: 8, axisGuard: 0 };

describe('averagePowerSpectrum + strongestPeak', () => {
  it('finds a faint grating in noise at its exact frequency, far above chance', () => {
    // Amplitude 8 grey levels under noise of standard deviation 74: invisible to the eye.
    const peak = strongestPeak(averagePowerSpectrum(gratingTiles(1, 20 / 64, -12 / 64, 8)), SEARCH)!;
    // One of the ± pair is reported (the half plane v ≥ 0).
    expect([peak.fx, peak.fy]).toEqual([-20 / 64, 12 / 64]);
    expect(peak.frequency).toBeCloseTo(Math.hypot(20, 12) / 64, 10);
    expect(peak.significance).toBeGreaterThan(10);
  });

  it('reports no meaningful peak in noise (NFA about 1 or more)', () => {
    for (const seed of [2, 3, 4, 5]) {
      const peak = strongestPeak(averagePowerSpectrum(gratingTiles(seed, 0, 0, 0)), SEARCH)!;
      expect(peak.significance).toBeLessThan(2.5);
    }
  });

  it("skips the JPEG block grid's harmonics (multiples of 1/8 cycle per pixel) and, when asked, the axes", () => {
    const blocky = strongestPeak(averagePowerSpectrum(gratingTiles(6, 2 / 8, 1 / 8, 20)), SEARCH)!;
    expect(blocky.significance).toBeLessThan(2.5);
    const onAxis = gratingTiles(7, 20 / 64, 0, 20);
    expect(strongestPeak(averagePowerSpectrum(onAxis), SEARCH)!.fy).toBe(0);
    expect(strongestPeak(averagePowerSpectrum(onAxis), { ...SEARCH, axisGuard: 2 })!.significance).toBeLessThan(2.5);
  });

  it('peakSignificanceAt measures a given frequency in another spectrum within one bin', () => {
    const spectrum = averagePowerSpectrum(gratingTiles(8, 20 / 64, 12 / 64, 8));
    expect(peakSignificanceAt(spectrum, 20 / 64, 12 / 64, 3).significance).toBeGreaterThan(10);
    expect(peakSignificanceAt(spectrum, 21 / 64, 13 / 64, 3).significance).toBeGreaterThan(10);
    expect(peakSignificanceAt(spectrum, 5 / 64, 27 / 64, 3).significance).toBeLessThan(2);
  });

  it('rejects tiles that are not squares of one power-of-two size', () => {
    expect(() => averagePowerSpectrum([])).toThrow(/no tiles/);
    expect(() => averagePowerSpectrum([{ data: new Float32Array(48 * 48), width: 48, height: 48 }])).toThrow(/power of two/);
    expect(() => averagePowerSpectrum([tile(() => 0), { data: new Float32Array(32 * 32), width: 32, height: 32 }])).toThrow(/tiles of 64²/);
  });
});

describe('spectrum helpers', () => {
  it('log10GammaTail is the tail of the mean of k unit exponentials', () => {
    // k = 1: P[X ≥ x] = e^(−x). k = 2: P[(E1 + E2)/2 ≥ x] = e^(−2x)(1 + 2x).
    expect(log10GammaTail(1, 2)).toBeCloseTo(-2 / Math.LN10, 12);
    expect(log10GammaTail(2, 1)).toBeCloseTo(Math.log10(Math.exp(-2) * 3), 12);
    expect(log10GammaTail(16, 0)).toBe(0);
  });
});
