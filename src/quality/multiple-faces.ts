/**
 * `multipleFaces`: is there another person's face in the photo besides the applicant's? Counts detector
 * faces (face-api SSD, already filtered at its default minConfidence 0.5 by pipeline/analyze.ts) other than
 * the primary one whose size is a meaningful fraction of the primary face: a face that small is far
 * behind the applicant (a poster, a passer-by far away) and SSD's small boxes are its weakest.
 */
import { area } from '../imaging/geometry.js';
import type { FaceDetection } from '../face/types.js';
import { logistic } from './image-stats.js';
import type { ExplainedVerdict } from './verdict.js';

/**
 * A second face counts when its box side (√area) is at least this fraction of the primary face's. 0.3:
 * every second face in the labelled multi-face sets (two_people, obama_and_biden, kit_with_rose, bbt group
 * shots, attribute_7242) is ≥ 0.45 of the primary; a face a third the size is a person ≈ 3× further away.
 */
export const MIN_RELATIVE_FACE_SIDE = 0.3;
/** A second face with detector score ≥ 0.7 and side ≥ 0.45 × primary is a clear call (`high`). */
export const CONFIDENT_FACE_SCORE = 0.7;
export const CONFIDENT_RELATIVE_SIDE = 0.45;

export interface OtherFace {
  detection: FaceDetection;
  /** side(face) / side(primary), side = √area. */
  relativeSide: number;
}

/** Faces other than the primary one, with their size relative to it, largest first. */
export function otherFaces(faces: readonly FaceDetection[], primary: FaceDetection): OtherFace[] {
  const primarySide = Math.sqrt(area(primary.box));
  return faces
    .filter((f) => f !== primary)
    .map((detection) => ({ detection, relativeSide: primarySide > 0 ? Math.sqrt(area(detection.box)) / primarySide : 0 }))
    .sort((a, b) => b.relativeSide - a.relativeSide);
}

/**
 * Basis `detectedFaces`: `otherFaces` (how many faces besides the primary reach MIN_RELATIVE_FACE_SIDE) and, when there
 * is any other face, the strongest one's detector score `otherFaceScore` (0–1) and size `otherFaceRelativeSide`
 * (√area ÷ the primary face's), the numbers compared with CONFIDENT_FACE_SCORE and the side limits.
 */
export function multipleFacesVerdict(faces: readonly FaceDetection[], primary: FaceDetection): ExplainedVerdict {
  const others = otherFaces(faces, primary);
  // Strength of each second face: its detector score, discounted when it is near the size limit; the best one scores.
  const strengths = others.map((o) => o.detection.score * logistic(o.relativeSide, MIN_RELATIVE_FACE_SIDE, 0.03));
  const strength = Math.max(0, ...strengths);
  const strongest = others[strengths.indexOf(strength)];
  const counted = others.filter((o) => o.relativeSide >= MIN_RELATIVE_FACE_SIDE);
  const value = counted.length > 0;
  // Score 0–1: 0 with no second face; else the strongest second face's detector score (≥ 0.5 by construction).
  const score = value ? Math.max(0.5, strength) : Math.min(0.49, strength);
  const clear = counted.some((o) => o.detection.score >= CONFIDENT_FACE_SCORE && o.relativeSide >= CONFIDENT_RELATIVE_SIDE);
  const nearMiss = others.some((o) => o.relativeSide >= MIN_RELATIVE_FACE_SIDE * 0.7 && o.relativeSide < MIN_RELATIVE_FACE_SIDE);
  const measurements: Record<string, number> = { otherFaces: counted.length };
  if (strongest) Object.assign(measurements, { otherFaceScore: strongest.detection.score, otherFaceRelativeSide: strongest.relativeSide });
  return { value, score, confidence: value ? (clear ? 'high' : 'low') : nearMiss ? 'low' : 'high', basis: { method: 'detectedFaces', measurements } };
}
