/**
 * BRISQUE, the blind/referenceless image spatial quality evaluator (A. Mittal, A. K. Moorthy, A. C. Bovik, "No-Reference
 * Image Quality Assessment in the Spatial Domain", IEEE Trans. Image Processing 21(12), 2012; "BRISQUE Software Release",
 * Laboratory for Image and Video Engineering, UT Austin, 2011), as OpenCV implements it:
 * opencv_contrib modules/quality/src/qualitybrisque.cpp (`ComputeBrisqueFeature`, `AGGDfit`, `computescore`) and
 * include/opencv2/quality/quality_utils.hpp (`scale`). Every step below follows that code, so the SVR trained for it
 * (models/brisque/brisque-live.json, converted from OpenCV's brisque_model_live.yml / brisque_range_live.yml by
 * scripts/brisque-model.ts) gives the score OpenCV gives.
 *
 * Features (36): at two scales (full, and half size by bicubic resize), the mean-subtracted contrast-normalised (MSCN)
 * coefficients of the grey image and their products with the next pixel in four directions, each summarised by an
 * asymmetric generalised Gaussian fit. Score: an ε-SVR with an RBF kernel over the features scaled to [−1, 1],
 * clamped to 0–100; LOWER is better (0 ≈ pristine, 100 ≈ very distorted; the LIVE database's DMOS scale).
 *
 * Not part of any verdict: measured for lowQuality on the labelled photos and their degraded copies, it did not separate
 * the distortions lowQuality misses from good photos (docs/quality-checks.md, lowQuality notes; `npm run bench --
 * quality --brisque`). Kept for that bench table.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../errors.js';
import type { PixelRect } from '../imaging/crop.js';
import type { RgbImage } from '../imaging/image.js';
import type { Box } from '../imaging/geometry.js';

/** Number of BRISQUE features: 2 scales × (2 MSCN parameters + 4 directions × 4 product parameters). */
export const BRISQUE_FEATURE_COUNT = 36;

/** A grey image, one float per pixel, row-major, values 0–1. */
export interface GreyImage {
  data: Float32Array;
  width: number;
  height: number;
}

/**
 * RGB → grey 0–1 the way OpenCV's `cvtColor(COLOR_BGR2GRAY)` does on 8-bit input (Rec. 601 weights in 15-bit fixed
 * point, rounded: modules/imgproc/src/color_rgb.simd.hpp R2GRAY = 9798, G2GRAY = 19235, B2GRAY = 3735, gray_shift 15;
 * checked pixel for pixel against OpenCV 4.6 on random colours), then ÷ 255 (qualitybrisque.cpp `mat_convert`).
 */
export function greyFromRgb(image: RgbImage, region: PixelRect = { left: 0, top: 0, width: image.width, height: image.height }): GreyImage {
  const { data } = image;
  const { left, top, width, height } = region;
  if (left < 0 || top < 0 || width < 1 || height < 1 || left + width > image.width || top + height > image.height) {
    throw new Error(`greyFromRgb: region ${JSON.stringify(region)} is not inside the ${image.width}×${image.height} image`);
  }
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0, p = ((top + y) * image.width + left) * 3; x < width; x++, p += 3) {
      out[y * width + x] = ((data[p]! * 9798 + data[p + 1]! * 19235 + data[p + 2]! * 3735 + 16384) >> 15) / 255;
    }
  }
  return { data: out, width, height };
}

/**
 * The face box at the image's own resolution (integer corners, clipped to the image), one of the regions the BRISQUE
 * bench table measures: unlike the aligned crop it is not resampled (resampling hides or adds distortion), and unlike
 * the whole image it holds no background (a defocused or plain backdrop is not a defect of the capture).
 */
export function faceBoxRegion(image: RgbImage, box: Box): PixelRect {
  const left = Math.min(image.width - 1, Math.max(0, Math.floor(box.x)));
  const top = Math.min(image.height - 1, Math.max(0, Math.floor(box.y)));
  const right = Math.min(image.width, Math.ceil(box.x + box.width));
  const bottom = Math.min(image.height, Math.ceil(box.y + box.height));
  return { left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) };
}

