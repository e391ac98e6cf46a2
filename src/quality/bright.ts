/**
 * `bright`: is the face over-exposed (washed out, highlights clipped)? Measured on the face skin only (a
 * white background is wanted, not a fault): the fraction of skin pixels at or above the clipping level
 * plus how close the mean is to white.
 */
import type { ExposureMeasurement } from './exposure.js';
import { explained, type ExplainedVerdict, thresholdVerdict } from './verdict.js';

/**
 * Face-skin mean luma (0–255) above which the face is washed out. Set by bench/quality.ts: well-lit faces
 * in the labelled sets measure ≤ 205 on this region, the same photos brightened ×1.8 (sharp modulate) ≥ 225.
 */
export const BRIGHT_FACE_MEAN = 215;
/** Each 10 % of clipped skin pixels counts as 10 grey levels of brightness (clipping is what loses detail). */
const CLIPPED_WEIGHT = 100;

/** Brightness measure, 0–255+: face mean luma plus 100 × the fraction of clipped skin pixels. */
export function brightMeasure(m: ExposureMeasurement): number {
  return m.face.mean + CLIPPED_WEIGHT * m.face.brightFraction;
}

/**
 * Basis `faceLumaAndClipping`: `faceMeanLuma` (0–255), `faceClippedShare` (0–1 of the skin pixels at or above the
 * clipping level) and their sum `brightness` (brightMeasure, compared with BRIGHT_FACE_MEAN).
 */
export function brightVerdict(m: ExposureMeasurement): ExplainedVerdict {
  const brightness = brightMeasure(m);
  const verdict = thresholdVerdict(brightness, { threshold: BRIGHT_FACE_MEAN, yesWhen: 'above', width: 5, margin: 12 });
  return explained(verdict, { method: 'faceLumaAndClipping', measurements: { faceMeanLuma: m.face.mean, faceClippedShare: m.face.brightFraction, brightness } });
}
