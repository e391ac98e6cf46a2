/**
 * `dull`: is the photo under-exposed (face too dark to read)? Yes when the face skin is dark AND the scene
 * has no bright part either (95th-percentile luma low): that is a lighting problem, whereas a dark-skinned
 * face in a well-lit scene keeps a bright scene percentile and is not dull.
 */
import type { ExposureMeasurement } from './exposure.js';
import { explained, type ExplainedVerdict, thresholdVerdict } from './verdict.js';

/**
 * Face-skin mean luma (0–255) below which the face is dark. Set by bench/quality.ts: well-lit faces in
 * the labelled sets measure 57–195 (57 = a dark-skinned face, attribute_1423), the same photos darkened
 * to 35 % brightness (sharp modulate) measure ≤ 68.
 */
export const DULL_FACE_MEAN = 60;
/** Weight of the scene's 95th-percentile luma in the darkness measure (the rest is the face mean). */
export const DULL_SCENE_WEIGHT = 0.5;

/** Darkness measure, 0–255: the average of face mean luma and scene 95th-percentile luma (both lower when under-exposed). */
export function dullMeasure(m: ExposureMeasurement): number {
  return (1 - DULL_SCENE_WEIGHT) * m.face.mean + DULL_SCENE_WEIGHT * m.imageP95;
}

/** The darkness measure's threshold: face at DULL_FACE_MEAN in a scene whose brightest 5 % reach only ≈ 1.5 × that. */
export const DULL_THRESHOLD = 75;

/**
 * Basis `faceAndSceneLuma`: `faceMeanLuma` and `sceneP95Luma` (0–255) and their weighted mean `darkness` (dullMeasure,
 * compared with DULL_THRESHOLD).
 */
export function dullVerdict(m: ExposureMeasurement): ExplainedVerdict {
  const darkness = dullMeasure(m);
  const verdict = thresholdVerdict(darkness, { threshold: DULL_THRESHOLD, yesWhen: 'below', width: 6, margin: 15 });
  return explained(verdict, { method: 'faceAndSceneLuma', measurements: { faceMeanLuma: m.face.mean, sceneP95Luma: m.imageP95, darkness } });
}
