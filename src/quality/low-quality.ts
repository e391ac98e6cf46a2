/**
 * `lowQuality`: is the capture unfit overall? Yes when the face is too small in pixels for reliable
 * matching, or the face is blurred, too dark or washed out. Score = the worst (highest) component score,
 * so a reviewer can see which one fired from the other checks' answers.
 */
import { explained, type ExplainedVerdict, thresholdVerdict } from './verdict.js';

/**
 * Minimum distance between the eye centres, image pixels: ISO/IEC 19794-5:2005 §8.4 (token frontal face
 * image) fixes 60 px between the eye centres; below that face recognisers lose accuracy fast.
 */
export const MIN_EYE_DISTANCE_PX = 60;

/**
 * Face-size verdict: yes when the eye distance (pixels) is under MIN_EYE_DISTANCE_PX; `high` when 25 % off. Basis
 * `eyeDistance`: `eyeDistancePx`, between the eye centres, image pixels.
 */
export function faceTooSmallVerdict(eyeDistancePx: number): ExplainedVerdict {
  const verdict = thresholdVerdict(eyeDistancePx, { threshold: MIN_EYE_DISTANCE_PX, yesWhen: 'below', width: 4, margin: 0.25 * MIN_EYE_DISTANCE_PX });
  return explained(verdict, { method: 'eyeDistance', measurements: { eyeDistancePx } });
}

/**
 * Combines the component verdicts: the one with the highest score decides value, score and confidence, and its method
 * is the basis's method; the measurements are every component's (the components' keys do not collide, and where two
 * share one, as dull and bright share faceMeanLuma, it is the same measurement).
 */
export function lowQualityVerdict(components: readonly ExplainedVerdict[]): ExplainedVerdict {
  if (components.length === 0) throw new Error('lowQualityVerdict: no components');
  const worst = components.reduce((worst, v) => (v.score > worst.score ? v : worst));
  const measurements = Object.assign({}, ...components.map((c) => c.basis.measurements)) as Record<string, number>;
  return { value: worst.value, score: worst.score, confidence: worst.confidence, basis: { method: worst.basis.method, measurements } };
}
