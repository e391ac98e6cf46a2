/**
 * Bilinear resize matching tf.image.resizeBilinear(images, size, alignCorners = false, halfPixelCenters = false),
 * the call face-api's NetInput.toBatchTensor makes (src/dom/NetInput.ts). Formula as in tfjs-backend-cpu
 * src/kernels/ResizeBilinear.ts: source = dst × (in / out) (no half-pixel shift), floor/ceil neighbours clamped to
 * the last row/column, interpolate along x then along y. Arithmetic is rounded to float32 at every step like the
 * TF C++ and tfjs-wasm kernels (the tfjs CPU backend computes in doubles and differs by up to ~0.005 of a 0–255
 * level); test/parity/faceapi-detectors.test.ts checks that the result equals tfjs-wasm's bit for bit.
 *
 * Two things the model inputs need are done inside the one pass rather than as extra passes over extra copies
 * (on the main thread they cost ≈ 2 ms and an 11 MB padded copy per 1920 × 1080 photo: bench/RESULTS.md,
 * "Main-thread pre-processing, second pass"): writing planar NCHW instead of interleaved pixels, and zero padding at the bottom/right
 * (face-api's padToSquare) read as zeros instead of materialised.
 */

/** Interleaved (HWC) pixels with any number of channels, 0–255 or any float range. */
export interface PixelGrid {
  data: ArrayLike<number>;
  width: number;
  height: number;
  channels: number;
}

export interface ResizeOptions {
  /** 'hwc' (default): interleaved like the source; 'chw': planar, channel after channel (one NCHW image). */
  layout?: 'hwc' | 'chw';
  /**
   * Resize the source as if zero-padded at the bottom and right to this size (≥ the source's), i.e. exactly
   * resizeBilinear(padded, …) without building `padded`.
   */
  padTo?: { width: number; height: number };
}

/** Resizes `source` to `width × height`; returns float32 with the same channels, laid out as `options.layout`. */
export function resizeBilinear(source: PixelGrid, width: number, height: number, options: ResizeOptions = {}): Float32Array {
  const { data, channels } = source;
  if (!(width > 0 && height > 0 && Number.isInteger(width) && Number.isInteger(height))) {
    throw new Error(`resizeBilinear: expected a positive integer size, got ${width}×${height}`);
  }
  if (data.length !== source.width * source.height * channels) {
    throw new Error(`resizeBilinear: source holds ${data.length} values, expected ${source.width}×${source.height}×${channels}`);
  }
  const inWidth = options.padTo?.width ?? source.width;
  const inHeight = options.padTo?.height ?? source.height;
  if (inWidth < source.width || inHeight < source.height) {
    throw new Error(`resizeBilinear: cannot pad ${source.width}×${source.height} to the smaller ${inWidth}×${inHeight}`);
  }
  const out = new Float32Array(width * height * channels);
  // Output index of (row r, column c, channel d) = (r·width + c)·pixelStride + d·channelStride.
  const planar = options.layout === 'chw';
  const pixelStride = planar ? 1 : channels;
  const channelStride = planar ? width * height : 1;
  // float32 throughout, as the TF C++ and tfjs-wasm kernels compute (scale, source coordinate, lerp weights).
  const f32 = Math.fround;
  const rowRatio = f32(inHeight / height);
  const colRatio = f32(inWidth / width);
  const rowStride = source.width * channels;
  // Column neighbours and weights are the same for every row: compute them once. Neighbours are
  // non-decreasing in c, so the columns whose right (then left) neighbour lies in the padding form a suffix.
  const colLeft = new Int32Array(width);
  const colRight = new Int32Array(width);
  const colFrac = new Float32Array(width);
  let rightInside = width;
  let leftInside = width;
  for (let c = width - 1; c >= 0; c--) {
    const frac = f32(colRatio * c);
    const floor = Math.max(0, Math.floor(frac));
    const right = Math.min(inWidth - 1, Math.ceil(frac));
    colLeft[c] = floor * channels;
    colRight[c] = right * channels;
    colFrac[c] = f32(frac - floor);
    if (right >= source.width) rightInside = c;
    if (floor >= source.width) leftInside = c;
  }
  for (let r = 0; r < height; r++) {
    const frac = f32(rowRatio * r);
    const floor = Math.max(0, Math.floor(frac));
    const bottomRow = Math.min(inHeight - 1, Math.ceil(frac));
    // Rows inside the padding are zeros: a pixel whose four neighbours are all padding is 0, as `out` already is.
    if (floor >= source.height) break;
    const hasBottom = bottomRow < source.height;
    const rowFrac = f32(frac - floor);
    const top = floor * rowStride;
    const bottom = bottomRow * rowStride;
    const rowOut = r * width;
    let c = 0;
    if (channels === 3 && hasBottom) {
      // Three channels (every model input here) with all four neighbours inside the source: the general loop's
      // arithmetic, unrolled and without its per-channel padding checks, so the values are the same bit for bit
      // (resize.test.ts compares them). The SSD's 512² input from a 1920 × 1367 photo: ≈ 20 % less time than the
      // general loop (bench/RESULTS.md, "Peers: where ours' time goes").
      const end = Math.min(rightInside, leftInside);
      for (; c < end; c++) {
        const topLeft = top + colLeft[c]!;
        const topRight = top + colRight[c]!;
        const bottomLeft = bottom + colLeft[c]!;
        const bottomRight = bottom + colRight[c]!;
        const cf = colFrac[c]!;
        const o = (rowOut + c) * pixelStride;
        let tl = data[topLeft]!;
        let bl = data[bottomLeft]!;
        let upper = f32(tl + f32(f32(data[topRight]! - tl) * cf));
        let lower = f32(bl + f32(f32(data[bottomRight]! - bl) * cf));
        out[o] = upper + f32(f32(lower - upper) * rowFrac);
        tl = data[topLeft + 1]!;
        bl = data[bottomLeft + 1]!;
        upper = f32(tl + f32(f32(data[topRight + 1]! - tl) * cf));
        lower = f32(bl + f32(f32(data[bottomRight + 1]! - bl) * cf));
        out[o + channelStride] = upper + f32(f32(lower - upper) * rowFrac);
        tl = data[topLeft + 2]!;
        bl = data[bottomLeft + 2]!;
        upper = f32(tl + f32(f32(data[topRight + 2]! - tl) * cf));
        lower = f32(bl + f32(f32(data[bottomRight + 2]! - bl) * cf));
        out[o + 2 * channelStride] = upper + f32(f32(lower - upper) * rowFrac);
      }
    }
    for (; c < leftInside; c++) {
      const left = colLeft[c]!;
      const right = colRight[c]!;
      const cf = colFrac[c]!;
      const hasRight = c < rightInside;
      let o = (rowOut + c) * pixelStride;
      for (let d = 0; d < channels; d++, o += channelStride) {
        const topLeft = data[top + left + d]!;
        const topRight = hasRight ? data[top + right + d]! : 0;
        const bottomLeft = hasBottom ? data[bottom + left + d]! : 0;
        const bottomRight = hasBottom && hasRight ? data[bottom + right + d]! : 0;
        const upper = f32(topLeft + f32(f32(topRight - topLeft) * cf));
        const lower = f32(bottomLeft + f32(f32(bottomRight - bottomLeft) * cf));
        out[o] = upper + f32(f32(lower - upper) * rowFrac);
      }
    }
  }
  return out;
}
