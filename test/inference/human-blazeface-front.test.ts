/**
 * The front-camera BlazeFace (`human-blazeface-front`, the detector cascade's first stage) on real photos, through the
 * converted model: its anchors, that it finds the one face of a portrait where the back-camera model and the SSD do,
 * the faces of a group photo, and nothing in a photo without a face.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iou } from '../../src/imaging/geometry.js';
import { FaceApiSsdMobilenetv1 } from '../../src/inference/faceapi-ssd-mobilenetv1.js';
import { BLAZEFACE_FRONT, HumanBlazeFaceFront } from '../../src/inference/human-blazeface-front.js';
import { blazeFaceAnchors, HumanBlazeFace } from '../../src/inference/human-blazeface.js';
import { ModelRegistry } from '../../src/inference/registry.js';
import { DEFAULT_SESSION_OPTIONS } from '../../src/inference/session.js';
import { faceApiSamples, readRgb, repoRoot, sharedData } from '../helpers/reference.js';

describe('front-camera BlazeFace anchors (MediaPipe face_detection_short_range SsdAnchorsCalculator)', () => {
  it('has 896 anchors: 16×16 cells × 2 at stride 8, then 8×8 cells × 6 at stride 16', () => {
    const a = blazeFaceAnchors(BLAZEFACE_FRONT);
    expect(a.length / 2).toBe(896);
    expect([a[0], a[1], a[2], a[3], a[4], a[5]]).toEqual([4, 4, 4, 4, 12, 4]);
    expect([a[2 * 511], a[2 * 511 + 1]]).toEqual([124, 124]);
    expect([a[2 * 512], a[2 * 512 + 1]]).toEqual([8, 8]);
    expect([a[2 * 895], a[2 * 895 + 1]]).toEqual([120, 120]);
  });
});

describe('front-camera BlazeFace on real photos', () => {
  let registry: ModelRegistry;
  let front: HumanBlazeFaceFront;
  let back: HumanBlazeFace;
  let ssd: FaceApiSsdMobilenetv1;
  beforeAll(async () => {
    registry = await ModelRegistry.load(path.join(repoRoot, 'models'), DEFAULT_SESSION_OPTIONS);
    front = new HumanBlazeFaceFront(registry.get('human-blazeface-front').runner);
    back = new HumanBlazeFace(registry.get('human-blazeface').runner);
    ssd = new FaceApiSsdMobilenetv1(registry.get('faceapi-ssd-mobilenetv1').runner);
  });
  afterAll(async () => registry?.dispose());

  it.each([
    // Face side / longer image side 0.15: the model's weaker range (scores 0.76 here), still found at MediaPipe's 0.5.
    ['obama 1080p', 'attributes/face_recognition_ageitgey/obama-1080p.jpg', 0.5],
    ['silent_face live T1', 'liveness/silent_face/live/image_T1.jpg', 0.9],
    ['openface clapton', 'identity/openface/eric_clapton/clapton-1.jpg', 0.8],
  ])('%s: one face scoring above %s, where the back-camera model and the SSD put theirs', async (_name, file, minScore) => {
    const image = await readRgb(sharedData(file));
    const faces = await front.detect(image, { minConfidence: 0.3 });
    expect(faces.length).toBe(1);
    expect(faces[0]!.score).toBeGreaterThan(minScore);
    const [backFace] = await back.detect(image);
    expect(iou(faces[0]!.box, backFace!.box)).toBeGreaterThan(0.7);
    const [ssdFace] = await ssd.detect(image);
    expect(iou(faces[0]!.box, ssdFace!.box)).toBeGreaterThan(0.5);
    // Keypoints: the image-left eye left of the image-right one, both above the mouth, inside the box.
    const [leftEye, rightEye, , mouth] = faces[0]!.keypoints;
    expect(leftEye!.x).toBeLessThan(rightEye!.x);
    expect(Math.max(leftEye!.y, rightEye!.y)).toBeLessThan(mouth!.y);
    const b = faces[0]!.box;
    for (const p of [leftEye!, rightEye!, mouth!]) expect(p.x > b.x && p.x < b.x + b.width && p.y > b.y && p.y < b.y + b.height).toBe(true);
  });

  it('finds several faces in a group photo (face-api sample6: the SSD finds 4)', async () => {
    const image = await readRgb(faceApiSamples()[5]!);
    const faces = await front.detect(image, { minConfidence: 0.5 });
    expect(faces.length).toBeGreaterThanOrEqual(3);
  });

  it('finds no face in a blank image', async () => {
    const image = { data: new Uint8Array(640 * 480 * 3).fill(200), width: 640, height: 480 };
    expect(await front.detect(image, { minConfidence: 0.3 })).toEqual([]);
  });
});
