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

  it('rejects a non-integer size, data that does not match the declared size, and padding to a smaller size', () => {
    expect(() => resizeBilinear(grid([0, 0, 0, 0], 2, 2), 2.5, 2)).toThrow(/positive integer size/);
    expect(() => resizeBilinear(grid([0, 0, 0], 2, 2), 2, 2)).toThrow(/holds 3 values/);
    expect(() => resizeBilinear(grid([0, 0, 0, 0], 2, 2), 2, 2, { padTo: { width: 1, height: 2 } })).toThrow(/smaller 1×2/);
  });

  it('chw layout and padTo equal an explicit zero pad, an interleaved resize and a transpose, bit for bit', () => {
    // Reference: the three passes the options replace, on random pixels (bytes and floats), landscape and
    // portrait, shrinking and enlarging, the padding boundary falling between and on sample points.
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const cases: [number, number, number, number, number][] = [
      // source w, h, padded side, output w, h
      [37, 21, 37, 16, 16], [21, 37, 37, 16, 16], [40, 30, 40, 64, 64], [30, 40, 40, 9, 13], [5, 5, 5, 5, 5], [64, 48, 64, 64, 64],
      [3, 2, 3, 3, 3], [1, 7, 7, 4, 4], [50, 50, 50, 7, 11],
    ];
    for (const [w, h, side, outW, outH] of cases) {
      for (const data of [Uint8Array.from({ length: w * h * 3 }, () => Math.floor(random() * 256)), Float32Array.from({ length: w * h * 3 }, () => random())]) {
        const padded = new (data.constructor as Uint8ArrayConstructor | Float32ArrayConstructor)(side * side * 3);
        for (let y = 0; y < h; y++) padded.set(data.subarray(y * w * 3, (y + 1) * w * 3), y * side * 3);
        const hwc = resizeBilinear({ data: padded, width: side, height: side, channels: 3 }, outW, outH);
        const planar = new Float32Array(hwc.length);
        for (let i = 0; i < outW * outH; i++) for (let c = 0; c < 3; c++) planar[c * outW * outH + i] = hwc[i * 3 + c]!;
        const fused = resizeBilinear({ data, width: w, height: h, channels: 3 }, outW, outH, { layout: 'chw', padTo: { width: side, height: side } });
        expect(Buffer.from(fused.buffer).equals(Buffer.from(planar.buffer)), `${w}×${h} → ${side}² → ${outW}×${outH}, ${data.constructor.name}`).toBe(true);
      }
    }
  });

  it('three channels (the unrolled loop) equal each channel resized alone (the general loop), bit for bit', () => {
    let seed = 11;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    // source w, h, padded side (0: none), output w, h: shrinking like the SSD's input, enlarging, padding on either axis.
    const cases: [number, number, number, number, number][] = [[97, 61, 0, 32, 32], [61, 97, 97, 32, 32], [40, 30, 40, 64, 64], [33, 33, 0, 33, 33], [50, 20, 50, 9, 13]];
    for (const [w, h, side, outW, outH] of cases) {
      for (const data of [Uint8Array.from({ length: w * h * 3 }, () => Math.floor(random() * 256)), Float32Array.from({ length: w * h * 3 }, () => random())]) {
        const padTo = side ? { width: side, height: side } : undefined;
        const fused = resizeBilinear({ data, width: w, height: h, channels: 3 }, outW, outH, { layout: 'chw', padTo });
        const planes = new Float32Array(fused.length);
        for (let c = 0; c < 3; c++) {
          const plane = data.filter((_, i) => i % 3 === c);
          planes.set(resizeBilinear({ data: plane, width: w, height: h, channels: 1 }, outW, outH, { padTo }), c * outW * outH);
        }
        expect(Buffer.from(fused.buffer).equals(Buffer.from(planes.buffer)), `${w}×${h} → ${outW}×${outH}, ${data.constructor.name}`).toBe(true);
      }
    }
  });
});
