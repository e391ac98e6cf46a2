/**
 * The matchFace use case: are the selfie and the reference (an ID-card photo or another selfie) the same
 * person? Decode both → find the face in each (with retries for ID cards and tight crops) → face-api's
 * 128-d descriptor on its similarity-aligned face (FaceEmbedder: face-api's dlib box, rotated so the eyes are level)
 * → euclidean distance → verdict and 0–100 score.
 * Knows nothing of HTTP (http/contracts/hyperverge-match.ts maps the outcome to the wire format).
 *
 * Threshold, score scale and confidence band are measured by `npm run bench -- match` (bench/match.ts) on
 * the genuine/impostor pairs of ../shared/data/identity, as sent and against rescaled, low-contrast and
 * JPEG-compressed ID-card stand-ins of the other photos; README "matchFace API" and bench/RESULTS.md
 * ("matchFace: similarity-aligned crops", 2026-12-01) give the numbers.
 */
import { AppError } from '../errors.js';
import { JPEG_PNG_WEBP, decodeImage } from '../imaging/decode.js';
import { cropRect, padImage, scaleToMaxSide, stretchContrast, tileRects } from '../imaging/enhance.js';
import { area } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import type { ModelRegistry } from '../inference/registry.js';
import { FaceAnalyzer } from './analyze.js';
import { FaceEmbedder, euclideanDistance } from './face-embedding.js';
import type { Confidence, FaceAnalysis } from './types.js';

/**
 * Same person ⇔ descriptor distance < this. face-api's FaceMatcher default is 0.6 (dlib's threshold for
 * this network). Measured with the similarity-aligned crops (bench/match.ts; RESULTS.md "matchFace:
 * similarity-aligned crops", 2026-12-01): as sent, the closest of 867 impostor pairs is at 0.611 and 99 of 103
 * genuine pairs are below 0.55; with the ID-card stand-ins, the closest of all 6,034 impostor pairs is at 0.597
 * and 673 of 717 genuine pairs are below 0.55. 0.6 would accept 1 of those 6,034 impostors (FAR 0.02 %); 0.55
 * accepts none and keeps about one confidence band of margin below the closest, because 27 identities cannot
 * show a FAR below ~0.1 % on held-out people. Unchanged from face-api's axis-aligned box (2026-11-22), whose
 * distances the alignment left on the same scale (medians 0.44 genuine, 0.83 impostor, before and after).
 */
export const MATCH_DISTANCE_THRESHOLD = 0.55;
/**
 * Logistic scale of the score, in distance units: score = 100 / (1 + exp((distance − threshold) / scale)).
 * 0.05 puts the median genuine distance on the identity data (0.43–0.44) at ≈ 90, the median impostor (0.83)
 * at ≈ 0.4, and the edges of the low-confidence band at ≈ 27 and ≈ 73. What each documented score means in
 * TAR and FAR on the dev pairs: bench/match.ts prints it (README "matchFace API").
 */
export const MATCH_SCORE_SCALE = 0.05;
/**
 * Verdicts whose distance is within this of the threshold are `low` confidence (score ≈ 27–73). On the
 * identity data as sent the band [0.50, 0.60) holds 17 of 103 genuine pairs (the 4 rejected ones among them)
 * and no impostor (the closest at 0.611); with the ID-card stand-ins, 135 of 717 genuine and 1 of 6,034
 * impostor pairs (at 0.597, rejected).
 */
export const MATCH_LOW_CONFIDENCE_BAND = 0.05;

/** Which uploaded image an error or a face is about (the form field name). */
export type MatchImageName = 'selfie' | 'id';

export interface MatchFaceImages {
  selfie: Uint8Array;
  /** The reference: an ID-card photo or another selfie. */
  id: Uint8Array;
}

export interface MatchVerdict {
  /** true = same person. */
  value: boolean;
  /** 0–100, higher = more alike; 50 at the threshold (see matchScore). */
  score: number;
  confidence: Confidence;
}

export interface MatchOutcome {
  match: MatchVerdict;
  /** Euclidean distance between the two 128-d descriptors (0 = identical; face-api scale). */
  distance: number;
}

/** Throws AppError UNSUPPORTED_FILE_TYPE / IMAGE_TOO_LARGE / NO_FACE_DETECTED with `subject` = the image concerned. */
export type MatchFace = (images: MatchFaceImages) => Promise<MatchOutcome>;

