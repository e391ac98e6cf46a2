/**
 * The liveness use case's inputs and outputs, independent of any vendor's wire format: the pipeline
 * produces a `LivenessOutcome`, and http/contracts/ maps it to HyperVerge's (or another) contract.
 */
import type { Confidence, Verdict } from '../face/types.js';
import type { RgbImage } from '../imaging/image.js';
import type { QualityCheck } from '../quality/checks.js';
import type { QualityVerdict } from '../quality/verdict.js';

// The face types and the quality check names live in their own layers (docs/architecture.md); the use cases' callers
// keep importing them from here.
export type { Confidence, FaceAnalysis, FaceDetection, FaceDetector, Point, Verdict } from '../face/types.js';
export { QUALITY_CHECKS, type QualityCheck } from '../quality/checks.js';
export type { DecisionBasis, QualityVerdict } from '../quality/verdict.js';


export interface LivenessOptions {
  /** Quality checks to run and report (only these appear in the response). */
  qualityChecks: readonly QualityCheck[];
  /** Estimate an age range. */
  ageRange: boolean;
  /** Estimate gender. */
  gender: boolean;
  /** Produce the aligned face crop (JPEG) for croppedImageUrl. */
  croppedImage: boolean;
}

export interface AgeRangeResult {
  /** Inclusive bounds of the reported range, years. */
  low: number;
  high: number;
  /** The model's point estimate, years. */
  estimate: number;
  confidence: Confidence;
}

export interface GenderResult {
  value: 'Male' | 'Female';
  /** Probability of `value`, 0.5–1. */
  score: number;
  confidence: Confidence;
}

/**
 * Why a liveness answer is weaker than usual (extension `liveFace.limitations`):
 * - `antiSpoofingPackMissing`: the MiniFASNet anti-spoofing pack is not installed, so liveness ran on the embedded
 *   models and the context signals only (install it with `npm run models:fetch`);
 * - `tightFaceCrop`: the face fills the picture, so there is no context around it for the context signals and
 *   MiniFASNet to look at; the answer has low confidence.
 */
export const LIVENESS_LIMITATIONS = ['antiSpoofingPackMissing', 'tightFaceCrop'] as const;
export type LivenessLimitation = (typeof LIVENESS_LIMITATIONS)[number];

/** What kind of presentation attack the evidence points to (extension `liveFace.attackType`, only when not live). */
export const ATTACK_TYPES = ['screen', 'print', 'cutout', 'mask', 'unknown'] as const;
export type AttackType = (typeof ATTACK_TYPES)[number];

/**
 * The scores behind `liveFace` (extension `liveFace.signals`), each 0–1, for the signals that ran. Two directions:
 * the anti-spoofing models give the probability that the face is LIVE; the context signals give the strength of
 * the evidence of an ATTACK around the face (0 = nothing found). Which of them weigh in the verdict, and how much,
 * is in /health (`liveness.fusion`).
 */
export interface LivenessSignalScores {
  /** MiniFASNet V2 + V1SE, mean live-face probability; absent when the pack is not installed. */
  minifasnet?: number;
  /** Human liveness model, live-face probability. */
  humanLiveness: number;
  /** A phone, tablet, monitor, laptop or book around the face (COCO detector); only when the calibration weighs it. */
  presentationDevice?: number;
  /** A hand gripping the medium at its edge; only when the calibration weighs it. */
  hands?: number;
  /** Long straight edges framing the face (a bezel, a print's border); absent for a tight face crop. */
  framingEdges?: number;
  /** A screen or print re-captured by a camera: periodic pixel-grid / moiré pattern, skin colour drained to grey-blue; absent for a tight face crop. */
  screenRecapture?: number;
}

/** The liveness verdict with the evidence behind it. `score` is the fused live probability 0–1. */
export interface LivenessVerdict extends Verdict {
  signals: LivenessSignalScores;
  /** Set when `value` is false. */
  attackType?: AttackType;
  limitations: LivenessLimitation[];
}

export interface LivenessOutcome {
  liveFace: LivenessVerdict;
  /** Each requested check's answer; `basis` says how it was reached (every check but hat reports one). */
  qualityChecks: Partial<Record<QualityCheck, QualityVerdict>>;
  ageRange?: AgeRangeResult;
  gender?: GenderResult;
  /** Aligned face crop, JPEG bytes, when `croppedImage` was asked for. */
  croppedFace?: Uint8Array;
}

/**
 * The check-liveness use case. Throws AppError `UNSUPPORTED_FILE_TYPE` (not a JPEG/PNG, or corrupt),
 * `IMAGE_TOO_LARGE` (over the pixel limit) or `NO_FACE_DETECTED`.
 */
export interface CheckLiveness {
  (image: Uint8Array, options: LivenessOptions): Promise<LivenessOutcome>;
}

