import { describe, expect, it } from 'vitest';
import { SSD_MOBILENETV1_DEFAULTS, decodeSsdDetections, resolveSsdMobilenetv1Options } from './faceapi-ssd-mobilenetv1.js';

// A 200×100 image: padded at the bottom to 200×200, so in the 512 square it fills 512×256 (padX 1, padY 2).
const input = { inputSize: 512, reshapedWidth: 512, reshapedHeight: 256, imageWidth: 200, imageHeight: 100 };

describe('face-api SsdMobilenetv1 post-processing (SsdMobilenetv1.locateFaces)', () => {
  const boxes = Float32Array.from([
    [0.1, 0.2, 0.3, 0.6], // best face
    [0.1, 0.21, 0.3, 0.61], // overlaps the best by IoU > 0.5: suppressed
    [0.4, 0.9, 0.45, 1.2], // crosses the right edge: clipped to 1
    [0.0, 0.0, 0.1, 0.1], // exactly at minConfidence: dropped (face-api keeps score > threshold)
  ].flat());
  const scores = Float32Array.from([0.9, 0.8, 0.7, 0.5]);

  it('keeps scores above minConfidence, suppresses overlaps above IoU 0.5, clips and scales [y1, x1, y2, x2] to pixels', () => {
    const faces = decodeSsdDetections(boxes, scores, input, SSD_MOBILENETV1_DEFAULTS);
    expect(faces.map((f) => f.score)).toEqual([scores[0], scores[2]]);
    const [best, clipped] = faces;
    // left 0.2 × padX 1 × 200 px, top 0.1 × padY 2 × 100 px, right 0.6, bottom 0.3.
    expect(best!.box.x).toBeCloseTo(40, 4);
    expect(best!.box.y).toBeCloseTo(20, 4);
    expect(best!.box.width).toBeCloseTo(80, 4);
    expect(best!.box.height).toBeCloseTo(40, 4);
    expect(clipped!.box.x + clipped!.box.width).toBeCloseTo(200, 4);
  });

  it('returns at most maxResults faces, best first', () => {
    const faces = decodeSsdDetections(boxes, scores, input, { minConfidence: 0.5, maxResults: 1 });
    expect(faces.map((f) => f.score)).toEqual([scores[0]]);
  });

  it("applies face-api's defaults and rejects out-of-range options", () => {
    expect(resolveSsdMobilenetv1Options()).toEqual({ minConfidence: 0.5, maxResults: 100 });
    expect(() => resolveSsdMobilenetv1Options({ minConfidence: 0 })).toThrow(/minConfidence/);
    expect(() => resolveSsdMobilenetv1Options({ maxResults: 0 })).toThrow(/maxResults/);
    expect(() => resolveSsdMobilenetv1Options({ maxResults: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', status: 400 }));
  });
});
