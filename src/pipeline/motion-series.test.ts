import { describe, expect, it } from 'vitest';
import type { FaceMesh } from '../inference/human-facemesh.js';
import { mouthOpenness } from './motion-series.js';

/** A mesh with every point at the origin but the four mouthOpenness reads (FaceMesh 10, 152, 13, 14), crop pixels. */
function mesh(points: Record<number, [number, number]>, roll = 0): FaceMesh {
  const all: [number, number, number][] = Array.from({ length: 468 }, () => [0, 0, 0]);
  const [c, s] = [Math.cos(roll), Math.sin(roll)];
  for (const [i, [x, y]] of Object.entries(points)) all[Number(i)] = [c * x - s * y, s * x + c * y, 0];
  return { points: all, faceScore: 1, crop: { box: { x: 0, y: 0, width: 192, height: 192 }, angle: 0 } };
}

describe('mouthOpenness', () => {
  // Forehead top at y = 20, chin at y = 170: face height 150 px; lips 96 and 111: a 15 px gap.
  const open = { 10: [96, 20], 152: [96, 170], 13: [96, 96], 14: [96, 111] } as Record<number, [number, number]>;

  it('is the inner-lip gap over the forehead-to-chin height', () => {
    expect(mouthOpenness(mesh(open))).toBeCloseTo(15 / 150, 10);
    expect(mouthOpenness(mesh({ ...open, 14: [96, 96] }))).toBe(0);
  });

  it('keeps its value when the head is tilted in the image (distances, not vertical offsets)', () => {
    expect(mouthOpenness(mesh(open, 0.5))).toBeCloseTo(0.1, 10);
  });

  it('is 0, not NaN or Infinity, for a degenerate mesh with no height', () => {
    expect(mouthOpenness(mesh({}))).toBe(0);
  });
});
