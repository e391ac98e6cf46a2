import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/imaging/decode.js';
import {
  CASCADE_MIN_SCORE,
  FACE_COUNTER_MIN_PRIMARY_SIDE,
  FACE_COUNTER_MIN_SCORE,
  FACE_COUNTER_PACK_ID,
  FaceAnalyzer,
  blazeFaceVerdict,
  eyeCentres,
  faceCounterConfirms,
} from '../../src/pipeline/analyze.js';
import { registryWithPacks } from '../helpers/packs.js';
import { iou } from '../../src/imaging/geometry.js';
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
      // The SSD path of the cascade is face-api's detectAllFaces: compared with it alone.
      const ours = await analyzer.analyze(image, { ssdOnly: true });
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

  describe('detector cascade (BlazeFace first, the SSD where its rules say)', () => {
    const decode = async (file: string) => decodeImage(readFileSync(sharedData(file)), LIMITS);

    it('answers a one-face photo with BlazeFace alone, its box mapped onto the SSD\'s and the same landmarks', async () => {
      const image = await decode('attributes/face_recognition_ageitgey/obama-480p.jpg');
      const fast = await analyzer.analyze(image);
      const ssd = await analyzer.analyze(image, { ssdOnly: true });
      expect(fast.detector).toBe('blazeface');
      expect(ssd.detector).toBe('ssd');
      expect(fast.faces).toHaveLength(1);
      expect(iou(fast.primary.box, ssd.primary.box)).toBeGreaterThan(0.7);
      // The 68 landmarks come from a crop of a slightly different box: the eyes stay within 3 % of the face's width.
      const [a, b] = [eyeCentres(fast.landmarks68), eyeCentres(ssd.landmarks68)];
      const tolerance = 0.03 * ssd.primary.box.width;
      for (const side of ['left', 'right'] as const) {
        expect(Math.hypot(a[side].x - b[side].x, a[side].y - b[side].y)).toBeLessThan(tolerance);
      }
    });

    it('sends a group photo to the SSD, which counts both faces', async () => {
      const image = await decode('attributes/face_recognition_ageitgey/obama_and_biden.jpg');
      const { faces, detector } = await analyzer.detect(image);
      expect(detector).toBe('ssd');
      expect(faces.length).toBeGreaterThanOrEqual(2);
    });

    it('counts faces with the SSD alone when the multipleFaces check is asked for and the YuNet pack is not installed', async () => {
      // silent_face image_F2: one large face, which BlazeFace alone answers for a plain request.
      const image = await decode('liveness/silent_face/spoof/image_F2.jpg');
      expect((await analyzer.detect(image)).detector).toBe('blazeface');
      expect((await analyzer.detect(image, { countFaces: true })).detector).toBe('ssd');
    });

    it('leaves a tight face crop to the SSD, which answers it as before the cascade', async () => {
      // BlazeFace finds this crop's face (the SSD does not: no context around it); the liveness models cannot judge such
      // crops, so the service keeps the SSD's answer (422) rather than a guess.
      const image = await decode('liveness/tranvanluyt/live/real.mp475.png');
      const { detector } = await analyzer.detect(image);
      expect(detector).toBe('ssd');
      await expect(analyzer.analyze(image)).rejects.toMatchObject({ code: 'NO_FACE_DETECTED' });
    });
  });
});

describe('blazeFaceVerdict (the cascade\'s rules)', () => {
  const face = (score: number, side: number) => ({ box: { x: 100, y: 100, width: side, height: side }, score, keypoints: [] });
  it('lets BlazeFace answer alone for one confident, large face', () => {
    const verdict = blazeFaceVerdict([face(0.9, 200)], 1000, 800);
    expect(verdict).toHaveLength(1);
    expect(verdict![0]!.score).toBe(0.9);
    // The SSD-like box: narrower, taller, higher.
    expect(verdict![0]!.box.width).toBeLessThan(200);
    expect(verdict![0]!.box.height).toBeGreaterThan(200);
  });
  it('sends doubtful, crowded and small cases to the SSD', () => {
    expect(blazeFaceVerdict([], 1000, 800)).toBeUndefined();
    expect(blazeFaceVerdict([face(CASCADE_MIN_SCORE - 0.01, 200)], 1000, 800)).toBeUndefined();
    expect(blazeFaceVerdict([face(0.9, 200), face(0.35, 50)], 1000, 800)).toBeUndefined();
    expect(blazeFaceVerdict([face(0.9, 99)], 1000, 800)).toBeUndefined();
    // A face filling the picture (tight crop).
    expect(blazeFaceVerdict([face(0.9, 700)], 800, 800)).toBeUndefined();
  });
});