/**
 * OpenCV's bicubic resize (`cv::resize`, INTER_CUBIC: Keys kernel with A = −0.75, pixel centres aligned at +0.5,
 * out-of-range taps clamped to the edge; modules/imgproc/src/resize.cpp `interpolateCubic`, `HResizeCubic`), in float
 * like OpenCV on a CV_32F image. Same size is a copy, as in cv::resize.
 */
export function resizeBicubic(source: GreyImage, width: number, height: number): GreyImage {
  if (width === source.width && height === source.height) return { data: source.data.slice(), width, height };
  const xTaps = cubicTaps(source.width, width);
  const yTaps = cubicTaps(source.height, height);
  // Horizontal pass into a float buffer (source rows × target columns), then vertical.
  const rows = new Float32Array(source.height * width);
  for (let y = 0; y < source.height; y++) {
    const row = y * source.width;
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let k = 0; k < 4; k++) sum += source.data[row + xTaps.index[x * 4 + k]!]! * xTaps.weight[x * 4 + k]!;
      rows[y * width + x] = sum;
    }
  }
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let k = 0; k < 4; k++) sum += rows[yTaps.index[y * 4 + k]! * width + x]! * yTaps.weight[y * 4 + k]!;
      out[y * width + x] = sum;
    }
  }
  return { data: out, width, height };
}

/** The four source indices (clamped) and float weights of each target position along one axis. */
function cubicTaps(sourceSize: number, targetSize: number): { index: Int32Array; weight: Float32Array } {
  const scale = 1 / (targetSize / sourceSize);
  const index = new Int32Array(targetSize * 4);
  const weight = new Float32Array(targetSize * 4);
  const a = -0.75;
  for (let d = 0; d < targetSize; d++) {
    const f = Math.fround((d + 0.5) * scale - 0.5);
    const s = Math.floor(f);
    const x = Math.fround(f - s);
    const w0 = Math.fround(((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a);
    const w1 = Math.fround(((a + 2) * x - (a + 3)) * x * x + 1);
    const w2 = Math.fround(((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1);
    const weights = [w0, w1, w2, Math.fround(1 - w0 - w1 - w2)];
    for (let k = 0; k < 4; k++) {
      index[d * 4 + k] = Math.min(sourceSize - 1, Math.max(0, s - 1 + k));
      weight[d * 4 + k] = weights[k]!;
    }
  }
  return { index, weight };
}

/**
 * 7 × 7 Gaussian blur, σ = 7/6, edges replicated: qualitybrisque.cpp's `GaussianBlur(…, Size(7, 7), 7. / 6., 0.,
 * BORDER_REPLICATE)`, with the kernel of OpenCV's `getGaussianKernel` (exp(−x²/2σ²), normalised to sum 1, stored as
 * float). Float arithmetic in OpenCV's order (modules/imgproc/src/filter.simd.hpp: the row filter accumulates tap by
 * tap with fused multiply-adds; the symmetric column filter adds the two taps at ±k first), because on flat areas the
 * local variance E[I²] − μ² is a float rounding residue whose sign decides whether OpenCV's coefficient is a number
 * or NaN (see mscnCoefficients).
 */
function gaussianBlur7(image: GreyImage): Float32Array {
  const { data, width, height } = image;
  const sigma = 7 / 6;
  const raw = [-3, -2, -1, 0, 1, 2, 3].map((x) => Math.exp(-(x * x) / (2 * sigma * sigma)));
  const total = raw.reduce((s, v) => s + v, 0);
  const kernel = Float32Array.from(raw, (v) => v / total);
  const f = Math.fround;
  const rows = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      // A float product is exact in double, so fround(s + k·v) is one fused multiply-add.
      let sum = f(data[row + Math.max(0, x - 3)]! * kernel[0]!);
      for (let k = 1; k < 7; k++) sum = f(sum + data[row + Math.min(width - 1, Math.max(0, x + k - 3))]! * kernel[k]!);
      rows[row + x] = sum;
    }
  }
  const out = new Float32Array(width * height);
  const at = (y: number, x: number) => rows[Math.min(height - 1, Math.max(0, y)) * width + x]!;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = f(rows[y * width + x]! * kernel[3]!);
      for (let k = 1; k <= 3; k++) sum = f(sum + f(at(y + k, x) + at(y - k, x)) * kernel[3 + k]!);
      out[y * width + x] = sum;
    }
  }
  return out;
}

