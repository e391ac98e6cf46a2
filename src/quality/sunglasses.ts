/**
 * `sunglasses`: tinted lenses hiding the eyes. Yes when the eye boxes are much darker than the cheeks
 * (eye-region.ts eyeDarkness). Always `low` confidence: no labelled sunglasses image exists in the data
 * sets, so the threshold is set from bare eyes only (bench/quality.ts: 0.48–0.89 on the frontal labelled faces).
 */
import type { Verdict } from '../face/types.js';
import type { EyeRegionMeasurement } from './eye-region.js';
import { lowConfidence, thresholdVerdict } from './verdict.js';

/** Eye/cheek luma ratio below which the eyes are behind tinted lenses (bare eyes measure ≥ 0.48, see above). */
export const SUNGLASSES_DARKNESS_THRESHOLD = 0.4;

export function sunglassesVerdict(m: EyeRegionMeasurement): Verdict {
  return lowConfidence(thresholdVerdict(m.eyeDarkness, { threshold: SUNGLASSES_DARKNESS_THRESHOLD, yesWhen: 'below', width: 0.04, margin: 0 }));
}