describe('faceCounterConfirms (YuNet counting faces for multipleFaces)', () => {
  const primary = { x: 100, y: 100, width: 200, height: 200 };
  const yunet = (x: number, side: number, score = 0.9) => ({ box: { x, y: 100, width: side, height: side }, score, landmarks: [] });
  it('confirms BlazeFace\'s face when YuNet finds it and nothing else that multipleFaces could count or call a near miss', () => {
    expect(faceCounterConfirms([yunet(105, 190)], primary, 1)).toBe(true);
    // 0.15 × the primary's side: below the near miss (0.21 ×).
    expect(faceCounterConfirms([yunet(105, 190), yunet(500, 28)], primary, 1)).toBe(true);
    // A second face below the score YuNet's faces need is no face.
    expect(faceCounterConfirms([yunet(105, 190), yunet(500, 190, FACE_COUNTER_MIN_SCORE - 0.01)], primary, 1)).toBe(true);
  });
  it('leaves the count to the SSD for a second face, a near miss, no YuNet face on BlazeFace\'s, or a face too small for YuNet', () => {
    expect(faceCounterConfirms([yunet(105, 190), yunet(500, 150)], primary, 1)).toBe(false);
    // 0.25 × the primary's side: a near miss for multipleFaces (0.21–0.3 ×).
    expect(faceCounterConfirms([yunet(105, 190), yunet(500, 48)], primary, 1)).toBe(false);
    expect(faceCounterConfirms([yunet(500, 190)], primary, 1)).toBe(false);
    expect(faceCounterConfirms([], primary, 1)).toBe(false);
    // The primary face below FACE_COUNTER_MIN_PRIMARY_SIDE in YuNet's input.
    expect(faceCounterConfirms([yunet(105, 190)], primary, (FACE_COUNTER_MIN_PRIMARY_SIDE - 1) / 200)).toBe(false);
    expect(faceCounterConfirms([yunet(105, 190)], primary, FACE_COUNTER_MIN_PRIMARY_SIDE / 200)).toBe(true);
  });
});

describe('FaceAnalyzer with the YuNet face counter pack', () => {
  let models: Awaited<ReturnType<typeof registryWithPacks>> | undefined;
  let analyzer: FaceAnalyzer;
  const decode = async (file: string) => decodeImage(readFileSync(sharedData(file)), LIMITS);
  beforeAll(async () => {
    models = await registryWithPacks([FACE_COUNTER_PACK_ID], 'analyze-packs-');
    analyzer = new FaceAnalyzer(models.registry);
  });
  afterAll(async () => models?.dispose());

  it('lets BlazeFace answer a one-face photo with the multipleFaces check, as it answers without it', async () => {
    const image = await decode('liveness/silent_face/spoof/image_F2.jpg');
    const counted = await analyzer.detect(image, { countFaces: true });
    const plain = await analyzer.detect(image);
    expect(counted.detector).toBe('blazeface');
    expect(counted.faces).toEqual(plain.faces);
    expect(counted.landmarks68).toEqual(plain.landmarks68);
  });

  it('still counts a group photo with the SSD', async () => {
    const { faces, detector } = await analyzer.detect(await decode('attributes/face_recognition_ageitgey/obama_and_biden.jpg'), { countFaces: true });
    expect(detector).toBe('ssd');
    expect(faces.length).toBeGreaterThanOrEqual(2);
  });
});
