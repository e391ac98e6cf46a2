/**
 * Pixel statistics shared by the image-measured quality checks (blur, exposure, background, eye and
 * forehead regions). Pure functions on RgbImage / grey planes; no model, no I/O.
 */
import quickselect from 'quickselect';
import type { RgbImage } from '../imaging/image.js';
import type { Point } from '../face/types.js';

/** A grey (luma) plane, one float per pixel, 0–255. */
export interface GreyImage {
  data: Float32Array;
  width: number;
  height: number;
}

/** Rec. 601 luma weights (ITU-R BT.601), the Y of JPEG's YCbCr, so "luminance" here matches what encoders see. */
const LUMA = [0.299, 0.587, 0.114] as const;

export function toGrey(image: RgbImage): GreyImage {
  const { data, width, height } = image;
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = LUMA[0] * data[3 * i]! + LUMA[1] * data[3 * i + 1]! + LUMA[2] * data[3 * i + 2]!;
  return { data: out, width, height };
}

/**
 * The element at index ⌊n / 2⌋ of `values` sorted ascending (the upper median), 0 for none. Reorders `values` (pass a
 * copy to keep the order). A selection (Floyd–Rivest, the `quickselect` package) in O(n), not a sort: the same element,
 * for ≈ 1/5 of the time on the eye region's ≈ 5,000-pixel planes (bench/RESULTS.md "medians by selection").
 */
export function upperMedianInPlace(values: Float32Array | Float64Array): number {
  if (values.length === 0) return 0;
  const k = values.length >> 1;
  // quickselect reads and swaps elements by index only, which a typed array supports as an array does.
  quickselect(values as unknown as number[], k);
  return values[k]!;
}

/** Integer pixel rectangle [x0, x1) × [y0, y1). */
export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Clamps a rectangle (any real coordinates) to whole pixels inside a `width × height` image. */
export function clampRect(r: Rect, width: number, height: number): Rect {
  // Landmark-built rectangles can come out inverted on a profile face: order the corners first.
  const [lx, hx] = [Math.min(r.x0, r.x1), Math.max(r.x0, r.x1)];
  const [ly, hy] = [Math.min(r.y0, r.y1), Math.max(r.y0, r.y1)];
  const x0 = Math.max(0, Math.min(width, Math.floor(lx)));
  const y0 = Math.max(0, Math.min(height, Math.floor(ly)));
  return { x0, y0, x1: Math.max(x0, Math.min(width, Math.ceil(hx))), y1: Math.max(y0, Math.min(height, Math.ceil(hy))) };
}

/** Bounding rectangle of points, grown by `margin` × its size on every side. */
export function rectAround(points: readonly Point[], margin = 0): Rect {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const [mx, my] = [(x1 - x0) * margin, (y1 - y0) * margin];
  return { x0: x0 - mx, y0: y0 - my, x1: x1 + mx, y1: y1 + my };
}

/**
 * Variance of the 4-neighbour Laplacian over `rect` (interior pixels only), in (grey levels)².
 * The classic focus measure (Pech-Pacheco et al., "Diatom autofocusing in brightfield microscopy", ICPR 2000).
 */
export function laplacianVariance(grey: GreyImage, rect?: Rect): number {
  const { data, width, height } = grey;
  const r = clampRect(rect ?? { x0: 0, y0: 0, x1: width, y1: height }, width, height);
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = Math.max(1, r.y0); y < Math.min(height - 1, r.y1); y++) {
    for (let x = Math.max(1, r.x0); x < Math.min(width - 1, r.x1); x++) {
      const i = y * width + x;
      const lap = data[i - 1]! + data[i + 1]! + data[i - width]! + data[i + width]! - 4 * data[i]!;
      sum += lap;
      sumSq += lap * lap;
      n++;
    }
  }
  if (n === 0) return 0;
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

export interface LumaStats {
  /** Mean luma, 0–255. */
  mean: number;
  /** Standard deviation of luma, grey levels. */
  std: number;
  /** Fraction (0–1) of pixels at or below `DARK_CLIP_LEVEL`. */
  darkFraction: number;
  /** Fraction (0–1) of pixels at or above `BRIGHT_CLIP_LEVEL`. */
  brightFraction: number;
  /** Number of pixels measured. */
  count: number;
}

/** Luma at or below this counts as crushed shadow (≈ 6 % of full scale; the usual "clipped blacks" zone of exposure histograms). */
export const DARK_CLIP_LEVEL = 16;
/** Luma at or above this counts as blown highlight (≈ 94 % of full scale, symmetric to DARK_CLIP_LEVEL). */
export const BRIGHT_CLIP_LEVEL = 240;

