/**
 * The quality measurements that read the whole decoded photo, not the face: the image's luma statistics (dull,
 * bright, lowQuality: exposure.ts), the background's white share (nonWhiteBackground) and nsfwjs's 224² input
 * (nudity). Together they are one pass each over up to ≈ 0.5 MP of the photo, ≈ 8.5 ms of a request with every check
 * on the 2-core Xeon (bench/RESULTS.md "Photo path speed (issue #17)"), and none needs the face analysis beyond the
 * primary face's box: so they are gathered in one pure function that a caller may run on another thread
 * (pipeline/liveness-photo-thread.ts does, for checkLiveness) with the same answer.
 */
import type { FaceDetection } from '../face/types.js';
import type { RgbImage } from '../imaging/image.js';
import { nsfwjsInput } from '../inference/nsfwjs.js';
import { type LumaStats, wholeImageLuma } from './image-stats.js';
import { type BackgroundMeasurement, measureBackground } from './non-white-background.js';

/**
 * Percentile (0–1) of the whole image's luma that the exposure checks read as "how bright the brightest part of the
 * scene is" (ExposureMeasurement.imageP95).
 */
export const IMAGE_BRIGHT_PERCENTILE = 0.95;

/** Which whole-image measurements a request needs (only the requested checks' are made). */
export interface WholeImageNeeds {
  /** The image's luma statistics and IMAGE_BRIGHT_PERCENTILE percentile (dull, bright, lowQuality). */
  luma: boolean;
  /** The background's white share around `primary` (nonWhiteBackground). */
  background: boolean;
  /** nsfwjs's input tensor (nudity). */
  nsfwInput: boolean;
}

export interface WholeImageMeasurements {
  luma?: { stats: LumaStats; percentile: number };
  background?: BackgroundMeasurement;
  /** NCHW float32, 3 × 224 × 224 (inference/nsfwjs.ts nsfwjsInput). */
  nsfwInput?: Float32Array;
}

/** Measures what `needs` asks for, on this thread. Pure. */
export function measureWholeImage(image: RgbImage, primary: FaceDetection, needs: WholeImageNeeds): WholeImageMeasurements {
  const out: WholeImageMeasurements = {};
  if (needs.luma) out.luma = wholeImageLuma(image, IMAGE_BRIGHT_PERCENTILE);
  if (needs.background) out.background = measureBackground(image, primary);
  if (needs.nsfwInput) out.nsfwInput = nsfwjsInput(image);
  return out;
}

/**
 * Where a caller has the whole-image measurements made: `measureWholeImage` on this thread by default, or another
 * thread that runs that same function.
 */
export type WholeImageMeasurer = (image: RgbImage, primary: FaceDetection, needs: WholeImageNeeds) => Promise<WholeImageMeasurements>;

/**
 * `measureWholeImage` on this thread, after the caller's synchronous work (a microtask later): the quality checker
 * starts its model runs first, as it did before the measurements were gathered here.
 */
export const measureWholeImageHere: WholeImageMeasurer = (image, primary, needs) => Promise.resolve().then(() => measureWholeImage(image, primary, needs));
