import { describe, expect, it } from 'vitest';
import { resizeBilinear } from './resize.js';

const grid = (data: number[], width: number, height: number, channels = 1) => ({ data, width, height, channels });

describe('resizeBilinear (tf.image.resizeBilinear, alignCorners = false, halfPixelCenters = false)', () => {
  it('upsamples 2×2 → 4×4 sampling at dst × in/out, repeating the last row and column', () => {
    const out = resizeBilinear(grid([0, 10, 20, 30], 2, 2), 4, 4);
    // Source coordinates 0, 0.5, 1, 1.5 per axis; 1.5 clamps both neighbours to index 1.
    expect(Array.from(out)).toEqual([0, 5, 10, 10, 10, 15, 20, 20, 20, 25, 30, 30, 20, 25, 30, 30]);
  });

  it('downsamples 4×1 → 2×1 by picking source pixels 0 and 2 (no area averaging, no half-pixel shift)', () => {
    expect(Array.from(resizeBilinear(grid([1, 2, 3, 4], 4, 1), 2, 1))).toEqual([1, 3]);
  });

  it('interpolates each channel of interleaved pixels separately', () => {
    const out = resizeBilinear(grid([0, 100, 10, 200], 2, 1, 2), 4, 1);
    expect(Array.from(out)).toEqual([0, 100, 5, 150, 10, 200, 10, 200]);
  });

  it('keeps the image when the size is unchanged', () => {
    const data = [3, 1, 4, 1, 5, 9];
    expect(Array.from(resizeBilinear(grid(data, 3, 2), 3, 2))).toEqual(data);
  });

  it('rejects a non-integer size and data that does not match the declared size', () => {
    expect(() => resizeBilinear(grid([0, 0, 0, 0], 2, 2), 2.5, 2)).toThrow(/positive integer size/);
    expect(() => resizeBilinear(grid([0, 0, 0], 2, 2), 2, 2)).toThrow(/holds 3 values/);
  });
});
