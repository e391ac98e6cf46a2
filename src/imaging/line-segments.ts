/**
 * Straight line segments in a grey image: LSD, the a-contrario Line Segment Detector of R. Grompone von Gioi,
 * J. Jakubowicz, J.-M. Morel and G. Randall, "LSD: a Line Segment Detector", Image Processing On Line 2 (2012),
 * pp. 35–55, https://doi.org/10.5201/ipol.2012.gjmr-lsd. There is no maintained LSD on npm, so this is a port of
 * the algorithm as the paper's reference implementation (lsd.c, version 1.6) runs it:
 *
 * 1. Gaussian sub-sampling to `scale` (σ = 0.6 / scale), which removes the staircase of aliased edges.
 * 2. A 2 × 2 gradient and, per pixel, the level-line direction (perpendicular to the gradient); pixels whose
 *    gradient is below q / sin τ are left out (q = 2 grey levels of quantisation noise, τ = 22.5°).
 * 3. Pixels visited in decreasing gradient magnitude; from each unused one a "line-support region" grows over
 *    8-neighbours whose direction agrees with the region's mean direction within τ.
 * 4. Each region is approximated by a rectangle (centre and axis from its gradient-weighted inertia); a region
 *    that fills too little of its rectangle (density < 0.7) is regrown with a tighter tolerance and then shrunk.
 * 5. A rectangle is kept when it is meaningful: its number of false alarms NFA = N_tests · P[≥ k of n pixels
 *    aligned by chance] (binomial, p = τ / 180°) is below ε = 1. On noise, NFA < 1 happens on average less than
 *    once per image: that is what makes the detector parameter-free and silent on texture without structure.
 *
 * Left out from lsd.c: the final `rect_improve` (it fine-tunes width and precision to lower the NFA of segments
 * that are already meaningful, or rescue borderline ones; the callers here use long, clear edges) and the
 * output of the region map. Everything is typed arrays and integer loops; nothing is allocated per pixel.
 */
import type { RgbImage } from './image.js';

/** One channel of intensities, 0–255 (grey levels), row-major, `width × height` values. */
export interface GreyImage {
  data: Float32Array;
  width: number;
  height: number;
}

/**
 * Reusable working memory for lumaFromRgb, gaussianDownsample and detectLineSegments. A caller that detects on one
 * image per request (the liveness context) keeps one and saves the few MB of typed arrays every call would otherwise
 * allocate and zero: without it, checkLiveness spent about 8 ms more per request in garbage collection on 2 cores
 * (bench/RESULTS.md "Liveness with context", cost). What a function returns from it (a GreyImage's data) is valid
 * until the next call that uses the same scratch. Every function that takes one runs synchronously, so one scratch per
 * thread is safe.
 */
export class LineSegmentScratch {
  private readonly buffers = new Map<string, Float32Array | Int32Array | Uint8Array>();

  private take<T extends Float32Array | Int32Array | Uint8Array>(name: string, length: number, zero: boolean, make: (n: number) => T): T {
    let buffer = this.buffers.get(name) as T | undefined;
    if (!buffer || buffer.length < length) {
      // Grown by half again, so a slightly larger image next time does not reallocate.
      buffer = make(Math.ceil(length * 1.5));
      this.buffers.set(name, buffer);
      return buffer.subarray(0, length) as T;
    }
    const view = buffer.subarray(0, length) as T;
    if (zero) view.fill(0);
    return view;
  }

  float32(name: string, length: number, zero: boolean): Float32Array {
    return this.take(name, length, zero, (n) => new Float32Array(n));
  }

  int32(name: string, length: number, zero: boolean): Int32Array {
    return this.take(name, length, zero, (n) => new Int32Array(n));
  }

  uint8(name: string, length: number, zero: boolean): Uint8Array {
    return this.take(name, length, zero, (n) => new Uint8Array(n));
  }
}

/** A detected segment, in pixels of the image given to `detectLineSegments` (lsd.c convention: pixel centres at integer coordinates, so an edge between pixels 49 and 50 lies at 49.5). */
export interface LineSegment {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** Width of the line-support rectangle, pixels (≥ 1 at the working scale). */
  width: number;
  /** −log10(NFA): how far from chance the alignment is; > 0 for every returned segment, larger = clearer. */
  significance: number;
}

