/** Unit tests of the eyewear measurements and verdicts (eye-region.ts, sunglasses.ts, eyewear.ts, reading-glasses.ts): synthetic pixels, no model. */
import { describe, expect, it } from 'vitest';
import type { EyeRegionMeasurement } from './eye-region.js';
import { strongestBar } from './eye-region.js';
import { eyewearVerdict } from './eyewear.js';
import { readingGlassesVerdict } from './reading-glasses.js';
import { sunglassesVerdict } from './sunglasses.js';

/** A 40×40 grey image, luma `base`, with rows [y0, y1) set to `level` (all three channels). */
function rows(base: number, spans: { y0: number; y1: number; level: number }[]) {
  const data = new Uint8Array(40 * 40 * 3).fill(base);
  for (const { y0, y1, level } of spans) data.fill(level, y0 * 40 * 3, y1 * 40 * 3);
  return { data, width: 40, height: 40 };
}
const whole = { x0: 0, y0: 0, x1: 40, y1: 40 };
const measurement = (m: Partial<EyeRegionMeasurement>): EyeRegionMeasurement => ({ lensDarkShare: 0.2, lensColourDistance: 5, frameBars: 0.02, skinReference: 'cheeks', ...m });

describe('strongestBar', () => {
  it('finds a thin dark bar, by its contrast to the rows on both sides', () => {
    expect(strongestBar(rows(180, [{ y0: 20, y1: 22, level: 60 }]), whole, 4)).toBeCloseTo(120, 0);
  });
  it('gives 0 for a step edge (a mask top, a shadow boundary) and for a flat image', () => {
    expect(strongestBar(rows(180, [{ y0: 20, y1: 40, level: 60 }]), whole, 4)).toBe(0);
    expect(strongestBar(rows(180, []), whole, 4)).toBe(0);
  });
  it('needs the bar in both halves of the strip: a crease on one side only does not count', () => {
    const image = rows(180, []);
    for (let y = 20; y < 22; y++) image.data.fill(60, (y * 40) * 3, (y * 40 + 20) * 3);
    expect(strongestBar(image, whole, 4)).toBe(0);
  });
});

describe('eyewear verdicts', () => {
  it('dark lenses: sunglasses and eyewear yes, readingGlasses no, decided by lens darkness', () => {
    const m = measurement({ lensDarkShare: 0.95 });
    expect(sunglassesVerdict(m)).toMatchObject({ value: true, confidence: 'high', basis: { method: 'lensDarkness' } });
    expect(eyewearVerdict(m).value).toBe(true);
    expect(readingGlassesVerdict(m)).toMatchObject({ value: false, basis: { method: 'sunglasses' } });
  });
  it('mirrored lenses: decided by lens colour', () => {
    expect(sunglassesVerdict(measurement({ lensColourDistance: 60 }))).toMatchObject({ value: true, basis: { method: 'lensColour' } });
  });
  it('eye whites hidden: sunglasses yes (low) only where the lens area is at least half as dark or coloured as a lens cue needs', () => {
    // A mirrored lens short of both lens cues (as measured on the labelled photo behind the rule: 0.51 dark, 17.8 colour).
    const mirrored = measurement({ lensDarkShare: 0.51, lensColourDistance: 17.8, eyeWhiteContrast: -0.01 });
    expect(sunglassesVerdict(mirrored)).toMatchObject({ value: true, confidence: 'low', basis: { method: 'eyeWhiteHidden', measurements: { eyeWhiteContrast: -0.01 } } });
    expect(eyewearVerdict(mirrored)).toMatchObject({ value: true, confidence: 'low', basis: { method: 'eyeWhiteHidden' } });
    expect(readingGlassesVerdict(mirrored)).toMatchObject({ value: false, basis: { method: 'sunglasses' } });
    // Closed eyes show no sclera either, but their lids are skin: no support, no answer from this cue.
    expect(sunglassesVerdict(measurement({ lensDarkShare: 0.14, lensColourDistance: 0, eyeWhiteContrast: 0 }))).toMatchObject({ value: false, basis: { method: 'lensDarkness' } });
    // The same lens area with a visible eye white: the lens cues decide (no).
    expect(sunglassesVerdict(measurement({ lensDarkShare: 0.51, lensColourDistance: 17.8, eyeWhiteContrast: 0.4 })).value).toBe(false);
    // Where a lens cue already says yes, it decides, with its own confidence.
    expect(sunglassesVerdict(measurement({ lensDarkShare: 0.95, eyeWhiteContrast: 0 }))).toMatchObject({ value: true, confidence: 'high', basis: { method: 'lensDarkness' } });
  });
  it('a frame with skin-like lenses: reading glasses', () => {
    const m = measurement({ frameBars: 0.5 });
    expect(eyewearVerdict(m)).toMatchObject({ value: true, confidence: 'high', basis: { method: 'frameBars' } });
    expect(readingGlassesVerdict(m)).toMatchObject({ value: true, confidence: 'high' });
    expect(sunglassesVerdict(m).value).toBe(false);
  });
  it('nothing: all three no, high confidence; near a threshold: low confidence', () => {
    const m = measurement({});
    for (const v of [eyewearVerdict(m), sunglassesVerdict(m), readingGlassesVerdict(m)]) expect(v).toMatchObject({ value: false, confidence: 'high' });
    expect(eyewearVerdict(measurement({ frameBars: 0.13 })).confidence).toBe('low');
    expect(sunglassesVerdict(measurement({ lensDarkShare: 0.72 })).confidence).toBe('low');
  });
});
