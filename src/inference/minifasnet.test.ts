import { describe, expect, it } from 'vitest';
import { antiSpoofCropRect, realProbability, softmax } from './minifasnet.js';

describe('antiSpoofCropRect (Silent-Face CropImage._get_new_box)', () => {
  it('enlarges the box around its centre', () => {
    // centre (200, 200), 100×100 ×2.7 → 270×270 from (65, 65) to (335, 335), inclusive.
    expect(antiSpoofCropRect(640, 480, { x: 150, y: 150, width: 100, height: 100 }, 2.7)).toEqual({ left: 65, top: 65, width: 271, height: 271 });
  });

  it('shifts a box that would leave the image back inside instead of cutting it', () => {
    // 100×100 ×2 at centre (40, 440) → 200×200: shifted to x 0–200, y 279–479.
    expect(antiSpoofCropRect(640, 480, { x: -10, y: 390, width: 100, height: 100 }, 2)).toEqual({ left: 0, top: 279, width: 201, height: 201 });
  });

  it('lowers the scale so the box fits the image', () => {
    // ×4 of 200 px would be 800 px; limited to (480 − 1) / 200 = 2.395 → 479 px.
    const rect = antiSpoofCropRect(640, 480, { x: 220, y: 140, width: 200, height: 200 }, 4);
    expect(rect.top).toBe(0);
    expect(rect.height).toBe(480);
    expect(rect.left + rect.width).toBeLessThanOrEqual(640);
  });
});

describe('realProbability', () => {
  it('is the softmax of class 1', () => {
    expect(realProbability([0, Math.log(3), 0])).toBeCloseTo(0.6, 6);
    expect(Array.from(softmax([1000, 1000]))).toEqual([0.5, 0.5]);
  });
  it('rejects logits of the wrong length', () => {
    expect(() => realProbability([1, 2])).toThrow(/expected 3 values, got 2/);
  });
});
