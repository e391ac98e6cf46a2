/**
 * The face types every layer above imaging shares (docs/architecture.md): what a detector found, the per-request face
 * analysis, and the yes/no verdict with its score. The model wrappers, the quality checks and the use cases all speak
 * in them; pipeline/types.ts re-exports them for the use cases' callers.
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

/** Which detector found `faces` (pipeline/analyze.ts cascade): BlazeFace alone, YuNet (verifyVideo's frames), or the SSD. */
export type FaceDetector = 'blazeface' | 'yunet' | 'ssd';

/** Everything the per-face stages need, computed once per request by pipeline/analyze.ts. */
export interface FaceAnalysis {
  /** The decoded image, EXIF rotation applied, RGB. */
  image: RgbImage;
  /** All faces the detector kept, best score first. */
  faces: FaceDetection[];
  /** The detector whose answer `faces` is (the cascade's choice). */
  detector: FaceDetector;
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
