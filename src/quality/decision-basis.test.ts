/**
 * Unit tests of each check's `basis` (how it decided: the cue and the measurements it compared), on synthetic
 * measurements, no model. The verdicts themselves are tested in test/quality/checks.unit.test.ts and eye-region.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { FaceDetection } from '../face/types.js';
import { BLUR_LOG_LAPLACIAN_THRESHOLD, blurVerdict } from './blur.js';
import { brightVerdict } from './bright.js';
import { dullVerdict } from './dull.js';
import type { ExposureMeasurement } from './exposure.js';
import { eyesClosedVerdict } from './eyes-closed.js';
import { headTurnedVerdict } from './head-turned.js';
import { faceTooSmallVerdict, lowQualityVerdict } from './low-quality.js';
import { multipleFacesVerdict } from './multiple-faces.js';
import { MIN_BACKGROUND_SHARE, nonWhiteBackgroundVerdict } from './non-white-background.js';
import { nudityVerdict } from './nudity.js';
import { occlusionFromLowerFace, occlusionFromMaskDetector } from './occlusion.js';

/** Exposure statistics with the face's mean luma, its clipped share and the scene's 95th percentile set; the rest neutral. */
function exposure(faceMean: number, faceClipped: number, sceneP95: number): ExposureMeasurement {
  const stats = (mean: number, brightFraction: number) => ({ mean, std: 20, darkFraction: 0, brightFraction, count: 1000 });
  return { face: stats(faceMean, faceClipped), image: stats(faceMean, 0), imageP95: sceneP95 };
}
const face = (x: number, side: number, score = 0.95): FaceDetection => ({ box: { x, y: 100, width: side, height: side }, score });

describe('the basis names the cue and carries the numbers compared', () => {
  it('blur: the log₁₀ Laplacian variance, on the side of the threshold its answer says', () => {
    const sharp = blurVerdict(2.4);
    expect(sharp).toMatchObject({ value: false, basis: { method: 'laplacianVariance', measurements: { log10LaplacianVariance: 2.4 } } });
    const blurred = blurVerdict(0.9);
    expect(blurred.value).toBe(true);
    expect(blurred.basis.measurements.log10LaplacianVariance).toBeLessThan(BLUR_LOG_LAPLACIAN_THRESHOLD);
  });

  it('dull and bright: the face and scene luma and the combined measure each compares', () => {
    const dark = dullVerdict(exposure(40, 0, 70));
    expect(dark).toMatchObject({ value: true, basis: { method: 'faceAndSceneLuma', measurements: { faceMeanLuma: 40, sceneP95Luma: 70, darkness: 55 } } });
    const washedOut = brightVerdict(exposure(220, 0.3, 255));
    expect(washedOut).toMatchObject({ value: true, basis: { method: 'faceLumaAndClipping', measurements: { faceMeanLuma: 220, faceClippedShare: 0.3 } } });
    expect(washedOut.basis.measurements.brightness).toBeCloseTo(250, 9);
  });

  it('eyesClosed: both eyes\' openness (the more open one decides)', () => {
    expect(eyesClosedVerdict({ left: 0.05, right: 0.31 })).toMatchObject({ value: false, basis: { method: 'eyeAspectRatio', measurements: { leftEyeOpenness: 0.05, rightEyeOpenness: 0.31 } } });
  });

  it('headTurned: yaw or pitch, whichever is further past its own limit, with both signed angles', () => {
    expect(headTurnedVerdict({ yaw: -50, pitch: 10 })).toMatchObject({ value: true, basis: { method: 'yaw', measurements: { yawDeg: -50, pitchDeg: 10 } } });
    expect(headTurnedVerdict({ yaw: 5, pitch: 45 })).toMatchObject({ value: true, basis: { method: 'pitch', measurements: { yawDeg: 5, pitchDeg: 45 } } });
    expect(headTurnedVerdict({ yaw: 2, pitch: -20 }).basis.method).toBe('pitch');
  });

  it('multipleFaces: the count of other faces, and the strongest other face\'s detector score and relative size', () => {
    const primary = face(100, 100);
    expect(multipleFacesVerdict([primary], primary).basis).toEqual({ method: 'detectedFaces', measurements: { otherFaces: 0 } });
    const pair = multipleFacesVerdict([primary, face(300, 90, 0.9), face(500, 15, 0.99)], primary);
    expect(pair).toMatchObject({ value: true, basis: { method: 'detectedFaces', measurements: { otherFaces: 1, otherFaceScore: 0.9 } } });
    expect(pair.basis.measurements.otherFaceRelativeSide).toBeCloseTo(0.9, 9);
    // A tiny far-away face is not counted, but it is the one the score came from: the basis shows it.
    const tiny = multipleFacesVerdict([primary, face(300, 15, 0.99)], primary);
    expect(tiny).toMatchObject({ value: false, basis: { measurements: { otherFaces: 0, otherFaceScore: 0.99 } } });
    expect(tiny.basis.measurements.otherFaceRelativeSide).toBeCloseTo(0.15, 9);
  });

  it('occlusion: the masked-face pack\'s masked share, or the lower-face chroma distance and FaceMesh score without it', () => {
    const masked = occlusionFromMaskDetector({ box: { x: 0, y: 0, width: 10, height: 10 }, score: 0.9, maskedShare: 0.93 });
    expect(masked).toMatchObject({ value: true, confidence: 'high', basis: { method: 'maskedFaceDetector', measurements: { maskedShare: 0.93 } } });
    expect(occlusionFromMaskDetector(undefined)).toBeUndefined();
    expect(occlusionFromLowerFace({ chromaDistance: 4.2, skinReference: 'noseBridge', faceScore: 0.99, pixels: 9000 })).toMatchObject({
      value: false,
      confidence: 'low',
      basis: { method: 'lowerFaceColour', measurements: { lowerFaceChromaDistance: 4.2, faceMeshScore: 0.99, skinReferenceIsForehead: 0 } },
    });
  });

  it('nonWhiteBackground: the white fraction and the background share; a face filling the frame stays low with its basis', () => {
    const filled = nonWhiteBackgroundVerdict({ whiteFraction: 0.95, backgroundShare: MIN_BACKGROUND_SHARE / 2 });
    expect(filled).toMatchObject({ value: false, confidence: 'low', basis: { method: 'whiteBackgroundShare', measurements: { whiteFraction: 0.95, backgroundShare: MIN_BACKGROUND_SHARE / 2 } } });
  });

  it('nudity: the two nsfwjs classes that count', () => {
    expect(nudityVerdict({ Drawing: 0, Hentai: 0.1, Neutral: 0.05, Porn: 0.8, Sexy: 0.05 })).toMatchObject({
      value: true,
      basis: { method: 'nsfwjs', measurements: { pornProbability: 0.8, hentaiProbability: 0.1 } },
    });
  });

  it('lowQuality: the deciding component\'s method, with every component\'s measurements', () => {
    const verdict = lowQualityVerdict([faceTooSmallVerdict(120), blurVerdict(0.8), dullVerdict(exposure(120, 0, 200))]);
    expect(verdict.value).toBe(true);
    expect(verdict.basis).toEqual({
      method: 'laplacianVariance',
      measurements: { eyeDistancePx: 120, log10LaplacianVariance: 0.8, faceMeanLuma: 120, sceneP95Luma: 200, darkness: 160 },
    });
    // The answer is the deciding component's, field for field.
    const { basis: _basis, ...answer } = verdict;
    const { basis: _blurBasis, ...blurAnswer } = blurVerdict(0.8);
    expect(answer).toEqual(blurAnswer);
  });
});
