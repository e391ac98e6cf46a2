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

  it('interior and border samples agree with one bounds-checked sampler, bit for bit', () => {
    // Reference: every neighbour read through the bounds check (0 outside), the way the border path reads.
    let seed = 11;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const image: RgbImage = { data: Uint8Array.from({ length: 40 * 30 * 3 }, () => Math.floor(random() * 256)), width: 40, height: 30 };
    const reference = (centre: { x: number; y: number }, angle: number, side: number, size: number): number[] => {
      const { origin, scale } = rotatedSquareCrop(image, centre, angle, side, size);
      const at = (x: number, y: number, c: number) => (x >= 0 && y >= 0 && x < 40 && y < 30 ? image.data[(y * 40 + x) * 3 + c]! : 0);
      const out: number[] = [];
      for (let v = 0; v < size; v++) {
        for (let u = 0; u < size; u++) {
          const [cu, cv] = [(u + 0.5) * scale, (v + 0.5) * scale];
          const x = origin.x + Math.cos(angle) * cu - Math.sin(angle) * cv - 0.5;
          const y = origin.y + Math.sin(angle) * cu + Math.cos(angle) * cv - 0.5;
          const [x0, y0] = [Math.floor(x), Math.floor(y)];
          const [fx, fy] = [x - x0, y - y0];
          for (let c = 0; c < 3; c++) {
            const top = at(x0, y0, c) * (1 - fx) + at(x0 + 1, y0, c) * fx;
            const bottom = at(x0, y0 + 1, c) * (1 - fx) + at(x0 + 1, y0 + 1, c) * fx;
            out.push(Math.round(top * (1 - fy) + bottom * fy));
          }
        }
      }
      return out;
    };
    // Inside, crossing each border, rotated, enlarging and shrinking.
    for (const [x, y, angle, side, size] of [[20, 15, 0.3, 12, 16], [2, 3, -0.7, 20, 9], [38, 28, 2.1, 15, 15], [20, 15, 0, 60, 32], [20, 15, Math.PI / 2, 7, 21]] as const) {
      expect(Array.from(rotatedSquareCrop(image, { x, y }, angle, side, size).image.data), `${x},${y} ${angle} ${side}→${size}`).toEqual(reference({ x, y }, angle, side, size));
    }
  });
});
