/**
 * The liveness use case's inputs and outputs, independent of any vendor's wire format: the pipeline
 * produces a `LivenessOutcome`, and http/contracts/ maps it to HyperVerge's (or another) contract.
 */
import type { Box } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';

/** `high` when the score is far from the decision threshold, `low` when near it or the method is weak. */
export type Confidence = 'high' | 'low';

/** A yes/no answer with the score it came from. */
export interface Verdict {
  /** true = "yes" (e.g. live face, image blurred, eyes closed). */
  value: boolean;
  /** 0–1, higher = more "yes"; `value` is `score >= threshold` for the check's calibrated threshold. */
  score: number;
  confidence: Confidence;
}

/** HyperVerge checkLiveness quality checks, by their request field names (`qualityChecks.<name>`). */
export const QUALITY_CHECKS = [
  'blur',
  'eyesClosed',
  'occlusion',
  'multipleFaces',
  'headTurned',
  'hat',
  'eyewear',
  'readingGlasses',
  'sunglasses',
  'dull',
  'bright',
  'nonWhiteBackground',
  'nudity',
  'lowQuality',
] as const;
export type QualityCheck = (typeof QUALITY_CHECKS)[number];

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

export interface LivenessOutcome {
  liveFace: Verdict;
  qualityChecks: Partial<Record<QualityCheck, Verdict>>;
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

/** A point in image pixels. */
export interface Point {
  x: number;
  y: number;
}

/** One detected face, in pixels of the decoded (EXIF-rotated) image. */
export interface FaceDetection {
  box: Box;
  /** Detector confidence, 0–1. */
  score: number;
}

/** Everything the per-face stages need, computed once per request by pipeline/analyze.ts. */
export interface FaceAnalysis {
  /** The decoded image, EXIF rotation applied, RGB. */
  image: RgbImage;
  /** All faces the detector kept, best score first. */
  faces: FaceDetection[];
  /** The face the request is about (the largest). */
  primary: FaceDetection;
  /** face-api 68-point landmarks (iBUG 300-W order) of the primary face, image pixels. */
  landmarks68: Point[];
  /** In-plane rotation of the primary face, radians (angle of the line between the eye centres; 0 = level). */
  roll: number;
  /**
   * The primary face rotated upright and cropped square around the landmarks (RGB), with the
   * transform back to image pixels: image = origin + R(roll)·crop·scale.
   */
  alignedFace: { image: RgbImage; scale: number; origin: Point };
}
