/**
 * `occlusion` (response key faceOccluded): is part of the face covered (mask, hand, scarf)? Two methods:
 *
 * 1. With the optional UltraFace masked-face pack (`ultraface-masked-640`): the pack's detection that
 *    overlaps the primary face, and its masked-face share P(masked) / (P(face) + P(masked)). Trained on
 *    masked faces only: it finds masks and mask-like coverings, not hands.
 * 2. Without the pack (always `low` confidence): the lower face (nose tip to chin, between the mouth
 *    corners widened) should look like the cheeks' skin; a covering changes its colour. Measured as the
 *    RGB distance between the mean colour of the mouth region and that of the two cheeks' upper parts,
 *    relative to the skin brightness.
 */
import type { MaskedFaceDetection } from '../inference/ultraface.js';
import { iou } from '../imaging/geometry.js';
import type { FaceAnalysis, FaceDetection } from '../face/types.js';
import { faceRegions, landmarksInCrop } from './face-regions.js';
import { meanColour } from './image-stats.js';
import { explained, type ExplainedVerdict, lowConfidence, thresholdVerdict } from './verdict.js';

/** A pack detection belongs to the primary face when their boxes overlap by at least this IoU. */
export const OCCLUSION_MATCH_IOU = 0.3;
/** Masked share above which the face is occluded (argmax of face vs masked face: upstream's own rule). */
export const MASKED_SHARE_THRESHOLD = 0.5;
/**
 * Fallback: relative colour distance (mouth region vs cheeks, ÷ cheek luma) above which the lower face
 * is covered. Measured (bench/quality.ts --no-pack): unmasked portraits 0.06–0.93 (open mouths, teeth,
 * lipstick, beards), masked faces 0.06–1.2: the cue does not separate them, so the threshold is set above
 * every unmasked face seen (only a covering far off the skin colour is flagged). Install the pack.
 */
export const LOWER_FACE_COLOUR_THRESHOLD = 1.0;

/** The pack detection matching the primary face, if any. */
export function matchPrimary(detections: readonly MaskedFaceDetection[], primary: FaceDetection): MaskedFaceDetection | undefined {
  let best: MaskedFaceDetection | undefined;
  let bestOverlap = OCCLUSION_MATCH_IOU;
  for (const d of detections) {
    const overlap = iou(d.box, primary.box);
    if (overlap >= bestOverlap) [best, bestOverlap] = [d, overlap];
  }
  return best;
}

/** Basis `maskedFaceDetector`: `maskedShare` (0–1, the pack's P(masked) ÷ (P(face) + P(masked))), compared with MASKED_SHARE_THRESHOLD. */
export function occlusionFromMaskDetector(match: MaskedFaceDetection | undefined): ExplainedVerdict | undefined {
  if (!match) return undefined;
  const verdict = thresholdVerdict(match.maskedShare, { threshold: MASKED_SHARE_THRESHOLD, yesWhen: 'above', width: 0.05, margin: 0.3 });
  return explained(verdict, { method: 'maskedFaceDetector', measurements: { maskedShare: match.maskedShare } });
}

/** Relative colour distance between the mouth region and the cheeks, ≥ 0 (0 = same colour). */
export function lowerFaceColourDistance(analysis: FaceAnalysis): number {
  const points = landmarksInCrop(analysis);
  const regions = faceRegions(points);
  const crop = analysis.alignedFace.image;
  const mouth = meanColour(crop, regions.mouth);
  const cheeks = [meanColour(crop, regions.leftCheek), meanColour(crop, regions.rightCheek)];
  const skin = [0, 1, 2].map((c) => (cheeks[0]![c]! + cheeks[1]![c]!) / 2);
  const luma = Math.max(20, 0.299 * skin[0]! + 0.587 * skin[1]! + 0.114 * skin[2]!);
  return Math.hypot(mouth[0] - skin[0]!, mouth[1] - skin[1]!, mouth[2] - skin[2]!) / luma;
}

/**
 * Basis `lowerFaceColour`: `lowerFaceColourDistance` (RGB distance ÷ cheek luma, ≥ 0: lowerFaceColourDistance), compared
 * with LOWER_FACE_COLOUR_THRESHOLD. Used without the pack, and with it when the pack found no face at the primary face.
 */
export function occlusionFromColour(distance: number): ExplainedVerdict {
  const verdict = lowConfidence(thresholdVerdict(distance, { threshold: LOWER_FACE_COLOUR_THRESHOLD, yesWhen: 'above', width: 0.05, margin: 0 }));
  return explained(verdict, { method: 'lowerFaceColour', measurements: { lowerFaceColourDistance: distance } });
}
