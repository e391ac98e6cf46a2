/**
 * `lowQuality`: is the capture unfit overall? Yes when the face is too small in pixels for reliable
 * matching, or the face is blurred, too dark or washed out. Score = the worst (highest) component score,
 * so a reviewer can see which one fired from the other checks' answers.
 */
import type { Verdict } from '../face/types.js';
import { thresholdVerdict } from './verdict.js';

/**
 * Minimum distance between the eye centres, image pixels: ISO/IEC 19794-5:2005 §8.4 (token frontal face
 * image) fixes 60 px between the eye centres; below that face recognisers lose accuracy fast.
 */
export const MIN_EYE_DISTANCE_PX = 60;

/** Face-size verdict: yes when the eye distance (pixels) is under MIN_EYE_DISTANCE_PX; `high` when 25 % off. */
export function faceTooSmallVerdict(eyeDistancePx: number): Verdict {
  return thresholdVerdict(eyeDistancePx, { threshold: MIN_EYE_DISTANCE_PX, yesWhen: 'below', width: 4, margin: 0.25 * MIN_EYE_DISTANCE_PX });
}

/** Combines the component verdicts: the one with the highest score decides value, score and confidence. */
export function lowQualityVerdict(components: readonly Verdict[]): Verdict {
  if (components.length === 0) throw new Error('lowQualityVerdict: no components');
  return components.reduce((worst, v) => (v.score > worst.score ? v : worst));
}
