import { describe, expect, it } from 'vitest';
import type { LowerFaceMeasurement } from './lower-face.js';
import { FACE_SCORE_MIN_CHROMA, LOWER_FACE_CHROMA_THRESHOLD, LOWER_FACE_HIGH_YES_FROM, MASKED_SHARE_HIGH_NO_UP_TO, occlusionFromLowerFace, occlusionVerdict } from './occlusion.js';

const lower = (chromaDistance: number, faceScore = 1): LowerFaceMeasurement => ({ chromaDistance, faceScore, skinReference: 'noseBridge', pixels: 8000 });
const primary = { box: { x: 100, y: 100, width: 100, height: 100 }, score: 0.99 };

describe('occlusion rules', () => {
  it('lower-face colour: yes past the threshold, high only from the measured high band, a no is never high', () => {
    expect(occlusionFromLowerFace(lower(LOWER_FACE_CHROMA_THRESHOLD + 1))).toMatchObject({ value: true, confidence: 'low', basis: { method: 'lowerFaceColour' } });
    expect(occlusionFromLowerFace(lower(LOWER_FACE_HIGH_YES_FROM))).toMatchObject({ value: true, confidence: 'high' });
    expect(occlusionFromLowerFace(lower(0))).toMatchObject({ value: false, confidence: 'low' });
    expect(occlusionFromLowerFace(lower(LOWER_FACE_CHROMA_THRESHOLD)).score).toBeCloseTo(0.5, 9);
  });

  it('a low FaceMesh score counts only when the lower face is also off the skin colour', () => {
    expect(occlusionFromLowerFace(lower(FACE_SCORE_MIN_CHROMA + 1, 0.1))).toMatchObject({ value: true, confidence: 'low', score: 0.9, basis: { method: 'faceMeshNoFace' } });
    expect(occlusionFromLowerFace(lower(FACE_SCORE_MIN_CHROMA - 1, 0.1))).toMatchObject({ value: false, basis: { method: 'lowerFaceColour' } });
  });

  it('the pack decides when it found the primary face; otherwise the lower-face cue', () => {
    const bare = { box: { ...primary.box }, score: 0.9, maskedShare: MASKED_SHARE_HIGH_NO_UP_TO / 2 };
    expect(occlusionVerdict(lower(40), [bare], primary)).toMatchObject({ value: false, confidence: 'high', basis: { method: 'maskedFaceDetector' } });
    const elsewhere = { box: { x: 600, y: 600, width: 50, height: 50 }, score: 0.9, maskedShare: 0.99 };
    expect(occlusionVerdict(lower(40), [elsewhere], primary)).toMatchObject({ value: true, basis: { method: 'lowerFaceColour' } });
    expect(occlusionVerdict(lower(3), undefined, primary)).toMatchObject({ value: false, basis: { method: 'lowerFaceColour' } });
  });

  it('a pack yes is high only when the lower face is off the skin colour too', () => {
    const masked = { box: { ...primary.box }, score: 0.9, maskedShare: 0.99 };
    expect(occlusionVerdict(lower(LOWER_FACE_CHROMA_THRESHOLD + 5), [masked], primary)).toMatchObject({ value: true, confidence: 'high', basis: { method: 'maskedFaceDetector', measurements: { maskedShare: 0.99, lowerFaceChromaDistance: LOWER_FACE_CHROMA_THRESHOLD + 5 } } });
    expect(occlusionVerdict(lower(LOWER_FACE_CHROMA_THRESHOLD - 5), [masked], primary)).toMatchObject({ value: true, confidence: 'low', basis: { method: 'maskedFaceDetector' } });
  });
});
