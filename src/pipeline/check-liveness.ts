/**
 * The checkLiveness use case: decode once → analyse the primary face → liveness verdict (models + context
 * signals) → the requested
 * quality checks → age/gender and the cropped face when asked. Knows nothing of HTTP (http/contracts/ maps
 * the LivenessOutcome to a vendor's wire format).
 */
import { downscaleForContext } from '../attack-signals/context-view.js';
import { decodeImage, encodeJpeg } from '../imaging/decode.js';
import type { ModelRegistry } from '../inference/registry.js';
import { createQualityChecker } from '../quality/index.js';
import { AgeGenderEstimator } from './age-gender.js';
import { FaceAnalyzer } from './analyze.js';
import { LivenessEstimator } from './liveness.js';
import type { CheckLiveness, LivenessOutcome } from './types.js';

export interface CheckLivenessOptions {
  /** Largest accepted image, width × height pixels (config); larger images are IMAGE_TOO_LARGE. */
  maxPixels: number;
}

/** JPEG quality of croppedFace, 0–100: sharp's default 80 is visibly soft on a 256² face; 90 keeps detail. */
export const CROPPED_FACE_JPEG_QUALITY = 90;

/** Builds the use case once per process: every model wrapper is created here, from the registry. */
export function createCheckLiveness(registry: ModelRegistry, options: CheckLivenessOptions): CheckLiveness {
  const analyzer = new FaceAnalyzer(registry);
  const liveness = new LivenessEstimator(registry);
  const quality = createQualityChecker(registry);
  const ageGender = new AgeGenderEstimator(registry);
  return async function checkLiveness(bytes, request) {
    const image = await decodeImage(bytes, { maxPixels: options.maxPixels });
    // The liveness context's downscaled copy does not need the face: start it now, it resizes while the detector runs.
    const downscaled = downscaleForContext(image);
    // Not awaited until liveness needs it: a failed analysis must not leave its rejection unhandled.
    downscaled.catch(() => {});
    const analysis = await analyzer.analyze(image);
    const outcome: LivenessOutcome = { liveFace: await liveness.assess(analysis, downscaled), qualityChecks: await quality(analysis, request.qualityChecks) };
    if (request.ageRange || request.gender) {
      const estimate = await ageGender.estimate(analysis);
      if (request.ageRange) outcome.ageRange = estimate.ageRange;
      if (request.gender) outcome.gender = estimate.gender;
    }
    if (request.croppedImage) outcome.croppedFace = await encodeJpeg(analysis.alignedFace.image, CROPPED_FACE_JPEG_QUALITY);
    return outcome;
  };
}