/**
 * MSCN coefficients (paper eq. 1): (I − μ) / (σ + 1/255), μ and σ the 7 × 7 Gaussian-weighted local mean and standard
 * deviation, σ = √(E[I²] − μ²), in float as OpenCV computes them; 1/255 is qualitybrisque.cpp's guard against
 * dividing by zero. Where float rounding makes the variance of a flat area negative, OpenCV's `pow(x, 0.5)` gives
 * NaN (measured on OpenCV 4.6), and so does this: a NaN coefficient is neither positive nor negative in the fits below
 * but still counts in their totals, as in AGGDfit.
 */
export function mscnCoefficients(image: GreyImage): Float32Array {
  const { data } = image;
  const f = Math.fround;
  const mean = gaussianBlur7(image);
  const squares = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) squares[i] = data[i]! * data[i]!;
  const meanOfSquares = gaussianBlur7({ ...image, data: squares });
  const guard = f(1 / 255);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const mu = mean[i]!;
    const sigma = f(f(Math.sqrt(f(meanOfSquares[i]! - f(mu * mu)))) + guard);
    out[i] = f(data[i]! - mu) / sigma;
  }
  return out;
}

/** Γ(x) for x > 0: Lanczos approximation (g = 7, 9 terms; Numerical Recipes 3rd ed. §6.1), relative error < 1e-13 here. */
export function gammaFunction(x: number): number {
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gammaFunction(1 - x));
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  const z = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (z + i);
  const t = z + 7.5;
  return Math.sqrt(2 * Math.PI) * Math.pow(t, z + 0.5) * Math.exp(-t) * sum;
}

/**
 * The shape grid AGGDfit searches: γ from 0.2 in steps of 0.001 while γ < 10, accumulated in double exactly as the
 * C++ loop does, with r(γ) = Γ(2/γ)² / (Γ(1/γ) Γ(3/γ)) for each. Built once (it depends on nothing else).
 */
let shapeGrid: { gamma: Float64Array; ratio: Float64Array } | undefined;
function aggdShapeGrid(): { gamma: Float64Array; ratio: Float64Array } {
  if (shapeGrid) return shapeGrid;
  const gammas: number[] = [];
  for (let g = 0.2; g < 10; g += 0.001) gammas.push(g);
  const gamma = Float64Array.from(gammas);
  const ratio = gamma.map((g) => gammaFunction(2 / g) ** 2 / (gammaFunction(1 / g) * gammaFunction(3 / g)));
  shapeGrid = { gamma, ratio };
  return shapeGrid;
}

/** An asymmetric generalised Gaussian fit (paper §III, Lasmar et al.'s moment matching). */
export interface AggdFit {
  /** Shape γ (2 = Gaussian, lower = heavier tails). */
  shape: number;
  /** Left (negative side) and right standard deviations. */
  leftSigma: number;
  rightSigma: number;
}

/**
 * qualitybrisque.cpp `AGGDfit`: σ_left / σ_right from the mean squares of the negative / positive values (zeros count
 * in neither), r̂ = E|x|² / E[x²] over ALL values (zeros included), R̂ = r̂ (ĝ³ + 1)(ĝ + 1) / (ĝ² + 1)² with ĝ = σ_l/σ_r,
 * and the shape is the first grid γ after which |r(γ) − R̂| grows (the C++ loop stops there).
 */
export function aggdFit(values: Float32Array): AggdFit {
  let positive = 0;
  let negative = 0;
  let positiveSquares = 0;
  let negativeSquares = 0;
  let absoluteSum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v > 0) {
      positive++;
      positiveSquares += v * v;
      absoluteSum += v;
    } else if (v < 0) {
      negative++;
      negativeSquares += v * v;
      absoluteSum -= v;
    }
  }
  const leftSigma = Math.sqrt(negativeSquares / negative);
  const rightSigma = Math.sqrt(positiveSquares / positive);
  const ratioHat = leftSigma / rightSigma;
  const n = values.length;
  const rHat = (absoluteSum / n) ** 2 / ((negativeSquares + positiveSquares) / n);
  const rHatNorm = (rHat * (ratioHat ** 3 + 1) * (ratioHat + 1)) / (ratioHat ** 2 + 1) ** 2;
  const grid = aggdShapeGrid();
  let shape = 0;
  let previousDiff = 1e10;
  for (let i = 0; i < grid.gamma.length; i++) {
    const diff = Math.abs(grid.ratio[i]! - rHatNorm);
    if (diff > previousDiff) break;
    previousDiff = diff;
    shape = grid.gamma[i]!;
  }
  return { shape, leftSigma, rightSigma };
}