export interface MatchFaceOptions {
  /** Largest accepted image, width × height pixels (config), for each image. */
  maxPixels: number;
}

/** Distance → score 0–100: logistic around the threshold (threshold → 50, monotonically decreasing in distance). */
export function matchScore(distance: number): number {
  if (!Number.isFinite(distance)) return 0;
  return 100 / (1 + Math.exp((distance - MATCH_DISTANCE_THRESHOLD) / MATCH_SCORE_SCALE));
}

export function matchVerdict(distance: number): MatchVerdict {
  const value = distance < MATCH_DISTANCE_THRESHOLD;
  const confidence: Confidence = Math.abs(distance - MATCH_DISTANCE_THRESHOLD) < MATCH_LOW_CONFIDENCE_BAND ? 'low' : 'high';
  return { value, score: matchScore(distance), confidence };
}

/**
 * Borders tried around the image, × the longer side (tight face crops need context): measured on the
 * 150² bbt_faceapi crops, SSD finds 35 of 40 faces with 0.5 and all 40 with 1.0 (face ≈ 1/3 of the frame).
 */
export const PAD_RATIOS = [0.5, 1] as const;
/** Tiles for the last attempt: 2 × 2, each 60 % of the width and height (20 % overlap), so a small face gets ~1.7× the detector's resolution. */
const TILE_GRID = 2;
const TILE_FRACTION = 0.6;
/**
 * Working size of the retries, longer side in pixels. The detector sees every view at 512² (face-api SSD's input), so
 * a larger view adds no detection, only work: as full-resolution copies, a 5000 × 5000 upload became 100 and 225 Mpx
 * padded views and took 20 s and 2 GB to answer 422 (issue #13).
 *  - Padding is for tight face crops: the image is scaled to at most 512 px before padding, so the padded views are at
 *    most 1024 and 1536 px and the face in them still spans hundreds of pixels for the landmarks and descriptor.
 *  - Tiles enlarge a small face: a tile (60 % of the side) meets the detector's 512 px at any source of at least
 *    512 / 0.6 ≈ 853 px, so a 2048 px source gives the detector the same view as the full resolution, and keeps
 *    ≥ 2.4× that for the landmarks and the 150² descriptor crop of the face it finds.
 */
export const PAD_SOURCE_MAX_SIDE = 512;
export const TILE_SOURCE_MAX_SIDE = 2048;

/** How the face was found: the first attempt that found one. */
export type FaceSearchAttempt = 'original' | 'padded' | 'contrast' | 'tiles';

export interface FoundFace {
  analysis: FaceAnalysis;
  attempt: FaceSearchAttempt;
}

/** The work a face search did: what bounds its time and memory. */
export interface FaceSearchWork {
  /** Views given to the face detector. */
  detectorRuns: number;
  /** Pixels of every view the search made or looked at (the original counted once). */
  pixels: number;
}

/**
 * Finds the largest face, trying progressively harder views of the image until one has a face:
 *  1. the image as it is (selfies: done here);
 *  2. padded with its mean colour, border ½ then 1 × the longer side (tight face crops: the SSD detector
 *     needs context around a face), from a copy of at most PAD_SOURCE_MAX_SIDE;
 *  3. the widest padding, contrast-stretched (washed-out or dark ID-card prints);
 *  4. contrast-stretched 2×2 overlapping tiles of a copy of at most TILE_SOURCE_MAX_SIDE, the largest face over all
 *     tiles (a small face on a card photographed whole: each tile is resized to the detector's 512² input,
 *     enlarging the face).
 * The analysis is of the view the face was found in (landmarks and descriptor from the same pixels). At most 8
 * detector runs and, beyond the original, about 12 Mpx of views whatever the upload's size. `work`, when given,
 * receives the count. Returns undefined when no attempt finds a face.
 */
