/**
 * `occlusion` (response key faceOccluded): is part of the face covered (mask, hand, scarf)? Two cues:
 *
 * 1. With the optional UltraFace masked-face pack (`ultraface-masked-640`): the pack's detection that overlaps the
 *    primary face, and its masked-face share P(masked) / (P(face) + P(masked)). Trained on masked faces only: it finds
 *    masks and mask-like coverings, and a hand over the mouth only sometimes (1 of the 2 bare-hand frames measured).
 * 2. Without the pack, or when the pack found no face at the primary face (crowds): the lower-face cue of
 *    lower-face.ts, from FaceMesh (shipped by default): the chroma distance of the face below the nose from the skin
 *    between the eyes, and FaceMesh's face score.
 *
 * Confidence follows the measured error per band on the labelled dev photos (docs/quality-checks.md, occlusion;
 * `npm run bench -- quality`): `high` only in bands where it was below 5 %.
 */
import type { MaskedFaceDetection } from '../inference/ultraface.js';
import { iou } from '../imaging/geometry.js';
import type { FaceDetection } from '../face/types.js';
import { bandedVerdict } from './banded-verdict.js';
import type { LowerFaceMeasurement } from './lower-face.js';
import { explained, type ExplainedVerdict } from './verdict.js';

/** A pack detection belongs to the primary face when their boxes overlap by at least this IoU. */
export const OCCLUSION_MATCH_IOU = 0.3;
/** Masked share above which the face is occluded (argmax of face vs masked face: upstream's own rule). */
export const MASKED_SHARE_THRESHOLD = 0.5;
/**
 * `high` confidence bands of the pack's masked share (measured, docs/quality-checks.md occlusion: 69 labelled real
 * photos): from 0.8 up 30 answers, 0 wrong (see occlusionVerdict for the unlabelled ones); up to 0.2, 34 answers, 1 wrong
 * (2.9 %: a bare hand over the mouth); nothing of the labelled photos fell between.
 */
export const MASKED_SHARE_HIGH_YES_FROM = 0.8;
export const MASKED_SHARE_HIGH_NO_UP_TO = 0.2;

/**
 * Lower-face chroma distance (YCbCr Cb/Cr units, lower-face.ts) above which the lower face is covered. Measured
 * (bench/quality.ts, 69 labelled real photos): unmasked faces 0–16, except one whose sunglasses bridge (not found by
 * the sunglasses check) was the skin reference (20.2); coloured masks and cloths 18–108; skin-coloured masks and bare
 * hands 2–6 (not separable by colour). 18 sits above every unmasked face read against skin.
 */
export const LOWER_FACE_CHROMA_THRESHOLD = 18;
/** Logistic width of the lower-face score (Cb/Cr units): 0.27 → 0.73 over 15–21. */
const LOWER_FACE_CHROMA_WIDTH = 3;
/**
 * `high` confidence "yes" from this chroma distance on: 23 labelled photos measured there, none unmasked (the band
 * 18–25 held 7 covered faces and 1 unmasked: 12.5 % wrong, so `low`). A "no" from this cue is never `high`: the band
 * below 6 held 20 bare faces and 4 covered ones (skin-coloured masks, bare hands: 17 % wrong).
 */
export const LOWER_FACE_HIGH_YES_FROM = 25;
/**
 * FaceMesh face score below which the mesh did not see a face (sigmoid 0–1, 0.5 = its own decision point). Every one
 * of the 33 labelled unmasked faces scored ≥ 0.99; 7 of the 36 covered faces scored below 0.5 (9 before FaceMesh's
 * crop was turned upright by the face's roll, 2026-12-02: three tilted masked faces rose above it, one fell below). It
 * also drops on faces that the roll estimate leaves tilted (the InspireFace photo turned 90° and 270°: 0.45, 0.42) and on
 * non-faces, so it counts only when the lower face is also off the skin colour by FACE_SCORE_MIN_CHROMA.
 */
export const FACE_SCORE_THRESHOLD = 0.5;
/**
 * Chroma distance (Cb/Cr units) the lower face must still show for a low FaceMesh score to count: the rotated and
 * extreme-pose photos with low face scores measured 3–8 (bare skin), the covered faces the colour threshold misses
 * and whose face score is low 9–15.
 */
export const FACE_SCORE_MIN_CHROMA = 8;

/** The pack detection matching the primary face, if any. */
function matchPrimary(detections: readonly MaskedFaceDetection[], primary: FaceDetection): MaskedFaceDetection | undefined {
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
  return bandedVerdict(
    match.maskedShare,
    { threshold: MASKED_SHARE_THRESHOLD, yesWhen: 'above', width: 0.05, highYesFrom: MASKED_SHARE_HIGH_YES_FROM, highNoUpTo: MASKED_SHARE_HIGH_NO_UP_TO },
    { method: 'maskedFaceDetector', measurements: { maskedShare: match.maskedShare } },
  );
}

/**
 * The lower-face cue's answer. Basis `lowerFaceColour` (decided by the chroma distance) or `faceMeshNoFace` (FaceMesh
 * did not see a face and the lower face is off the skin colour); measurements `lowerFaceChromaDistance` (Cb/Cr units),
 * `faceMeshScore` (0–1) and `skinReferenceIsForehead` (0 or 1).
 */
export function occlusionFromLowerFace(m: LowerFaceMeasurement): ExplainedVerdict {
  const basis = { lowerFaceChromaDistance: m.chromaDistance, faceMeshScore: m.faceScore, skinReferenceIsForehead: m.skinReference === 'forehead' ? 1 : 0 };
  const colour = bandedVerdict(
    m.chromaDistance,
    { threshold: LOWER_FACE_CHROMA_THRESHOLD, yesWhen: 'above', width: LOWER_FACE_CHROMA_WIDTH, highYesFrom: LOWER_FACE_HIGH_YES_FROM, highNoUpTo: Number.NEGATIVE_INFINITY },
    { method: 'lowerFaceColour', measurements: basis },
  );
  if (!colour.value && m.faceScore < FACE_SCORE_THRESHOLD && m.chromaDistance > FACE_SCORE_MIN_CHROMA) {
    // Score: how far below its own decision point the mesh's face score is (0.5 at the threshold, 1 at score 0).
    return explained({ value: true, score: 1 - m.faceScore, confidence: 'low' }, { method: 'faceMeshNoFace', measurements: basis });
  }
  return colour;
}

/**
 * The occlusion answer: the pack's when it found the primary face, else the lower-face cue's. A pack "yes" is `high`
 * only when the lower face is off the skin colour too (chroma distance above LOWER_FACE_CHROMA_THRESHOLD): on the real
 * dev photos the pack's high-yes band held 3 bare faces of 33 answers (9 %: two sunglasses selfies and a grey crop,
 * none with the lower face off the skin colour), while the 26 answers where both cues agreed held none. The basis of a
 * pack answer carries `lowerFaceChromaDistance` too.
 */
export function occlusionVerdict(lowerFace: LowerFaceMeasurement, packDetections: readonly MaskedFaceDetection[] | undefined, primary: FaceDetection): ExplainedVerdict {
  const pack = packDetections && occlusionFromMaskDetector(matchPrimary(packDetections, primary));
  if (!pack) return occlusionFromLowerFace(lowerFace);
  const agrees = !pack.value || lowerFace.chromaDistance > LOWER_FACE_CHROMA_THRESHOLD;
  return { ...pack, confidence: agrees ? pack.confidence : 'low', basis: { method: pack.basis.method, measurements: { ...pack.basis.measurements, lowerFaceChromaDistance: lowerFace.chromaDistance } } };
}
