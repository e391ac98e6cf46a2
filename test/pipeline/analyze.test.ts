import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/imaging/decode.js';
import { FaceAnalyzer, eyeCentres } from '../../src/pipeline/analyze.js';
import { ModelRegistry } from '../../src/inference/registry.js';
import { DEFAULT_SESSION_OPTIONS } from '../../src/inference/session.js';
import { faceApi, faceApiSamples, readRgb, repoRoot, sharedData, tfWasm } from '../helpers/reference.js';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';

const LIMITS = { maxPixels: 50_000_000 };

describe('FaceAnalyzer on real photos', () => {
  let registry: ModelRegistry;
  let analyzer: FaceAnalyzer;
  beforeAll(async () => {
    registry = await ModelRegistry.load(path.join(repoRoot, 'models'), DEFAULT_SESSION_OPTIONS);
    analyzer = new FaceAnalyzer(registry);
  });
  afterAll(async () => registry?.dispose());

  // face-api positions = net output × floored crop size + the UNfloored box corner (FaceLandmarks.shiftBy in
  // globalApi/DetectFaceLandmarksTasks.ts), a sub-pixel offset from the crop it really used; we map back to the
  // crop actually cut (floored corner), so the reference is moved by that fraction before comparing.
  it.each(faceApiSamples().map((f) => [path.basename(f), f]))(
    '%s: primary face landmarks equal face-api detectAllFaces().withFaceLandmarks() within 0.05 px',
    async (_name, file) => {
      const tf = await tfWasm();
      const api = await faceApi();
      const image = await readRgb(file);
      const tensor = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
      const reference = await api.detectAllFaces(tensor, new api.SsdMobilenetv1Options()).withFaceLandmarks();
      tensor.dispose();
      const largest = reference.reduce((a: any, b: any) => (b.detection.box.area > a.detection.box.area ? b : a));
      const ours = await analyzer.analyze(image);
      expect(ours.faces.length).toBe(reference.length);
      const box = largest.detection.box as { x: number; y: number };
      const [fx, fy] = [box.x - Math.floor(Math.max(box.x, 0)), box.y - Math.floor(Math.max(box.y, 0))];
      const refPoints = (largest.landmarks.positions as { x: number; y: number }[]).map((p) => ({ x: p.x - fx, y: p.y - fy }));
      const diff = Math.max(...ours.landmarks68.flatMap((p, i) => [Math.abs(p.x - refPoints[i]!.x), Math.abs(p.y - refPoints[i]!.y)]));
      expect(diff).toBeLessThanOrEqual(0.05);
    },
  );

  it('measures the roll of a photo rotated by a known angle, and rotates the aligned crop upright', async () => {
    // A one-face photo turned by +15° (clockwise on screen) with sharp: the roll must change by 15° ± 3°.
    const file = sharedData('attributes/face_recognition_ageitgey/obama-480p.jpg');
    const rotated = await sharp(file).rotate(15, { background: '#000' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const image = { data: new Uint8Array(rotated.data), width: rotated.info.width, height: rotated.info.height };
    const upright = await analyzer.analyze(await readRgb(file));
    const analysis = await analyzer.analyze(image);
    expect(Math.abs(((analysis.roll - upright.roll) * 180) / Math.PI - 15)).toBeLessThan(3);
    // Map the eye centres into the aligned crop: they must lie on one row there.
    const { left, right } = eyeCentres(analysis.landmarks68);
    const { origin, scale } = analysis.alignedFace;
    const toCrop = (p: { x: number; y: number }) => {
      const dx = p.x - origin.x;
      const dy = p.y - origin.y;
      return { u: (Math.cos(analysis.roll) * dx + Math.sin(analysis.roll) * dy) / scale, v: (-Math.sin(analysis.roll) * dx + Math.cos(analysis.roll) * dy) / scale };
    };
    const [l, r] = [toCrop(left), toCrop(right)];
    expect(Math.abs(l.v - r.v)).toBeLessThan(1);
    expect(l.u).toBeGreaterThan(0);
    expect(r.u).toBeLessThan(analysis.alignedFace.image.width);
  });

  it.each(['attributes/faceapi/white.png', 'attributes/inspireface/crop_no_face.png'])('reports NO_FACE_DETECTED on %s (labelled no face)', async (file) => {
    const image = await decodeImage(readFileSync(sharedData(file)), LIMITS);
    await expect(analyzer.analyze(image)).rejects.toMatchObject({ code: 'NO_FACE_DETECTED', status: 422 });
  });
});