export interface LineSegmentOptions {
  /** Working scale, 0 < scale ≤ 1 (lsd.c default 0.8). Smaller is faster and keeps only coarser structure. */
  scale: number;
  /** Gaussian σ = sigmaScale / scale when scale < 1 (lsd.c default 0.6: enough to avoid aliasing, IPOL §2). */
  sigmaScale: number;
  /** Bound on the grey-level quantisation error, grey levels (lsd.c default 2.0). */
  quantization: number;
  /** Angle tolerance τ between a pixel's level line and the region's direction, degrees (lsd.c default 22.5). */
  angleToleranceDegrees: number;
  /** Minimal share of aligned pixels in a region's rectangle, 0–1 (lsd.c default 0.7). */
  densityThreshold: number;
  /** Detection threshold: keep when −log10(NFA) > logEpsilon (lsd.c default 0, i.e. NFA < 1). */
  logEpsilon: number;
  /**
   * Regions whose rectangle is shorter than this (pixels of the input image) are dropped before refinement and
   * validation, which are most of the work per region; 0 (default, as lsd.c) keeps every meaningful segment. For
   * callers that only use long segments.
   */
  minLength: number;
}

/** The reference implementation's defaults (lsd.c `lsd()`), with the paper's reasons given per field above. */
export const LSD_DEFAULTS: Readonly<LineSegmentOptions> = Object.freeze({
  scale: 0.8,
  sigmaScale: 0.6,
  quantization: 2,
  angleToleranceDegrees: 22.5,
  densityThreshold: 0.7,
  logEpsilon: 0,
  minLength: 0,
});

/** An integer pixel rectangle: columns x … x + width − 1, rows y … y + height − 1. */
export interface PixelRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Luma Y′ = 0.299 R′ + 0.587 G′ + 0.114 B′ (ITU-R BT.601), 0–255, of `region` (default: the whole image); edges
 * are detected on brightness alone.
 */
export function lumaFromRgb(image: RgbImage, region: PixelRegion = { x: 0, y: 0, width: image.width, height: image.height }, scratch?: LineSegmentScratch): GreyImage {
  const { data } = image;
  const { x, y, width, height } = region;
  if (!(x >= 0 && y >= 0 && width > 0 && height > 0 && x + width <= image.width && y + height <= image.height) || ![x, y, width, height].every(Number.isInteger)) {
    throw new Error(`lumaFromRgb: region ${x},${y} ${width}×${height} is not an integer rectangle inside the ${image.width}×${image.height} image`);
  }
  const out = scratch ? scratch.float32('luma', width * height, false) : new Float32Array(width * height);
  for (let row = 0, i = 0; row < height; row++) {
    for (let j = ((y + row) * image.width + x) * 3, end = j + width * 3; j < end; i++, j += 3) {
      out[i] = 0.299 * data[j]! + 0.587 * data[j + 1]! + 0.114 * data[j + 2]!;
    }
  }
  return { data: out, width, height };
}

/**
 * lsd.c `gaussian_sampler`: separable Gaussian filter and sub-sampling to ceil(size × scale), the kernel centred
 * on each output pixel's exact source position, half-width σ·√(2·2·ln 10) (the kernel is cut where it falls
 * below 10⁻²), borders mirrored.
 */
