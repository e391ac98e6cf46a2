import { describe, expect, it } from 'vitest';
import { clampBox, iou, nonMaxSuppression } from './geometry.js';

describe('geometry', () => {
  it('computes IoU of overlapping, identical and disjoint boxes', () => {
    const a = { x: 0, y: 0, width: 10, height: 10 };
    expect(iou(a, a)).toBe(1);
    expect(iou(a, { x: 5, y: 0, width: 10, height: 10 })).toBeCloseTo(50 / 150);
    expect(iou(a, { x: 20, y: 20, width: 5, height: 5 })).toBe(0);
  });

  it('keeps the best of overlapping boxes and drops low scores', () => {
    const boxes = [
      { x: 0, y: 0, width: 10, height: 10 },
      { x: 1, y: 1, width: 10, height: 10 },
      { x: 50, y: 50, width: 10, height: 10 },
      { x: 80, y: 80, width: 10, height: 10 },
    ];
    const kept = nonMaxSuppression(boxes, [0.8, 0.9, 0.7, 0.1], { iouThreshold: 0.5, scoreThreshold: 0.5, maxResults: 10 });
    expect(kept).toEqual([1, 2]);
  });

  it('clamps a box to the image', () => {
    expect(clampBox({ x: -5, y: 2, width: 20, height: 200 }, 10, 100)).toEqual({ x: 0, y: 2, width: 10, height: 98 });
  });
});
