/** Unit tests of the hat measurement and verdict (hat.ts): colours and counts, no model, no image. */
import { describe, expect, it } from 'vitest';
import { errorUpperBound, foreheadSkinDistance, HAT_BANDS, HIGH_CONFIDENCE_MAX_ERROR, hatVerdict, toYCbCr } from './hat.js';

describe('toYCbCr', () => {
  it('gives grey no colour difference and keeps its luma', () => {
    const [y, cb, cr] = toYCbCr([128, 128, 128]);
    expect(y).toBeCloseTo(128, 6);
    expect(cb).toBeCloseTo(0, 2);
    expect(cr).toBeCloseTo(0, 2);
  });
});

describe('foreheadSkinDistance', () => {
  const skin = [200, 150, 120] as const;
  it('is 0 for a forehead of the skin colour', () => {
    expect(foreheadSkinDistance(skin, skin)).toBe(0);
  });
  it('weighs a shade step (same colour, darker) less than a change of colour of the same RGB size', () => {
    const shade = foreheadSkinDistance([180, 130, 100], skin); // every channel −20
    const blueCap = foreheadSkinDistance([200 - 20, 150 + 20, 120 + 20], skin); // same RGB length, hue moved
    expect(shade).toBeCloseTo(20 / toYCbCr(skin)[0], 2);
    expect(blueCap).toBeGreaterThan(shade);
  });
  it('does not divide by a near-black skin luma', () => {
    expect(Number.isFinite(foreheadSkinDistance([40, 40, 40], [0, 0, 0]))).toBe(true);
    expect(foreheadSkinDistance([40, 40, 40], [0, 0, 0])).toBeCloseTo(40 / 20, 2);
  });
});

describe('errorUpperBound (Wilson 95 %)', () => {
  it('matches the closed form for no errors, z² / (n + z²)', () => {
    expect(errorUpperBound(0, 84)).toBeCloseTo(1.96 ** 2 / (84 + 1.96 ** 2), 6);
  });
  it('is above the observed rate and 1 for no data', () => {
    expect(errorUpperBound(4, 81)).toBeGreaterThan(4 / 81);
    expect(errorUpperBound(0, 0)).toBe(1);
  });
});

describe('HAT_BANDS', () => {
  it('ascend, end at Infinity, and only the first band earns high confidence', () => {
    const ends = HAT_BANDS.map((b) => b.upTo);
    expect([...ends].sort((a, b) => a - b)).toEqual(ends);
    expect(ends.at(-1)).toBe(Number.POSITIVE_INFINITY);
    expect(errorUpperBound(HAT_BANDS[0]!.hats, HAT_BANDS[0]!.photos)).toBeLessThan(HIGH_CONFIDENCE_MAX_ERROR);
    for (const band of HAT_BANDS.slice(1)) expect(errorUpperBound(band.hats, band.photos)).toBeGreaterThanOrEqual(HIGH_CONFIDENCE_MAX_ERROR);
  });
});

describe('hatVerdict', () => {
  it('a forehead that matches the skin: no, high confidence, decided by the bare forehead', () => {
    const v = hatVerdict(0.05);
    expect(v).toMatchObject({ value: false, confidence: 'high', basis: { method: 'bareForehead' } });
    expect(v.score).toBeCloseTo(1 / (HAT_BANDS[0]!.photos + 2), 6);
    expect(hatVerdict(HAT_BANDS[0]!.upTo).confidence).toBe('high');
  });
  it('a forehead that does not match the skin: still no (hair and shade outnumber hats there), but low confidence', () => {
    for (const distance of [0.16, 0.4, 1, 10]) {
      const v = hatVerdict(distance);
      expect(v, String(distance)).toMatchObject({ value: false, confidence: 'low', basis: { method: 'foreheadNotSkinUnvalidated', measurements: { foreheadSkinDistance: distance } } });
      expect(v.score).toBeGreaterThan(hatVerdict(0.05).score);
      expect(v.score).toBeLessThan(0.5);
    }
  });
});
