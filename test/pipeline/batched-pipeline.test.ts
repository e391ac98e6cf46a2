/**
 * Dynamic batching wired into the pipeline (issue #8), on CPU with the real models: concurrent checkLiveness
 * requests and the frames of one verifyVideo call really run as batches (the batchers' counters say so), and
 * every answer equals the unbatched one. A batch is one ORT run over stacked inputs, so any difference is
 * float noise from other kernel paths; the bounds below are far below what would change a verdict.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/inference/registry.js';
import { DEFAULT_SESSION_OPTIONS } from '../../src/inference/session.js';
import { createCheckLiveness } from '../../src/pipeline/check-liveness.js';
import { QUALITY_CHECKS } from '../../src/pipeline/types.js';
import type { LivenessOptions, LivenessOutcome } from '../../src/pipeline/types.js';
import { createVerifyVideo, type VideoVerification } from '../../src/pipeline/verify-video.js';
import { videoBinaries } from '../../src/video/binaries.js';
import { createVideoReader } from '../../src/video/read-video.js';
import { faceApiSamples, repoRoot, sharedData } from '../helpers/reference.js';

const modelsDir = path.join(repoRoot, 'models');
const EVERYTHING: LivenessOptions = { qualityChecks: QUALITY_CHECKS, ageRange: true, gender: true, croppedImage: false };
const work = mkdtempSync(path.join(tmpdir(), 'batched-pipeline-'));
const readVideo = createVideoReader({ binaries: videoBinaries(), tempDir: path.join(work, 'uploads'), timeoutMs: 30_000, maxDurationSeconds: 60, maxPixels: 3840 * 2160, fps: 4, maxFrames: 40, maxSide: 640 });
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every number in both answers, paired by path; fails on any structural difference. */
function numericPairs(a: unknown, b: unknown, at = ''): [string, number, number][] {
  if (typeof a === 'number' && typeof b === 'number') return [[at, a, b]];
  if (a instanceof Uint8Array || b instanceof Uint8Array) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    expect(Object.keys(b as object).sort(), at).toEqual(Object.keys(a as object).sort());
    return Object.keys(a as object).flatMap((k) => numericPairs((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`));
  }
  expect(b, at).toEqual(a);
  return [];
}

describe('the pipeline with dynamic batching on (maxBatch 8, no deadline) vs off', () => {
  let unbatched: ModelRegistry;
  let batched: ModelRegistry;
  beforeAll(async () => {
    unbatched = await ModelRegistry.load(modelsDir, DEFAULT_SESSION_OPTIONS);
    batched = await ModelRegistry.load(modelsDir, DEFAULT_SESSION_OPTIONS, undefined, { maxBatch: 8, maxDelayMs: 0 });
  });
  afterAll(async () => {
    await unbatched?.dispose();
    await batched?.dispose();
  });

  it('concurrent checkLiveness requests (all 14 checks, age, gender) batch their faces and answer as unbatched', async () => {
    const images = [...faceApiSamples(), sharedData('liveness/silent_face/live/image_T1.jpg'), sharedData('liveness/silent_face/spoof/image_F1.jpg')].map(
      (f) => new Uint8Array(readFileSync(f)),
    );
    const one = createCheckLiveness(unbatched, { maxPixels: 50_000_000 });
    const expected: LivenessOutcome[] = [];
    for (const image of images) expected.push(await one(image, EVERYTHING));
    const many = createCheckLiveness(batched, { maxPixels: 50_000_000 });
    const actual = await Promise.all(images.map((image) => many(image, EVERYTHING)));
    let compared = 0;
    actual.forEach((outcome, i) => {
      expect(outcome.liveFace.value, `image ${i}`).toBe(expected[i]!.liveFace.value);
      for (const [at, a, b] of numericPairs(expected[i], outcome)) {
        expect(Math.abs(a - b), `image ${i} ${at}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-3);
        compared++;
      }
    });
    expect(compared).toBeGreaterThan(images.length * 10); // scores, confidences, age estimate… not an empty comparison
    // Batches formed on the per-face models: more than one face per run on the busiest ones.
    for (const id of ['faceapi-face-landmark-68', 'human-liveness', 'faceapi-age-gender']) {
      const stats = batched.batchingOf(batched.get(id));
      if (stats.state !== 'on') throw new Error(`${id}: batching ${stats.state}`);
      expect(stats.items, id).toBe(images.length);
      expect(stats.largestBatch, id).toBeGreaterThan(1);
      expect(stats.batches, id).toBeLessThan(images.length);
    }
  });

  it('verifyVideo runs the frames of one video as batches and answers as unbatched', async () => {
    const input = {
      video: new Uint8Array(readFileSync(sharedData('videos/face_recognition_ageitgey/short_hamilton_clip.mp4'))),
      selfie: new Uint8Array(readFileSync(sharedData('identity/face_recognition_ageitgey/lin_manuel_miranda/lin-manuel-miranda.png'))),
    };
    const expected: VideoVerification = await createVerifyVideo(unbatched, { maxImagePixels: 25_000_000, readVideo })(input);
    const before = batched.batchingOf(batched.get('faceapi-face-recognition'));
    const actual = await createVerifyVideo(batched, { maxImagePixels: 25_000_000, readVideo })(input);
    const after = batched.batchingOf(batched.get('faceapi-face-recognition'));
    if (before.state !== 'on' || after.state !== 'on') throw new Error('batching off');
    expect(after.items - before.items).toBe(expected.framesWithFace + 1); // every face frame + the selfie
    expect(after.batches - before.batches).toBeLessThan(after.items - before.items);
    expect(actual.framesWithFace).toBe(expected.framesWithFace);
    expect(actual.bestFrame.timeSeconds).toBe(expected.bestFrame.timeSeconds);
    const pairs = numericPairs(expected, actual);
    expect(pairs.length).toBeGreaterThan(20);
    for (const [at, a, b] of pairs) expect(Math.abs(a - b), `${at}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-3);
  });
});