export function lumaStats(grey: GreyImage, rect?: Rect): LumaStats {
  const { data, width, height } = grey;
  const r = clampRect(rect ?? { x0: 0, y0: 0, x1: width, y1: height }, width, height);
  let sum = 0;
  let sumSq = 0;
  let dark = 0;
  let bright = 0;
  let n = 0;
  for (let y = r.y0; y < r.y1; y++) {
    for (let x = r.x0; x < r.x1; x++) {
      const v = data[y * width + x]!;
      sum += v;
      sumSq += v * v;
      if (v <= DARK_CLIP_LEVEL) dark++;
      if (v >= BRIGHT_CLIP_LEVEL) bright++;
      n++;
    }
  }
  return finishLumaStats(sum, sumSq, dark, bright, n);
}

/** LumaStats from the running sums of `n` luma values (shared by lumaStats and wholeImageLuma). */
function finishLumaStats(sum: number, sumSq: number, dark: number, bright: number, n: number): LumaStats {
  if (n === 0) return { mean: 0, std: 0, darkFraction: 0, brightFraction: 0, count: 0 };
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(0, sumSq / n - mean * mean)), darkFraction: dark / n, brightFraction: bright / n, count: n };
}

/**
 * Pixels `wholeImageLuma` measures at most (2^19 ≈ 0.5 MP): larger images are sampled on a regular grid of
 * every `stride`-th column and row. Image-level mean, spread, clipped fractions and percentiles of a
 * half-megapixel grid differ from the full image's only by sampling noise (well under a grey level), while
 * the full pass over a 1080p photo cost ≈ 20 ms of main-thread time per request (bench/RESULTS.md "Where the
 * time goes (issue #8)").
 */
export const WHOLE_IMAGE_LUMA_MAX_SAMPLES = 1 << 19;

/**
 * Luma statistics and luma percentile `p` (0–1) of a whole image in one pass over its RGB bytes, without
 * building a grey plane. Up to WHOLE_IMAGE_LUMA_MAX_SAMPLES pixels it equals `lumaStats(toGrey(image))` and a
 * histogram of `Math.round` of that grey plane bit for bit (each luma is rounded to float32 as the grey plane
 * stores it); larger images are measured on a grid (see WHOLE_IMAGE_LUMA_MAX_SAMPLES).
 */
export function wholeImageLuma(image: RgbImage, p: number): { stats: LumaStats; percentile: number } {
  const { data, width, height } = image;
  const stride = Math.max(1, Math.ceil(Math.sqrt((width * height) / WHOLE_IMAGE_LUMA_MAX_SAMPLES)));
  const histogram = new Uint32Array(256);
  let sum = 0;
  let sumSq = 0;
  let dark = 0;
  let bright = 0;
  let n = 0;
  const [kr, kg, kb] = LUMA;
  for (let y = 0; y < height; y += stride) {
    for (let j = y * width * 3, end = (y + 1) * width * 3; j < end; j += 3 * stride) {
      const v = Math.fround(kr * data[j]! + kg * data[j + 1]! + kb * data[j + 2]!);
      sum += v;
      sumSq += v * v;
      if (v <= DARK_CLIP_LEVEL) dark++;
      if (v >= BRIGHT_CLIP_LEVEL) bright++;
      histogram[Math.min(255, Math.round(v))]!++;
      n++;
    }
  }
  if (n === 0) return { stats: finishLumaStats(0, 0, 0, 0, 0), percentile: 0 };
  let seen = 0;
  let percentile = 255;
  for (let level = 0; level < 256; level++) {
    seen += histogram[level]!;
    if (seen >= p * n) {
      percentile = level;
      break;
    }
  }
  return { stats: finishLumaStats(sum, sumSq, dark, bright, n), percentile };
}

/** Mean RGB over `rect`, each 0–255. */
export function meanColour(image: RgbImage, rect: Rect): [number, number, number] {
  const r = clampRect(rect, image.width, image.height);
  const sums = [0, 0, 0];
  let n = 0;
  for (let y = r.y0; y < r.y1; y++) {
    for (let x = r.x0; x < r.x1; x++) {
      const i = (y * image.width + x) * 3;
      sums[0]! += image.data[i]!;
      sums[1]! += image.data[i + 1]!;
      sums[2]! += image.data[i + 2]!;
      n++;
    }
  }
  return n === 0 ? [0, 0, 0] : [sums[0]! / n, sums[1]! / n, sums[2]! / n];
}

/** Logistic squashing of `(x − centre) / width` to 0–1: turns a measurement into a score with 0.5 at the threshold. */
export function logistic(x: number, centre: number, width: number): number {
  return 1 / (1 + Math.exp(-(x - centre) / width));
}
