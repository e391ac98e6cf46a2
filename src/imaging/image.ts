/**
 * The decoded image every pipeline stage works on: one decode, then crops and resizes from it.
 */

/** Interleaved RGB, one byte per channel (0–255), row-major (HWC), `width × height` pixels. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** HWC 0–255 → planar NCHW float32 (batch 1), value = (pixel − mean[c]) / std[c]. */
export function toNchwFloat(image: RgbImage, mean: readonly number[] = [0, 0, 0], std: readonly number[] = [1, 1, 1]): Float32Array {
  const { data, width, height } = image;
  const plane = width * height;
  if (data.length !== plane * 3) throw new Error(`image data holds ${data.length} bytes, expected ${plane * 3} for ${width}×${height} RGB`);
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const m = mean[c]!;
    const s = std[c]!;
    for (let i = 0; i < plane; i++) out[c * plane + i] = (data[i * 3 + c]! - m) / s;
  }
  return out;
}
