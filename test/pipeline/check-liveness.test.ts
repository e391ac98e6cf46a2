/**
 * The checkLiveness use case end to end on real images with the real (embedded) models: verdicts, errors,
 * age range / gender on photos of known people, the cropped face.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/inference/registry.js';
import { DEFAULT_SESSION_OPTIONS } from '../../src/inference/session.js';
import { AGE_BUCKETS } from '../../src/pipeline/age-gender.js';
import { createCheckLiveness } from '../../src/pipeline/check-liveness.js';
import type { CheckLiveness, LivenessOptions } from '../../src/pipeline/types.js';
import { faceApiSamples, repoRoot, sharedData } from '../helpers/reference.js';

const NOTHING: LivenessOptions = { qualityChecks: [], ageRange: false, gender: false, croppedImage: false };
const EVERYTHING: LivenessOptions = { qualityChecks: [], ageRange: true, gender: true, croppedImage: true };
const bytes = (file: string) => new Uint8Array(readFileSync(file));

describe('checkLiveness (embedded models)', () => {
  let registry: ModelRegistry;
  let check: CheckLiveness;
  beforeAll(async () => {
    registry = await ModelRegistry.load(path.join(repoRoot, 'models'), DEFAULT_SESSION_OPTIONS);
    check = createCheckLiveness(registry, { maxPixels: 50_000_000 });
  });
  afterAll(async () => registry?.dispose());

  it('silent_face live photo (EXIF-rotated) → live; print attack F1 → not live', async () => {
    const live = await check(bytes(sharedData('liveness/silent_face/live/image_T1.jpg')), NOTHING);
    const print = await check(bytes(sharedData('liveness/silent_face/spoof/image_F1.jpg')), NOTHING);
    expect(live.liveFace.value).toBe(true);
    expect(print.liveFace.value).toBe(false);
    expect(live.liveFace.score).toBeGreaterThan(print.liveFace.score);
    // Nothing optional was asked for: nothing optional comes back.
    expect(live).toEqual({ liveFace: live.liveFace, qualityChecks: {} });
  });

  it('no face → NO_FACE_DETECTED (422)', async () => {
    await expect(check(bytes(sharedData('attributes/faceapi/white.png')), NOTHING)).rejects.toMatchObject({ code: 'NO_FACE_DETECTED', status: 422 });
  });

  it('webp → UNSUPPORTED_FILE_TYPE (400); garbage → UNSUPPORTED_FILE_TYPE', async () => {
    await expect(check(bytes(sharedData('attributes/ulfd_masked/img6.webp')), NOTHING)).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE', status: 400 });
    await expect(check(new TextEncoder().encode('not an image'), NOTHING)).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE' });
  });

  it('over the pixel limit → IMAGE_TOO_LARGE (413)', async () => {
    const small = createCheckLiveness(registry, { maxPixels: 100_000 });
    await expect(small(bytes(faceApiSamples()[0]!), NOTHING)).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE', status: 413 });
  });

  it.each(faceApiSamples().map((f) => [path.basename(f), f]))('%s: age range is a bucket containing the estimate, gender has a probability, croppedFace is a JPEG', async (_name, file) => {
    const outcome = await check(bytes(file), EVERYTHING);
    const { ageRange, gender, croppedFace } = outcome;
    expect(AGE_BUCKETS.map(([low, high]) => `${low}-${high}`)).toContain(`${ageRange!.low}-${ageRange!.high}`);
    expect(Math.round(Math.min(100, Math.max(0, ageRange!.estimate)))).toBeGreaterThanOrEqual(ageRange!.low);
    expect(Math.round(Math.min(100, Math.max(0, ageRange!.estimate)))).toBeLessThanOrEqual(ageRange!.high);
    // The face-api demo photos are of adults.
    expect(ageRange!.estimate).toBeGreaterThan(15);
    expect(gender!.score).toBeGreaterThanOrEqual(0.5);
    expect(gender!.score).toBeLessThanOrEqual(1);
    expect([...croppedFace!.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    const meta = await sharp(croppedFace!).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 256, height: 256 });
    console.log(`${_name}: age ${ageRange!.estimate.toFixed(1)} → ${ageRange!.low}-${ageRange!.high} (${ageRange!.confidence}), ${gender!.value} ${gender!.score.toFixed(3)} (${gender!.confidence}), live ${outcome.liveFace.score.toFixed(3)}`);
  });

  // Identity photos of people whose gender is public knowledge (labels/identity.csv folders).
  const known: [string, 'Male' | 'Female'][] = [
    ['identity/face_recognition_ageitgey/obama', 'Male'],
    ['identity/face_recognition_ageitgey/biden', 'Male'],
    ['identity/face_recognition_ageitgey/rose_leslie', 'Female'],
    ['identity/face_recognition_ageitgey/kit_harington', 'Male'],
    ['identity/human_vladmandic/vlado', 'Male'],
    ['identity/human_vladmandic/christina', 'Female'],
  ];
  it.each(known)('%s: every photo → %s', async (folder, expected) => {
    const dir = sharedData(folder);
    const files = readdirSync(dir).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const { gender } = await check(bytes(path.join(dir, file)), { ...NOTHING, gender: true });
      console.log(`${folder}/${file}: ${gender!.value} ${gender!.score.toFixed(3)}`);
      expect(gender!.value, `${folder}/${file}`).toBe(expected);
    }
  });

  it('known miss: human_vladmandic/lauren comes back Male, but with low confidence (p < 0.9)', async () => {
    const { gender } = await check(bytes(sharedData('identity/human_vladmandic/lauren/person-lauren.jpg')), { ...NOTHING, gender: true });
    expect(gender).toMatchObject({ value: 'Male', confidence: 'low' });
  });
});
