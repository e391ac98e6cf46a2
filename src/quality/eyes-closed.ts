/**
 * `eyesClosed`: are both eyes closed? Measured with Human's iris model (MediaPipe Iris), whose 16 eyelid
 * points follow the lids far more closely than face-api's 68 landmarks or FaceMesh: openness = mean
 * distance between the three central upper-lid and lower-lid points ÷ the eye's corner-to-corner width
 * (the eye aspect ratio of Soukupová & Čech, "Real-Time Eye Blink Detection using Facial Landmarks",
 * CVWW 2016, on the iris model's contour). The answer is about the MORE open eye: a wink is not
 * "eyes closed" (bench/quality.ts shows the winking eye of a laughing face is not reliably measured).
 */
import type { EyeContour } from '../inference/human-iris.js';
import { explained, type ExplainedVerdict, thresholdVerdict } from './verdict.js';

/**
 * Openness (lid gap ÷ eye width) below which an eye is closed. Set by bench/quality.ts on the labelled
 * eye images: closed eyes measure 0.04–0.12, open eyes 0.14–0.44 (the low end: smiling faces whose lids
 * narrow, obama_and_biden, emotion_happy). 0.13 lies between; the more open eye of any open-eyed face in
 * the sets is ≥ 0.18.
 */
export const EYE_OPENNESS_THRESHOLD = 0.13;
/** Openness within ±0.05 of the threshold is a squint or a half blink: `low` confidence. */
export const EYE_OPENNESS_MARGIN = 0.05;

const distance = (a: { x: number; y: number }, b: { x: number; y: number }) => Math.hypot(a.x - b.x, a.y - b.y);

/** Lid gap ÷ eye width, ≥ 0 (≈ 0.05 closed, ≈ 0.3–0.45 wide open). */
export function eyeOpenness(eye: Pick<EyeContour, 'upper' | 'lower'>): number {
  // Upper points 11, 12, 13 (upper[2..4]) lie over lower points 3, 4, 5 (lower[3..5]); 12 and 4 are the lid
  // centres Human uses (src/face/iris.ts irisLandmarks.upperCenter / lowerCenter).
  const gap = [2, 3, 4].reduce((s, k) => s + distance(eye.upper[k]!, eye.lower[k + 1]!), 0) / 3;
  const width = distance(eye.lower[0]!, eye.lower[8]!);
  return width > 0 ? gap / width : 0;
}

/**
 * Basis `eyeAspectRatio`: `leftEyeOpenness` and `rightEyeOpenness` (lid gap ÷ eye width, eyeOpenness; the image's left
 * and right); the larger is compared with EYE_OPENNESS_THRESHOLD.
 */
export function eyesClosedVerdict(openness: { left: number; right: number }): ExplainedVerdict {
  const verdict = thresholdVerdict(Math.max(openness.left, openness.right), { threshold: EYE_OPENNESS_THRESHOLD, yesWhen: 'below', width: 0.015, margin: EYE_OPENNESS_MARGIN });
  return explained(verdict, { method: 'eyeAspectRatio', measurements: { leftEyeOpenness: openness.left, rightEyeOpenness: openness.right } });
}