export function gaussianDownsample(image: GreyImage, scale: number, sigmaScale: number, scratch?: LineSegmentScratch): GreyImage {
  const { width, height, data } = image;
  const outWidth = Math.ceil(width * scale);
  const outHeight = Math.ceil(height * scale);
  const sigma = scale < 1 ? sigmaScale / scale : sigmaScale;
  const half = Math.ceil(sigma * Math.sqrt(2 * 2 * Math.log(10)));
  const taps = 1 + 2 * half;
  /** Per output index along one axis: the mirrored source index and the normalised weight of every tap. */
  const tapTable = (outSize: number, inSize: number) => {
    const index = new Int32Array(outSize * taps);
    const weight = new Float32Array(outSize * taps);
    const period = 2 * inSize;
    for (let o = 0; o < outSize; o++) {
      const source = o / scale;
      const centre = Math.floor(source + 0.5);
      const mean = half + source - centre;
      let sum = 0;
      for (let i = 0; i < taps; i++) {
        const d = (i - mean) / sigma;
        const w = Math.exp(-0.5 * d * d);
        let j = (centre - half + i) % period;
        if (j < 0) j += period;
        index[o * taps + i] = j >= inSize ? period - 1 - j : j;
        weight[o * taps + i] = w;
        sum += w;
      }
      for (let i = 0; i < taps; i++) weight[o * taps + i]! /= sum;
    }
    return { index, weight };
  };
  const columns = tapTable(outWidth, width);
  const rows = tapTable(outHeight, height);
  // Where all taps fall inside the row they are consecutive: read them without the index table.
  const firstTap = new Int32Array(outWidth);
  const contiguous = new Uint8Array(outWidth);
  for (let x = 0; x < outWidth; x++) {
    firstTap[x] = columns.index[x * taps]!;
    contiguous[x] = columns.index[x * taps + taps - 1]! - firstTap[x]! === taps - 1 ? 1 : 0;
  }
  const horizontal = scratch ? scratch.float32('gaussianRows', outWidth * height, false) : new Float32Array(outWidth * height);
  const { index, weight } = columns;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const target = y * outWidth;
    for (let x = 0; x < outWidth; x++) {
      let sum = 0;
      const t = x * taps;
      if (contiguous[x]) {
        const start = row + firstTap[x]!;
        for (let i = 0; i < taps; i++) sum += data[start + i]! * weight[t + i]!;
      } else {
        for (let i = 0; i < taps; i++) sum += data[row + index[t + i]!]! * weight[t + i]!;
      }
      horizontal[target + x] = sum;
    }
  }
  // Accumulated into (+=): zeroed.
  const out = scratch ? scratch.float32('gaussian', outWidth * outHeight, true) : new Float32Array(outWidth * outHeight);
  for (let y = 0, t = 0; y < outHeight; y++, t += taps) {
    const target = y * outWidth;
    for (let i = 0; i < taps; i++) {
      const source = rows.index[t + i]! * outWidth;
      const w = rows.weight[t + i]!;
      for (let x = 0; x < outWidth; x++) out[target + x]! += horizontal[source + x]! * w;
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}

/** lsd.c `log_gamma_lanczos` (x ≤ 15) and `log_gamma_windschitl` (x > 15): ln Γ(x) to ~1e-10 relative. */
function logGamma(x: number): number {
  if (x > 15) return 0.918938533204673 + (x - 0.5) * Math.log(x) - x + 0.5 * x * Math.log(x * Math.sinh(1 / x) + 1 / (810 * x ** 6));
  const q = [75122.6331530, 80916.6278952, 36308.2951477, 8687.24529705, 1168.92649479, 83.8676043424, 2.50662827511];
  let a = (x + 0.5) * Math.log(x + 5.5) - (x + 5.5);
  let b = 0;
  for (let n = 0; n < 7; n++) {
    a -= Math.log(x + n);
    b += q[n]! * x ** n;
  }
  return a + Math.log(b);
}

/**
 * lsd.c `nfa`: −log10(NFA) for k aligned pixels among n, each aligned by chance with probability p, among 10^logNT
 * tests. The binomial tail is summed from its first term until the remaining terms cannot change the result by
 * more than 10 % (the bound of lsd.c).
 */
export function logNumberOfFalseAlarms(n: number, k: number, p: number, logNT: number): number {
  if (n === 0 || k === 0) return -logNT;
  if (n === k) return -logNT - n * Math.log10(p);
  const pTerm = p / (1 - p);
  const logFirstTerm = logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log(1 - p);
  let term = Math.exp(logFirstTerm);
  if (term === 0) return k > n * p ? -logFirstTerm / Math.LN10 - logNT : -logNT;
  let tail = term;
  for (let i = k + 1; i <= n; i++) {
    const binomialRatio = (n - i + 1) / i;
    const multiplier = binomialRatio * pTerm;
    term *= multiplier;
    tail += term;
    if (binomialRatio < 1) {
      const error = term * ((1 - multiplier ** (n - i + 1)) / (1 - multiplier) - 1);
      if (error < 0.1 * Math.abs(-Math.log10(tail) - logNT) * tail) break;
    }
  }
  return -Math.log10(tail) - logNT;
}

/** The ox with |a·ox + c| ≤ bound, as an interval (empty when lo > hi). */
function rowInterval(a: number, c: number, bound: number): { lo: number; hi: number } {
  if (Math.abs(a) < 1e-12) return Math.abs(c) <= bound ? { lo: -Infinity, hi: Infinity } : { lo: Infinity, hi: -Infinity };
  const e1 = (-bound - c) / a;
  const e2 = (bound - c) / a;
  return e1 < e2 ? { lo: e1, hi: e2 } : { lo: e2, hi: e1 };
}

interface Rectangle {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  width: number;
  /** Direction of the level lines inside, unit vector. */
  dx: number;
  dy: number;
}

/** Detects straight segments in `image`; coordinates come back in its pixels. */
export function detectLineSegments(image: GreyImage, options: Partial<LineSegmentOptions> = {}, scratch?: LineSegmentScratch): LineSegment[] {
  const o = { ...LSD_DEFAULTS, ...options };
  if (!(o.scale > 0 && o.scale <= 1)) throw new Error(`detectLineSegments: scale must be in (0, 1], got ${o.scale}`);
  if (image.data.length !== image.width * image.height) {
    throw new Error(`detectLineSegments: image holds ${image.data.length} values, expected ${image.width}×${image.height}`);
  }
  const scaled = o.scale === 1 ? image : gaussianDownsample(image, o.scale, o.sigmaScale, scratch);
  const { width, height, data } = scaled;
  if (width < 2 || height < 2) return [];
  const tolerance = (o.angleToleranceDegrees * Math.PI) / 180;
  const cosTolerance = Math.cos(tolerance);
  const alignedProbability = o.angleToleranceDegrees / 180;
  const gradientThreshold = o.quantization / Math.sin(tolerance);
  // Number of tests: (width·height)^(5/2) rectangles (every pair of endpoints × √(width·height) widths) × 11
  // precisions, lsd.c `logNT`.
  const logNT = (5 * (Math.log10(width) + Math.log10(height))) / 2 + Math.log10(11);
  const minRegionSize = Math.floor(-logNT / Math.log10(alignedProbability));

  // Level-line direction as a unit vector (lsd.c stores atan2(gx, −gy); the vector (−gy, gx)/|g| is the same
  // angle without trigonometry) and gradient magnitude; `defined` marks pixels above the noise threshold.
  const pixels = width * height;
  // Direction and magnitude are written and read only where `defined` is 1, so only `defined` needs zeroing.
  const levelX = scratch ? scratch.float32('levelX', pixels, false) : new Float32Array(pixels);
  const levelY = scratch ? scratch.float32('levelY', pixels, false) : new Float32Array(pixels);
  const magnitude = scratch ? scratch.float32('magnitude', pixels, false) : new Float32Array(pixels);
  const defined = scratch ? scratch.uint8('defined', pixels, true) : new Uint8Array(pixels);
  let maxMagnitude = 0;
  for (let y = 0; y < height - 1; y++) {
    for (let x = 0; x < width - 1; x++) {
      const i = y * width + x;
      const diagonal = data[i + width + 1]! - data[i]!;
      const antiDiagonal = data[i + 1]! - data[i + width]!;
      const gx = diagonal + antiDiagonal;
      const gy = diagonal - antiDiagonal;
      const norm = Math.sqrt((gx * gx + gy * gy) / 4);
      if (norm <= gradientThreshold) continue;
      magnitude[i] = norm;
      const length = 2 * norm;
      levelX[i] = -gy / length;
      levelY[i] = gx / length;
      defined[i] = 1;
      if (norm > maxMagnitude) maxMagnitude = norm;
    }
  }
  // Pseudo-ordering: 1024 bins of magnitude, strongest first (lsd.c: exact sorting is not needed).
  const bins = 1024;
  const binCounts = new Int32Array(bins + 1);
  const binOf = (m: number) => Math.min(bins - 1, Math.floor((m * bins) / maxMagnitude));
  for (let i = 0; i < pixels; i++) if (defined[i]) binCounts[bins - 1 - binOf(magnitude[i]!) + 1]!++;
  for (let b = 1; b <= bins; b++) binCounts[b]! += binCounts[b - 1]!;
  const order = scratch ? scratch.int32('order', binCounts[bins]!, false) : new Int32Array(binCounts[bins]!);
  const cursor = binCounts.slice(0, bins);
  for (let i = 0; i < pixels; i++) if (defined[i]) order[cursor[bins - 1 - binOf(magnitude[i]!)]!++] = i;

  const used = scratch ? scratch.uint8('used', pixels, true) : new Uint8Array(pixels);
  // Region pixels as column and row (kept apart so no division is needed to get them back).
  let regionX = new Int32Array(1024);
  let regionY = new Int32Array(1024);
  let regionSize = 0;
  let regionDx = 0;
  let regionDy = 0;

  const aligned = (i: number, dx: number, dy: number, cosTol: number) => defined[i] === 1 && levelX[i]! * dx + levelY[i]! * dy >= cosTol;

  /** Bounding box of the last grown region, working pixels (a cheap upper bound on its rectangle's length). */
  let regionSpanX = 0;
  let regionSpanY = 0;

  /**
   * lsd.c `region_grow`: 8-connected, the mean direction updated as each pixel joins. The state shared with the other
   * steps (region arrays, size, direction) is kept in locals while growing and written back once: the closures' shared
   * variables live in a heap context, and reading them per neighbour made this loop half of the detector's time.
   */
  const growRegion = (seed: number, cosTol: number) => {
    let xs = regionX;
    let ys = regionY;
    let size = 1;
    const seedX = seed % width;
    const seedY = (seed - seedX) / width;
    xs[0] = seedX;
    ys[0] = seedY;
    used[seed] = 1;
    let sumX = levelX[seed]!;
    let sumY = levelY[seed]!;
    let dx = sumX;
    let dy = sumY;
    let minX = seedX;
    let maxX = seedX;
    let minY = seedY;
    let maxY = seedY;
    for (let r = 0; r < size; r++) {
      const px = xs[r]!;
      const py = ys[r]!;
      const yFrom = py > 0 ? py - 1 : 0;
      const yTo = py < height - 1 ? py + 1 : height - 1;
      const xFrom = px > 0 ? px - 1 : 0;
      const xTo = px < width - 1 ? px + 1 : width - 1;
      for (let yy = yFrom; yy <= yTo; yy++) {
        for (let xx = xFrom, q = yy * width + xFrom; xx <= xTo; xx++, q++) {
          // lsd.c `isaligned`, inlined: defined, not yet used, level line within the tolerance of the region's.
          if (used[q] || defined[q] !== 1 || levelX[q]! * dx + levelY[q]! * dy < cosTol) continue;
          used[q] = 1;
          if (size === xs.length) {
            const grownX = new Int32Array(xs.length * 2);
            const grownY = new Int32Array(ys.length * 2);
            grownX.set(xs);
            grownY.set(ys);
            xs = grownX;
            ys = grownY;
          }
          xs[size] = xx;
          ys[size++] = yy;
          if (xx < minX) minX = xx;
          else if (xx > maxX) maxX = xx;
          if (yy < minY) minY = yy;
          else if (yy > maxY) maxY = yy;
          sumX += levelX[q]!;
          sumY += levelY[q]!;
          const norm = Math.sqrt(sumX * sumX + sumY * sumY);
          dx = sumX / norm;
          dy = sumY / norm;
        }
      }
    }
    regionX = xs;
    regionY = ys;
    regionSize = size;
    regionDx = dx;
    regionDy = dy;
    regionSpanX = maxX - minX;
    regionSpanY = maxY - minY;
  };

  /** lsd.c `region2rect` + `get_theta`: gradient-weighted centroid and principal axis, extents along and across. */
  const regionRectangle = (cosTol: number): Rectangle => {
    let sum = 0;
    let cx = 0;
    let cy = 0;
    for (let r = 0; r < regionSize; r++) {
      const w = magnitude[regionY[r]! * width + regionX[r]!]!;
      cx += regionX[r]! * w;
      cy += regionY[r]! * w;
      sum += w;
    }
    cx /= sum;
    cy /= sum;
    let ixx = 0;
    let iyy = 0;
    let ixy = 0;
    for (let r = 0; r < regionSize; r++) {
      const w = magnitude[regionY[r]! * width + regionX[r]!]!;
      const ox = regionX[r]! - cx;
      const oy = regionY[r]! - cy;
      ixx += oy * oy * w;
      iyy += ox * ox * w;
      ixy -= ox * oy * w;
    }
    const lambda = 0.5 * (ixx + iyy - Math.sqrt((ixx - iyy) * (ixx - iyy) + 4 * ixy * ixy));
    let theta = Math.abs(ixx) > Math.abs(iyy) ? Math.atan2(lambda - ixx, ixy) : Math.atan2(ixy, lambda - iyy);
    let dx = Math.cos(theta);
    let dy = Math.sin(theta);
    // The axis is ambiguous by π: pick the sense of the region's level lines.
    if (dx * regionDx + dy * regionDy < cosTol) {
      theta += Math.PI;
      dx = -dx;
      dy = -dy;
    }
    let lMin = 0;
    let lMax = 0;
    let wMin = 0;
    let wMax = 0;
    for (let r = 0; r < regionSize; r++) {
      const ox = regionX[r]! - cx;
      const oy = regionY[r]! - cy;
      const l = ox * dx + oy * dy;
      const w = -ox * dy + oy * dx;
      if (l < lMin) lMin = l;
      if (l > lMax) lMax = l;
      if (w < wMin) wMin = w;
      if (w > wMax) wMax = w;
    }
    return { x1: cx + lMin * dx, y1: cy + lMin * dy, x2: cx + lMax * dx, y2: cy + lMax * dy, width: Math.max(1, wMax - wMin), dx, dy };
  };

  const density = (rect: Rectangle) => regionSize / (Math.hypot(rect.x2 - rect.x1, rect.y2 - rect.y1) * rect.width);

  /** lsd.c `reduce_region_radius`: drop the pixels farthest from the seed until the rectangle is dense enough. */
  const reduceRadius = (rect: Rectangle, cosTol: number): Rectangle | undefined => {
    const sx = regionX[0]!;
    const sy = regionY[0]!;
    let radius = Math.max(Math.hypot(sx - rect.x1, sy - rect.y1), Math.hypot(sx - rect.x2, sy - rect.y2));
    let current = rect;
    while (density(current) < o.densityThreshold) {
      radius *= 0.75;
      for (let r = 0; r < regionSize; r++) {
        const ox = regionX[r]! - sx;
        const oy = regionY[r]! - sy;
        if (ox * ox + oy * oy > radius * radius) {
          used[regionY[r]! * width + regionX[r]!] = 0;
          regionX[r] = regionX[regionSize - 1]!;
          regionY[r] = regionY[regionSize - 1]!;
          regionSize--;
          r--;
        }
      }
      if (regionSize < 2) return undefined;
      current = regionRectangle(cosTol);
    }
    return current;
  };

  /** lsd.c `refine`: a sparse region is regrown with τ' = 2 × the spread of directions near the seed. */
  const refine = (rect: Rectangle): Rectangle | undefined => {
    if (density(rect) >= o.densityThreshold) return rect;
    const sx = regionX[0]!;
    const sy = regionY[0]!;
    const seed = sy * width + sx;
    const seedAngle = Math.atan2(levelY[seed]!, levelX[seed]!);
    let sum = 0;
    let sumSquares = 0;
    let n = 0;
    for (let r = 0; r < regionSize; r++) {
      const p = regionY[r]! * width + regionX[r]!;
      used[p] = 0;
      const ox = regionX[r]! - sx;
      const oy = regionY[r]! - sy;
      if (ox * ox + oy * oy < rect.width * rect.width) {
        let difference = Math.atan2(levelY[p]!, levelX[p]!) - seedAngle;
        while (difference <= -Math.PI) difference += 2 * Math.PI;
        while (difference > Math.PI) difference -= 2 * Math.PI;
        sum += difference;
        sumSquares += difference * difference;
        n++;
      }
    }
    const mean = sum / n;
    const tighter = 2 * Math.sqrt(Math.max(0, (sumSquares - 2 * mean * sum) / n + mean * mean));
    growRegion(seed, Math.cos(tighter));
    if (regionSize < 2) return undefined;
    const regrown = regionRectangle(cosTolerance);
    return density(regrown) >= o.densityThreshold ? regrown : reduceRadius(regrown, cosTolerance);
  };

  /** lsd.c `rect_nfa`: count the pixels inside the rectangle and those aligned with its direction. */
  const rectangleSignificance = (rect: Rectangle): number => {
    const mx = (rect.x1 + rect.x2) / 2;
    const my = (rect.y1 + rect.y2) / 2;
    const halfLength = Math.hypot(rect.x2 - rect.x1, rect.y2 - rect.y1) / 2;
    const halfWidth = rect.width / 2;
    const { dx, dy } = rect;
    const extentY = Math.abs(dy) * halfLength + Math.abs(dx) * halfWidth;
    let total = 0;
    let alignedCount = 0;
    for (let y = Math.max(0, Math.ceil(my - extentY)); y <= Math.min(height - 1, Math.floor(my + extentY)); y++) {
      const oy = y - my;
      // Along: |ox·dx + oy·dy| ≤ halfLength; across: |−ox·dy + oy·dx| ≤ halfWidth; each bounds ox on this row.
      const along = rowInterval(dx, oy * dy, halfLength);
      const across = rowInterval(-dy, oy * dx, halfWidth);
      const xStart = Math.max(0, Math.ceil(mx + Math.max(along.lo, across.lo)));
      const xEnd = Math.min(width - 1, Math.floor(mx + Math.min(along.hi, across.hi)));
      for (let x = xStart; x <= xEnd; x++) {
        total++;
        if (aligned(y * width + x, dx, dy, cosTolerance)) alignedCount++;
      }
    }
    return logNumberOfFalseAlarms(total, alignedCount, alignedProbability, logNT);
  };

  const segments: LineSegment[] = [];
  for (let k = 0; k < order.length; k++) {
    const seed = order[k]!;
    if (used[seed]) continue;
    growRegion(seed, cosTolerance);
    if (regionSize < minRegionSize) continue;
    // No rectangle around the region is longer than the diagonal of its bounding box (+1: the rectangle is measured
    // between pixel centres, the box too, so this only guards rounding): skip the rectangle fit for short regions.
    if (o.minLength > 0 && Math.hypot(regionSpanX, regionSpanY) + 1 < o.minLength * o.scale) continue;
    const rough = regionRectangle(cosTolerance);
    if (o.minLength > 0 && Math.hypot(rough.x2 - rough.x1, rough.y2 - rough.y1) < o.minLength * o.scale) continue;
    const rect = refine(rough);
    if (!rect) continue;
    const significance = rectangleSignificance(rect);
    if (!(significance > o.logEpsilon)) continue;
    // +0.5: the 2 × 2 gradient sits at the corner shared by four pixels (lsd.c); then back to input pixels.
    segments.push({
      x1: (rect.x1 + 0.5) / o.scale,
      y1: (rect.y1 + 0.5) / o.scale,
      x2: (rect.x2 + 0.5) / o.scale,
      y2: (rect.y2 + 0.5) / o.scale,
      width: rect.width / o.scale,
      significance,
    });
  }
  return segments;
}

/** Length of a segment, pixels. */
export function segmentLength(s: Pick<LineSegment, 'x1' | 'y1' | 'x2' | 'y2'>): number {
  return Math.hypot(s.x2 - s.x1, s.y2 - s.y1);
}