/** Pair directions (row, column offsets): horizontal, vertical, main diagonal, secondary diagonal (qualitybrisque.cpp `shifts`). */
const PAIR_SHIFTS = [
  [0, 1],
  [1, 0],
  [1, 1],
  [-1, 1],
] as const;

/**
 * The 36 BRISQUE features of a grey image, in OpenCV's order. Per scale (full size, then ⌊w/2⌋ × ⌊h/2⌋ by bicubic
 * resize): the MSCN fit's shape and (σ_l² + σ_r²)/2, then for each of PAIR_SHIFTS the fit of the products of
 * neighbouring MSCN coefficients (a pair that falls outside the image counts as 0): shape, mean
 * (σ_r − σ_l) Γ(2/γ)/Γ(1/γ) √(Γ(1/γ)/Γ(3/γ)), σ_l², σ_r². Values are rounded to float32 as OpenCV stores them.
 * Throws on an image smaller than 8 × 8 (the half scale would have no 2 × 2 neighbourhood to fit).
 */
export function brisqueFeatures(image: GreyImage): Float64Array {
  if (image.width < 8 || image.height < 8) throw new Error(`brisqueFeatures: needs at least 8 × 8 pixels, got ${image.width} × ${image.height}`);
  const features: number[] = [];
  for (let scale = 1; scale <= 2; scale++) {
    const factor = 2 ** (scale - 1);
    const scaled = resizeBicubic(image, Math.trunc(image.width / factor), Math.trunc(image.height / factor));
    const { width, height } = scaled;
    const mscn = mscnCoefficients(scaled);
    const fit = aggdFit(mscn);
    features.push(fit.shape, (fit.leftSigma ** 2 + fit.rightSigma ** 2) / 2);
    const products = new Float32Array(mscn.length);
    for (const [dy, dx] of PAIR_SHIFTS) {
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const y2 = y + dy;
          const x2 = x + dx;
          products[y * width + x] = y2 >= 0 && y2 < height && x2 < width ? mscn[y * width + x]! * mscn[y2 * width + x2]! : 0;
        }
      }
      const pair = aggdFit(products);
      const g = pair.shape;
      const mean = (pair.rightSigma - pair.leftSigma) * (gammaFunction(2 / g) / gammaFunction(1 / g)) * (Math.sqrt(gammaFunction(1 / g)) / Math.sqrt(gammaFunction(3 / g)));
      features.push(g, mean, pair.leftSigma ** 2, pair.rightSigma ** 2);
    }
  }
  return Float64Array.from(features, Math.fround);
}

/** The trained ε-SVR and the feature ranges it was trained on (models/brisque/brisque-live.json). */
export interface BrisqueModel {
  /** RBF kernel exp(−gamma ‖x − v‖²). */
  gamma: number;
  /** Decision offset: prediction = Σ αᵢ K(x, vᵢ) − rho. */
  rho: number;
  /** Support vectors, BRISQUE_FEATURE_COUNT values each, concatenated. */
  supportVectors: Float64Array;
  /** One coefficient per support vector. */
  alpha: Float64Array;
  /** Per-feature minimum and maximum of the training set: features are scaled linearly to [−1, 1] with them. */
  featureMin: Float64Array;
  featureMax: Float64Array;
}

