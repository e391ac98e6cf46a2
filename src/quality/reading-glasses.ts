/**
 * `readingGlasses`: clear (untinted) glasses: eyewear present and not sunglasses. Score = min(P(glasses
 * bridge), 1 − P(sunglasses)). Always `low` confidence, as eyewear.ts.
 */
import type { Verdict } from '../face/types.js';
import type { EyeRegionMeasurement } from './eye-region.js';
import { clearGlassesVerdict } from './eyewear.js';
import { sunglassesVerdict } from './sunglasses.js';

export function readingGlassesVerdict(m: EyeRegionMeasurement): Verdict {
  const score = Math.min(clearGlassesVerdict(m).score, 1 - sunglassesVerdict(m).score);
  return { value: score >= 0.5, score, confidence: 'low' };
}
