/**
 * `bright`: is the face over-exposed (washed out, highlights clipped)? Measured on the face skin only (a
 * white background is wanted, not a fault): the fraction of skin pixels at or above the clipping level
 * plus how close the mean is to white.
 */
import type { Verdict } from '../face/types.js';
import type { ExposureMeasurement } from './exposure.js';
import { thresholdVerdict } from './verdict.js';

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

export function brightVerdict(m: ExposureMeasurement): Verdict {
  return thresholdVerdict(brightMeasure(m), { threshold: BRIGHT_FACE_MEAN, yesWhen: 'above', width: 5, margin: 12 });
}