const vector = z.array(z.number()).length(BRISQUE_FEATURE_COUNT);
/** The committed model-data file (scripts/brisque-model.ts writes it). */
export const brisqueModelFileSchema = z.object({
  format: z.literal('brisque-svr-1'),
  source: z.object({ package: z.string(), version: z.string(), files: z.array(z.object({ path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })), upstream: z.string(), license: z.string() }),
  svmType: z.literal('EPS_SVR'),
  kernel: z.object({ type: z.literal('RBF'), gamma: z.number().positive() }),
  rho: z.number(),
  supportVectors: z.array(vector).min(1),
  alpha: z.array(z.number()),
  range: z.object({ min: vector, max: vector }),
});
export type BrisqueModelFile = z.infer<typeof brisqueModelFileSchema>;

/** Checks the model-data file's structure and turns it into typed arrays. */
export function parseBrisqueModel(json: unknown, where: string): BrisqueModel {
  const parsed = brisqueModelFileSchema.safeParse(json);
  if (!parsed.success) throw new AppError('MODEL_INVALID', `${where}: not a BRISQUE model file: ${z.prettifyError(parsed.error)}`);
  const file = parsed.data;
  if (file.alpha.length !== file.supportVectors.length) {
    throw new AppError('MODEL_INVALID', `${where}: expected one alpha per support vector (${file.supportVectors.length}), got ${file.alpha.length}`);
  }
  return {
    gamma: file.kernel.gamma,
    rho: file.rho,
    supportVectors: Float64Array.from(file.supportVectors.flat()),
    alpha: Float64Array.from(file.alpha),
    featureMin: Float64Array.from(file.range.min),
    featureMax: Float64Array.from(file.range.max),
  };
}

/**
 * Reads the committed model-data file and checks it against the sha256 its provenance record states (models/brisque/
 * provenance.json), so an edited or truncated file fails at start with "expected X, got Y". No network.
 */
export function loadBrisqueModel(file: string, expectedSha256: string): BrisqueModel {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new AppError('MODEL_INVALID', `${file}: cannot read the BRISQUE model data`, { cause: error });
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== expectedSha256) throw new AppError('MODEL_INVALID', `${file}: expected sha256 ${expectedSha256}, got ${actual}`);
  return parseBrisqueModel(JSON.parse(bytes.toString('utf8')), file);
}

/**
 * The committed model (`<modelsDir>/brisque/provenance.json` names the data file and its sha256; scripts/brisque-model.ts
 * writes both). Read once at start; no network.
 */
export function loadCommittedBrisqueModel(modelsDir: string): BrisqueModel {
  const recordFile = path.join(modelsDir, 'brisque', 'provenance.json');
  let record: { file?: unknown; sha256?: unknown };
  try {
    record = JSON.parse(readFileSync(recordFile, 'utf8')) as typeof record;
  } catch (error) {
    throw new AppError('MODEL_INVALID', `${recordFile}: cannot read the BRISQUE provenance record`, { cause: error });
  }
  if (typeof record.file !== 'string' || typeof record.sha256 !== 'string') throw new AppError('MODEL_INVALID', `${recordFile}: expected "file" and "sha256" strings`);
  return loadBrisqueModel(path.join(modelsDir, 'brisque', record.file), record.sha256);
}

/**
 * BRISQUE score 0–100 (lower = better quality) of a feature vector: each feature scaled to [−1, 1] with the training
 * range (quality_utils.hpp `scale`), ε-SVR prediction Σ αᵢ exp(−γ ‖x − vᵢ‖²) − ρ (OpenCV ml svm.cpp, RBF kernel),
 * clamped to [0, 100] as qualitybrisque.cpp `computescore` does.
 */
export function brisqueScore(features: Float64Array, model: BrisqueModel): number {
  const n = BRISQUE_FEATURE_COUNT;
  const scaled = new Float64Array(n);
  for (let j = 0; j < n; j++) scaled[j] = Math.fround(-1 + (2 * (features[j]! - model.featureMin[j]!)) / (model.featureMax[j]! - model.featureMin[j]!));
  let sum = -model.rho;
  for (let i = 0; i < model.alpha.length; i++) {
    let distance = 0;
    for (let j = 0; j < n; j++) {
      const d = scaled[j]! - model.supportVectors[i * n + j]!;
      distance += d * d;
    }
    sum += model.alpha[i]! * Math.exp(-model.gamma * distance);
  }
  return Math.min(100, Math.max(0, sum));
}
