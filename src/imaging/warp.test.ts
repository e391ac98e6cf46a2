import { describe, expect, it } from 'vitest';
import type { RgbImage } from './image.js';
import { rotatedSquareCrop } from './warp.js';

/** 4×4 image whose red channel is 10·x + y and green channel 100 everywhere. */
function ramp(): RgbImage {
  const data = new Uint8Array(4 * 4 * 3);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) data.set([10 * x + y, 100, 0], (y * 4 + x) * 3);
  return { data, width: 4, height: 4 };
}

describe('rotatedSquareCrop', () => {
  it('with no rotation and scale 1 copies the square', () => {
    const { image, origin, scale } = rotatedSquareCrop(ramp(), { x: 2, y: 2 }, 0, 2, 2);
    expect(origin).toEqual({ x: 1, y: 1 });
    expect(scale).toBe(1);
    expect(Array.from(image.data.filter((_, i) => i % 3 === 0))).toEqual([11, 21, 12, 22]);
  });

  it('rotates by 90°: the crop x axis follows the image y axis', () => {
    const { image } = rotatedSquareCrop(ramp(), { x: 2, y: 2 }, Math.PI / 2, 2, 2);
    // crop (u, v) samples image (x = 2 + 0.5 − v', y = …): first row walks down the image column x = 2.
    expect(Array.from(image.data.filter((_, i) => i % 3 === 0))).toEqual([21, 22, 11, 12]);
  });

  it('fills outside the image with black', () => {
    const { image } = rotatedSquareCrop(ramp(), { x: 0, y: 0 }, 0, 2, 2);
    expect(image.data[1]).toBe(0); // crop (0,0) samples image (−0.5, −0.5)… → outside
    expect(image.data[(1 * 2 + 1) * 3 + 1]).toBe(100); // crop (1,1) samples image pixel (0,0)
  });
});
