/**
 * Bilinear resize matching tf.image.resizeBilinear(images, size, alignCorners = false, halfPixelCenters = false),
 * the call face-api's NetInput.toBatchTensor makes (src/dom/NetInput.ts). Formula as in tfjs-backend-cpu
 * src/kernels/ResizeBilinear.ts: source = dst × (in / out) (no half-pixel shift), floor/ceil neighbours clamped to
 * the last row/column, interpolate along x then along y. Arithmetic is rounded to float32 at every step like the
 * TF C++ and tfjs-wasm kernels (the tfjs CPU backend computes in doubles and differs by up to ~0.005 of a 0–255
 * level); test/parity/faceapi-detectors.test.ts checks that the result equals tfjs-wasm's bit for bit.
 */

/** Interleaved (HWC) pixels with any number of channels, 0–255 or any float range. */
export interface PixelGrid {
  data: ArrayLike<number>;
  width: number;
  height: number;
  channels: number;
}

/** Resizes `source` to `width × height`; returns HWC float32 with the same channels. */
export function resizeBilinear(source: PixelGrid, width: number, height: number): Float32Array {
  const { data, channels } = source;
  if (!(width > 0 && height > 0 && Number.isInteger(width) && Number.isInteger(height))) {
    throw new Error(`resizeBilinear: expected a positive integer size, got ${width}×${height}`);
  }
  if (data.length !== source.width * source.height * channels) {
    throw new Error(`resizeBilinear: source holds ${data.length} values, expected ${source.width}×${source.height}×${channels}`);
  }
  const out = new Float32Array(width * height * channels);
  // float32 throughout, as the TF C++ and tfjs-wasm kernels compute (scale, source coordinate, lerp weights).
  const f32 = Math.fround;
  const rowRatio = f32(source.height / height);
  const colRatio = f32(source.width / width);
  const rowStride = source.width * channels;
  // Column neighbours and weights are the same for every row: compute them once.
  const colLeft = new Int32Array(width);
  const colRight = new Int32Array(width);
  const colFrac = new Float32Array(width);
  for (let c = 0; c < width; c++) {
    const frac = f32(colRatio * c);
    const floor = Math.max(0, Math.floor(frac));
    colLeft[c] = floor * channels;
    colRight[c] = Math.min(source.width - 1, Math.ceil(frac)) * channels;
    colFrac[c] = f32(frac - floor);
  }
  let o = 0;
  for (let r = 0; r < height; r++) {
    const frac = f32(rowRatio * r);
    const floor = Math.max(0, Math.floor(frac));
    const rowFrac = f32(frac - floor);
    const top = floor * rowStride;
    const bottom = Math.min(source.height - 1, Math.ceil(frac)) * rowStride;
    for (let c = 0; c < width; c++) {
      const left = colLeft[c]!;
      const right = colRight[c]!;
      const cf = colFrac[c]!;
      for (let d = 0; d < channels; d++) {
        const topLeft = data[top + left + d]!;
        const topRight = data[top + right + d]!;
        const bottomLeft = data[bottom + left + d]!;
        const bottomRight = data[bottom + right + d]!;
        const upper = f32(topLeft + f32(f32(topRight - topLeft) * cf));
        const lower = f32(bottomLeft + f32(f32(bottomRight - bottomLeft) * cf));
        out[o++] = upper + f32(f32(lower - upper) * rowFrac);
      }
    }
  }
  return out;
}