export async function findFace(analyzer: FaceAnalyzer, image: RgbImage, work: FaceSearchWork = { detectorRuns: 0, pixels: 0 }): Promise<FoundFace | undefined> {
  const tryView = async (view: RgbImage): Promise<FaceAnalysis | undefined> => {
    work.detectorRuns++;
    if (view !== image) work.pixels += view.width * view.height;
    try {
      // The SSD alone (no cascade): with BlazeFace's landmark-derived boxes the 68 landmarks, and so the aligned crops
      // and descriptors, move slightly; on the dev pairs TAR at the service threshold fell from 94.2 % to 93.2 % (one
      // genuine pair of 103) and the EER rose from 0.79 % to 0.89 % (bench/RESULTS.md "Detector cascade").
      return await analyzer.analyze(view, { ssdOnly: true });
    } catch (error) {
      if (error instanceof AppError && error.code === 'NO_FACE_DETECTED') return undefined;
      throw error;
    }
  };
  work.pixels += image.width * image.height;
  const original = await tryView(image);
  if (original) return { analysis: original, attempt: 'original' };
  const padSource = (await scaleToMaxSide(image, PAD_SOURCE_MAX_SIDE)).image;
  if (padSource !== image) work.pixels += padSource.width * padSource.height;
  let padded = padSource;
  for (const ratio of PAD_RATIOS) {
    padded = (await padImage(padSource, ratio)).image;
    const fromPadded = await tryView(padded);
    if (fromPadded) return { analysis: fromPadded, attempt: 'padded' };
  }
  const fromContrast = await tryView(await stretchContrast(padded));
  if (fromContrast) return { analysis: fromContrast, attempt: 'contrast' };
  const tileSource = (await scaleToMaxSide(image, TILE_SOURCE_MAX_SIDE)).image;
  const stretched = await stretchContrast(tileSource);
  work.pixels += stretched.width * stretched.height + (tileSource !== image ? tileSource.width * tileSource.height : 0);
  let best: FaceAnalysis | undefined;
  for (const rect of tileRects(stretched.width, stretched.height, TILE_GRID, TILE_FRACTION)) {
    const found = await tryView(cropRect(stretched, rect));
    if (found && (!best || area(found.primary.box) > area(best.primary.box))) best = found;
  }
  return best ? { analysis: best, attempt: 'tiles' } : undefined;
}

/** Decoding, face search and descriptor of one image; errors name the image in `subject` and the message. */
export class MatchFaceDescriber {
  private readonly analyzer: FaceAnalyzer;
  private readonly embedder: FaceEmbedder;

  constructor(registry: ModelRegistry) {
    this.analyzer = new FaceAnalyzer(registry);
    this.embedder = new FaceEmbedder(registry);
  }

  /** The descriptor of the largest face in an already decoded image, or undefined when there is no face. */
  async describe(image: RgbImage): Promise<{ descriptor: Float32Array; found: FoundFace } | undefined> {
    const found = await findFace(this.analyzer, image);
    if (!found) return undefined;
    return { descriptor: await this.embedder.embed(found.analysis), found };
  }

  async describeUpload(bytes: Uint8Array, name: MatchImageName, maxPixels: number): Promise<Float32Array> {
    let image: RgbImage;
    try {
      // JPEG, PNG and WebP (decode.ts JPEG_PNG_WEBP): no vendor contract limits matchFace, verifyVideo or session photos to JPEG/PNG.
      image = await decodeImage(bytes, { maxPixels, formats: JPEG_PNG_WEBP });
    } catch (error) {
      if (error instanceof AppError) {
        throw new AppError(error.code, `form field "${name}": ${error.message}`, { cause: error, subject: name, ...(error.acceptedFormats ? { acceptedFormats: error.acceptedFormats } : {}) });
      }
      throw error;
    }
    const described = await this.describe(image);
    if (!described) throw new AppError('NO_FACE_DETECTED', `no face detected in the "${name}" image`, { subject: name });
    return described.descriptor;
  }
}

/** Builds the use case once per process: the model wrappers are created here, from the registry. */
export function createMatchFace(registry: ModelRegistry, options: MatchFaceOptions): MatchFace {
  const describer = new MatchFaceDescriber(registry);
  return async function matchFace(images) {
    // One after the other: each run already uses ORT's intra-op threads, and the concurrency limiter counts one slot.
    const selfie = await describer.describeUpload(images.selfie, 'selfie', options.maxPixels);
    const reference = await describer.describeUpload(images.id, 'id', options.maxPixels);
    const distance = euclideanDistance(selfie, reference);
    return { match: matchVerdict(distance), distance };
  };
}
