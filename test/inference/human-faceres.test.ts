/**
 * Human's FaceRes descriptor wrapper (`human-faceres`; measured for matchFace in bench/match.ts, not used by the
 * service): its input scaling, and on real photos through the converted model (the conversion itself is checked
 * against Human's tfjs model in test/parity/human.test.ts): 1024 ReLU6 values, and another photo of the same
 * person closer than a different person.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/imaging/decode.js';
import { landmarkExtent, HUMAN_FACE_CROP_SIZE } from '../../src/inference/human-face-crop.js';
import { FACERES_DESCRIPTOR_LENGTH, FACERES_INPUT_SIZE, faceResInput, HumanFaceRes } from '../../src/inference/human-faceres.js';
import { ModelRegistry } from '../../src/inference/registry.js';
import { DEFAULT_SESSION_OPTIONS } from '../../src/inference/session.js';
import { FaceAnalyzer } from '../../src/pipeline/analyze.js';
import { repoRoot, sharedData } from '../helpers/reference.js';

describe('faceResInput (pure)', () => {
  it('resizes Human’s 192² crop (0–1) to 224² planes of 0–255', () => {
    const crop = new Float32Array(HUMAN_FACE_CROP_SIZE * HUMAN_FACE_CROP_SIZE * 3);
    for (let i = 0; i < crop.length; i += 3) crop.set([1, 0.5, 0], i);
    const input = faceResInput(crop);
    const plane = FACERES_INPUT_SIZE * FACERES_INPUT_SIZE;
    expect(input.length).toBe(3 * plane);
    expect([input[0], input[plane], input[2 * plane], input[3 * plane - 1]]).toEqual([255, 127.5, 0, 0]);
  });
});

describe('HumanFaceRes on real photos', () => {
  let registry: ModelRegistry;
  let analyzer: FaceAnalyzer;
  let faceres: HumanFaceRes;
  beforeAll(async () => {
    registry = await ModelRegistry.load(path.join(repoRoot, 'models'), DEFAULT_SESSION_OPTIONS);
    analyzer = new FaceAnalyzer(registry);
    faceres = new HumanFaceRes(registry.get('human-faceres').session);
  });
  afterAll(async () => registry?.dispose());

  const describePhoto = async (relative: string) => {
    const analysis = await analyzer.analyze(await decodeImage(readFileSync(sharedData(`identity/face_recognition_ageitgey/${relative}`)), { maxPixels: 50_000_000 }));
    return faceres.describe(analysis.image, landmarkExtent(analysis.landmarks68));
  };
  const cosineDistance = (a: Float32Array, b: Float32Array) => {
    let [dot, na, nb] = [0, 0, 0];
    for (let i = 0; i < a.length; i++) [dot, na, nb] = [dot + a[i]! * b[i]!, na + a[i]! ** 2, nb + b[i]! ** 2];
    return 1 - dot / Math.sqrt(na * nb);
  };

  it('gives 1024 values in 0–6; obama2 is closer to obama than biden is', async () => {
    const [obama, obama2, biden] = [await describePhoto('obama/obama.jpg'), await describePhoto('obama/obama2.jpg'), await describePhoto('biden/biden.jpg')];
    expect(obama.length).toBe(FACERES_DESCRIPTOR_LENGTH);
    expect(Math.min(...obama)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...obama)).toBeLessThanOrEqual(6);
    expect(cosineDistance(obama, obama2)).toBeLessThan(cosineDistance(obama, biden));
  }, 60_000);
});
