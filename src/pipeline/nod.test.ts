import { describe, expect, it } from 'vitest';
import { detectNods, findExcursions, turningPoints, type AngleSample } from './nod.js';

/** Samples of f(t) at `fps` over `seconds`, plus deterministic jitter of ±`jitter` degrees. */
function series(f: (t: number) => number, seconds: number, fps = 4, jitter = 0): AngleSample[] {
  return Array.from({ length: Math.round(seconds * fps) + 1 }, (_, i) => {
    const t = i / fps;
    return { timeSeconds: t, angleDeg: f(t) + jitter * Math.sin(i * 2.39996) };
  });
}

describe('detectNods (pitch down and back up: negative pitch, src/quality/head-turned.ts)', () => {
  it('finds one nod: 20° down and back within a second, on a noisy still baseline', () => {
    const pitch = series((t) => (t >= 2 && t <= 3 ? -20 * Math.sin(Math.PI * (t - 2)) : 0), 6, 4, 2);
    const nods = detectNods(pitch);
    expect(nods).toHaveLength(1);
    expect(nods[0]!.peakSeconds).toBeCloseTo(2.5, 5);
    expect(nods[0]!.amplitudeDeg).toBeGreaterThan(15);
  });

  it('counts two nods in a row', () => {
    const pitch = series((t) => Math.min(0, -18 * Math.sin(2 * Math.PI * t * 0.5)), 4.5, 8);
    expect(detectNods(pitch)).toHaveLength(2);
  });

  it('finds none on a still head with ±4° jitter', () => {
    expect(detectNods(series(() => -5, 10, 4, 4))).toHaveLength(0);
  });

  it('finds none when the head looks down and stays down (no return)', () => {
    expect(detectNods(series((t) => (t < 2 ? 0 : -25), 6))).toHaveLength(0);
  });

  it('ignores an upward excursion (looking up and back is not a nod) but findExcursions(both) sees it', () => {
    const pitch = series((t) => (t >= 1 && t <= 2 ? 20 * Math.sin(Math.PI * (t - 1)) : 0), 4);
    expect(detectNods(pitch)).toHaveLength(0);
    expect(findExcursions(pitch, { minAmplitudeDeg: 10, maxSeconds: 3, direction: 'both' })).toHaveLength(1);
  });

  it('ignores a swing that is too slow (down for 5 s) and one that is too small (6°)', () => {
    expect(detectNods(series((t) => (t >= 1 && t <= 7 ? -20 * Math.sin((Math.PI * (t - 1)) / 6) : 0), 9))).toHaveLength(0);
    expect(detectNods(series((t) => (t >= 1 && t <= 2 ? -6 * Math.sin(Math.PI * (t - 1)) : 0), 4))).toHaveLength(0);
  });

  it('does not depend on sample order and skips non-finite angles', () => {
    const pitch = series((t) => (t >= 2 && t <= 3 ? -20 * Math.sin(Math.PI * (t - 2)) : 0), 5);
    const shuffled = [...pitch].reverse().concat([{ timeSeconds: 1.1, angleDeg: Number.NaN }]);
    expect(detectNods(shuffled)).toHaveLength(1);
  });

  it('turningPoints: alternating extremes under hysteresis, with first and last sample', () => {
    const points = turningPoints(series((t) => [0, 15, 0, 15, 0][Math.round(t)]!, 4, 1), 10);
    expect(points.map((p) => p.angleDeg)).toEqual([0, 15, 0, 15, 0]);
    expect(turningPoints([], 10)).toEqual([]);
  });
});
