/**
 * The checkLiveness use case: decode once → analyse the primary face → liveness verdict (models + context
 * signals) → the requested
 * quality checks → age/gender and the cropped face when asked. Knows nothing of HTTP (http/contracts/ maps
 * the LivenessOutcome to a vendor's wire format).
 */
import { type DownscaledPhoto, downscaleForContext } from '../attack-signals/context-view.js';
import { decodeImage, encodeJpeg } from '../imaging/decode.js';
import type { RgbImage } from '../imaging/image.js';
import type { ModelRegistry } from '../inference/registry.js';
import { createQualityChecker } from '../quality/index.js';
import { AgeGenderEstimator } from './age-gender.js';
import { FaceAnalyzer } from './analyze.js';
import { LivenessPhotoThread } from './liveness-photo-thread.js';
import { LivenessEstimator } from './liveness.js';
import type { CheckLiveness, FaceAnalysis, LivenessOptions, LivenessOutcome, LivenessVerdict } from './types.js';

export interface CheckLivenessOptions {
  /** Largest accepted image, width × height pixels (config); larger images are IMAGE_TOO_LARGE. */
  maxPixels: number;
  /**
   * Where the pixel work that needs no model runs (liveness-photo-thread.ts): the service passes the thread it started
   * with the models; without one, checkLiveness makes its own, started with the first request.
   */
  photoThread?: LivenessPhotoThread;
}

/** JPEG quality of croppedFace, 0–100: sharp's default 80 is visibly soft on a 256² face; 90 keeps detail. */
export const CROPPED_FACE_JPEG_QUALITY = 90;

/**
 * The selfie liveness calibration (liveness-calibration.ts) was fitted on the SSD's face boxes. When the cascade let
 * BlazeFace decide, the box is the SSD's approximated from the landmarks (analyze.ts boxFromLandmarks: median IoU 0.85
 * with the SSD's own), and the context signals that measure from the box (framing edges, hands, the screen cues that
 * name the attack type) move with it. So BlazeFace's analysis may only pass a selfie, confidently; every other answer
 * (uncertain, or not live) is made from the SSD's analysis, as before the cascade: its verdict, or NO_FACE_DETECTED when
 * the SSD finds no face. Bona fide selfies, nearly all the traffic, take the fast path; attacks and doubtful captures
 * pay for both detectors. bench/RESULTS.md "Detector cascade" has the dev-set comparison.
 */
export function needsSsdRecheck(analysis: FaceAnalysis, liveFace: LivenessVerdict): boolean {
  return analysis.detector === 'blazeface' && !(liveFace.value && liveFace.confidence === 'high');
}

/**
 * The primary face's analysis and the liveness verdict checkLiveness answers with: the cascade's analysis, re-made with
 * the SSD where needsSsdRecheck says. `countFaces`: the request asks for the multipleFaces check.
 */
export async function assessSelfie(
  analyzer: FaceAnalyzer,
  liveness: LivenessEstimator,
  image: RgbImage,
  options: { countFaces: boolean; downscaled?: Promise<DownscaledPhoto> },
): Promise<{ analysis: FaceAnalysis; liveFace: LivenessVerdict }> {
  const analysis = await analyzer.analyze(image, { countFaces: options.countFaces });
  const liveFace = await liveness.assess(analysis, options.downscaled);
  if (!needsSsdRecheck(analysis, liveFace)) return { analysis, liveFace };
  const recheck = await analyzer.analyze(image, { countFaces: options.countFaces, ssdOnly: true });
  return { analysis: recheck, liveFace: await liveness.assess(recheck, options.downscaled) };
}

/** Builds the use case once per process: every model wrapper is created here, from the registry. */
export function createCheckLiveness(registry: ModelRegistry, options: CheckLivenessOptions): CheckLiveness {
  // The SSD's input, the framing edges and the quality checks' whole-image measurements are made off the event loop,
  // with the same answers: liveness-photo-thread.ts.
  const photoThread = options.photoThread ?? new LivenessPhotoThread();
  const analyzer = new FaceAnalyzer(registry, photoThread.netInput);
  const liveness = new LivenessEstimator(registry, undefined, undefined, { photoThread });
  const quality = createQualityChecker(registry, { measureWholeImage: photoThread.measureWholeImage });
  const ageGender = new AgeGenderEstimator(registry);
  return async function checkLiveness(bytes, request) {
    const image = await decodeImage(bytes, { maxPixels: options.maxPixels });
    try {
      return await answer(image, request);
    } finally {
      photoThread.release(image);
    }
  };

  async function answer(image: RgbImage, request: LivenessOptions): Promise<LivenessOutcome> {
    // The liveness context's downscaled copy does not need the face: start it now, it resizes while the detector runs.
    const downscaled = downscaleForContext(image);
    // Not awaited until liveness needs it: a failed analysis must not leave its rejection unhandled.
    downscaled.catch(() => {});
    const { analysis, liveFace } = await assessSelfie(analyzer, liveness, image, { countFaces: request.qualityChecks.includes('multipleFaces'), downscaled });
    const outcome: LivenessOutcome = { liveFace, qualityChecks: await quality(analysis, request.qualityChecks) };
    if (request.ageRange || request.gender) {
      const estimate = await ageGender.estimate(analysis);
      if (request.ageRange) outcome.ageRange = estimate.ageRange;
      if (request.gender) outcome.gender = estimate.gender;
    }
    if (request.croppedImage) outcome.croppedFace = await encodeJpeg(analysis.alignedFace.image, CROPPED_FACE_JPEG_QUALITY);
    return outcome;
  }
}
