/**
 * `readingGlasses`: clear (untinted) glasses: a spectacle frame (eyewear.ts) and not sunglasses (sunglasses.ts).
 * Score = min(P(frame), 1 − P(sunglasses)). `high` confidence when both parts are: yes needs a sure frame and sure
 * clear lenses; no needs either a sure absence of a frame or sure sunglasses.
 */
import type { EyeRegionMeasurement } from './eye-region.js';
import type { ExplainedVerdict } from './banded-verdict.js';
import { spectacleFrameVerdict } from './eyewear.js';
import { sunglassesVerdict } from './sunglasses.js';

export function readingGlassesVerdict(m: EyeRegionMeasurement): ExplainedVerdict {
  const frame = spectacleFrameVerdict(m);
  const tinted = sunglassesVerdict(m);
  const score = Math.min(frame.score, 1 - tinted.score);
  const value = score >= 0.5;
  const sure = value
    ? frame.confidence === 'high' && tinted.confidence === 'high'
    : (!frame.value && frame.confidence === 'high') || (tinted.value && tinted.confidence === 'high');
  const method = value ? 'frameBarsClearLenses' : tinted.value ? 'sunglasses' : 'noFrame';
  return { value, score, confidence: sure ? 'high' : 'low', basis: { method, measurements: { ...tinted.basis.measurements, ...frame.basis.measurements } } };
}
