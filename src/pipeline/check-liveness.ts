/**
 * The checkLiveness use case: decode once → analyse the primary face → liveness verdict (models + context
 * signals) → the requested
 * quality checks → age/gender and the cropped face when asked. Knows nothing of HTTP (http/contracts/ maps
 * the LivenessOutcome to a vendor's wire format).
 */
import { type DownscaledPhoto, downscaleForContext } from '../attack-signals/context-view.js';
import { encodeJpeg } from '../imaging/decode.js';
import type { RgbImage } from '../imaging/image.js';
import type { ModelRegistry } from '../inference/registry.js';
import { createQualityChecker, READS_ALIGNED_FACE } from '../quality/index.js';
import { AgeGenderEstimator } from './age-gender.js';
import { FaceAnalyzer, provideAlignedFace } from './analyze.js';
import { type AlignedFace, LivenessPhotoThread } from './liveness-photo-thread.js';
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
 * pay for both detectors. bench/RESULTS.md "Detector cascade" has the dev-set comparison. Without the anti-spoofing
 * pack no answer is a confident pass (LivenessEstimator.canPassConfidently), so assessSelfie runs the SSD alone there.
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
  options: { countFaces: boolean; downscaled?: Promise<DownscaledPhoto>; onAnalysis?: (analysis: FaceAnalysis) => void },
): Promise<{ analysis: FaceAnalysis; liveFace: LivenessVerdict }> {
  // Where the installed setup can never pass a selfie confidently (no pack), the SSD's analysis is the answer whatever
  // BlazeFace finds: BlazeFace, its two landmark runs, the liveness models and the framing edges on its analysis would
  // be thrown away (bench/RESULTS.md, "2026-12-02: liveness only without the pack: the SSD alone").
  const ssdOnly = !liveness.canPassConfidently;
  const analysis = await analyzer.analyze(image, { countFaces: options.countFaces, ssdOnly });
  options.onAnalysis?.(analysis);
  const liveFace = await liveness.assess(analysis, options.downscaled);
  if (!needsSsdRecheck(analysis, liveFace)) return { analysis, liveFace };
  const recheck = await analyzer.analyze(image, { countFaces: options.countFaces, ssdOnly: true });
  options.onAnalysis?.(recheck);
  return { analysis: recheck, liveFace: await liveness.assess(recheck, options.downscaled) };
}

/** Builds the use case once per process: every model wrapper is created here, from the registry. */
export function createCheckLiveness(registry: ModelRegistry, options: CheckLivenessOptions): CheckLiveness {
  // The decode (the photo then in shared memory), the SSD's input, the framing edges and the quality checks' whole-image
  // measurements are made off the event loop, with the same answers: liveness-photo-thread.ts.
  const photoThread = options.photoThread ?? new LivenessPhotoThread();
  const analyzer = new FaceAnalyzer(registry, photoThread.netInput);
  const liveness = new LivenessEstimator(registry, undefined, undefined, { photoThread });
  const quality = createQualityChecker(registry, { measureWholeImage: photoThread.measureWholeImage });
  const ageGender = new AgeGenderEstimator(registry);
  return async function checkLiveness(bytes, request) {
    const image = await photoThread.decode(bytes, { maxPixels: options.maxPixels });
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
    // The aligned crop, when the request reads it, is cut on the photo thread while liveness is judged (the photo thread
    // is idle then but for the framing edges, which this job goes ahead of): ≈ 4–9 ms less event-loop time per request.
    const readsCrop = request.croppedImage === true || request.qualityChecks.some((c) => READS_ALIGNED_FACE.has(c));
    const aligned = new Map<FaceAnalysis, Promise<AlignedFace>>();
    const onAnalysis = (a: FaceAnalysis) => {
      const job = photoThread.alignFace(a.image, a.landmarks68, a.roll);
      job.catch(() => {}); // a failed job leaves the crop to be made on first use, as without the thread
      aligned.set(a, job);
    };
    const { analysis, liveFace } = await assessSelfie(analyzer, liveness, image, {
      countFaces: request.qualityChecks.includes('multipleFaces'),
      downscaled,
      ...(readsCrop && photoThread.offThread ? { onAnalysis } : {}),
    });
    const alignedJob = aligned.get(analysis);
    if (alignedJob) {
      const crop = await alignedJob.catch(() => undefined);
      if (crop) provideAlignedFace(analysis, crop);
    }
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
