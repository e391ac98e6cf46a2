/**
 * `hat`: headwear covering the forehead / top of the head. No model: a band of forehead above the brows
 * (face-regions.ts `forehead`) should be skin; a hat or cap (brim, band, knit) replaces it with another
 * colour. Measured as the RGB distance between the forehead band's mean colour and the cheeks', relative
 * to the cheek luma. Hair falling over the forehead (fringe/bangs) also changes that colour and will be
 * reported as a hat: always `low` confidence (no labelled hat image in the data sets).
 */
import type { FaceAnalysis, Verdict } from '../face/types.js';
import { faceRegions, landmarksInCrop } from './face-regions.js';
import { meanColour } from './image-stats.js';
import { lowConfidence, thresholdVerdict } from './verdict.js';

/**
 * Relative colour distance (forehead vs cheeks ÷ cheek luma) above which the forehead is covered. Bare
 * foreheads of frontal faces in the labelled sets measure 0.01–0.35 (bench/quality.ts); profile and
 * tilted-back faces reach 0.5–1.0 (the band then holds hair or background): a known false-positive source.
 */
export const FOREHEAD_COLOUR_THRESHOLD = 0.45;

export function foreheadColourDistance(analysis: FaceAnalysis): number {
  const regions = faceRegions(landmarksInCrop(analysis));
  const crop = analysis.alignedFace.image;
  const forehead = meanColour(crop, regions.forehead);
  const cheeks = [meanColour(crop, regions.leftCheek), meanColour(crop, regions.rightCheek)];
  const skin = [0, 1, 2].map((c) => (cheeks[0]![c]! + cheeks[1]![c]!) / 2);
  const luma = Math.max(20, 0.299 * skin[0]! + 0.587 * skin[1]! + 0.114 * skin[2]!);
  return Math.hypot(forehead[0] - skin[0]!, forehead[1] - skin[1]!, forehead[2] - skin[2]!) / luma;
}

export function hatVerdict(distance: number): Verdict {
  return lowConfidence(thresholdVerdict(distance, { threshold: FOREHEAD_COLOUR_THRESHOLD, yesWhen: 'above', width: 0.05, margin: 0 }));
}
