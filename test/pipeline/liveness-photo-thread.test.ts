/**
 * The liveness photo thread (src/pipeline/liveness-photo-thread.ts) gives exactly what the same functions give on the
 * calling thread: the decoded photo (in shared memory, with the same errors), the SSD's input, the aligned face crop,
 * the framing edges of a context view and the quality checks' whole-image measurements, on real photos; and a thread
 * that cannot start leaves the work to the calling thread with the same answers.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { contextView } from '../../src/attack-signals/context-view.js';
import { FRAMING_RULES, framingEdges } from '../../src/attack-signals/framing-edges.js';
import { AppError } from '../../src/errors.js';
import { decodeImage, JPEG_PNG_WEBP } from '../../src/imaging/decode.js';
import { toFaceApiNetInput } from '../../src/inference/faceapi-net-input.js';
import { alignFace } from '../../src/pipeline/analyze.js';
import { LivenessPhotoThread, MAX_HELD_PHOTOS } from '../../src/pipeline/liveness-photo-thread.js';
import { measureWholeImage, type WholeImageNeeds } from '../../src/quality/whole-image.js';
import { repoRoot, sharedData } from '../helpers/reference.js';

const ALL: WholeImageNeeds = { luma: true, background: true, nsfwInput: true };
const photo = (rel: string) => decodeImage(new Uint8Array(readFileSync(sharedData(rel))), { maxPixels: 50_000_000 });
/** A face box in the middle third of the photo (the functions need a box, not a detected face). */
const middleFace = (width: number, height: number) => ({ box: { x: width / 3, y: height / 3, width: width / 3, height: height / 3 }, score: 0.9 });

describe('LivenessPhotoThread', () => {
  const thread = new LivenessPhotoThread();
  afterAll(() => thread.close());

  it('measures on its own thread what the calling thread measures, bit for bit', async () => {
    for (const rel of ['attributes/face_recognition_ageitgey/obama-1080p.jpg', 'liveness/silent_face/spoof/image_F1.jpg']) {
      const image = await photo(rel);
      const primary = middleFace(image.width, image.height);
      const view = await contextView(image, primary.box);
      expect(await thread.framingEdges(view)).toEqual(framingEdges(view, FRAMING_RULES));
      expect(await thread.netInput(image, 512)).toEqual(toFaceApiNetInput(image, 512));
      const measured = await thread.measureWholeImage(image, primary, ALL);
      expect(measured).toEqual(measureWholeImage(image, primary, ALL));
      expect(measured.nsfwInput).toBeInstanceOf(Float32Array);
      expect(thread.offThread).toBe(true);
      thread.release(image);
    }
  });

  it('decodes as decodeImage does, into shared memory, and then works on the photo it holds: the same values', async () => {
    for (const rel of ['attributes/face_recognition_ageitgey/obama-1080p.jpg', 'liveness/silent_face/live/image_T1.jpg']) {
      const bytes = new Uint8Array(readFileSync(sharedData(rel)));
      const here = await decodeImage(bytes, { maxPixels: 50_000_000 });
      const there = await thread.decode(bytes, { maxPixels: 50_000_000 });
      expect(there.data.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect([there.width, there.height, there.format]).toEqual([here.width, here.height, here.format]);
      expect(Buffer.from(there.data).equals(Buffer.from(here.data))).toBe(true);
      expect(await thread.netInput(there, 512)).toEqual(toFaceApiNetInput(here, 512));
      // A tilted face-sized square in the middle: the crop must match the calling thread's to the byte.
      const s = Math.min(here.width, here.height) / 4;
      const [cx, cy] = [here.width / 2, here.height / 2];
      const landmarks = [
        { x: cx - s, y: cy - s / 3 },
        { x: cx + s, y: cy + s / 5 },
        { x: cx, y: cy + s },
      ];
      const crop = await thread.alignFace(there, landmarks, 0.2);
      const expected = alignFace(here, landmarks, 0.2);
      expect({ ...crop, image: { ...crop.image, data: Buffer.from(crop.image.data) } }).toEqual({ ...expected, image: { ...expected.image, data: Buffer.from(expected.image.data) } });
      thread.release(there);
    }
  });

  it('decode: the errors of decodeImage, with their codes and accepted formats', async () => {
    const cases: [Uint8Array, { maxPixels: number; formats?: typeof JPEG_PNG_WEBP }][] = [
      [new Uint8Array(readFileSync(sharedData('attributes/face_recognition_ageitgey/obama-1080p.jpg'))), { maxPixels: 1000 }],
      [new TextEncoder().encode('not an image at all'), { maxPixels: 50_000_000 }],
      [new TextEncoder().encode('not an image at all'), { maxPixels: 50_000_000, formats: JPEG_PNG_WEBP }],
    ];
    for (const [bytes, options] of cases) {
      const here = await decodeImage(bytes, options).catch((e: unknown) => e);
      const there = await thread.decode(bytes, options).catch((e: unknown) => e);
      expect(here).toBeInstanceOf(AppError);
      expect(there).toBeInstanceOf(AppError);
      const fields = (e: unknown) => ({ code: (e as AppError).code, status: (e as AppError).status, message: (e as AppError).message, acceptedFormats: (e as AppError).acceptedFormats });
      expect(fields(there)).toEqual(fields(here));
    }
    expect(thread.offThread).toBe(true);
  });

  it('sends a photo again when a job needs it after its release, and after MAX_HELD_PHOTOS newer photos', async () => {
    const image = await photo('attributes/face_recognition_ageitgey/obama-480p.jpg');
    const expected = toFaceApiNetInput(image, 512);
    expect(await thread.netInput(image, 512)).toEqual(expected);
    thread.release(image);
    expect(await thread.netInput(image, 512)).toEqual(expected);
    const others = Array.from({ length: MAX_HELD_PHOTOS }, (_, i) => ({ data: new Uint8Array(12).fill(i), width: 2, height: 2 }));
    for (const other of others) expect(await thread.netInput(other, 8)).toEqual(toFaceApiNetInput(other, 8));
    expect(await thread.netInput(image, 512)).toEqual(expected);
  });

  it('makes only the measurements asked for', async () => {
    const image = await photo('attributes/face_recognition_ageitgey/obama-480p.jpg');
    expect(Object.keys(await thread.measureWholeImage(image, middleFace(image.width, image.height), { luma: true, background: false, nsfwInput: false }))).toEqual(['luma']);
  });

  it('start: resolves once the thread has loaded, which then answers; a thread that cannot start resolves too, its jobs then done on the calling thread', async () => {
    const started = await LivenessPhotoThread.start();
    try {
      expect(started.offThread).toBe(true);
      const image = await photo('attributes/face_recognition_ageitgey/obama-480p.jpg');
      expect(await started.netInput(image, 512)).toEqual(toFaceApiNetInput(image, 512));
      expect(started.offThread).toBe(true);
    } finally {
      await started.close();
    }
    const broken = await LivenessPhotoThread.start(new URL('./no-such-worker.mjs', import.meta.url));
    expect(broken.offThread).toBe(false);
    await broken.close();
  });

  it('a thread that cannot start (no such worker script): the same answers, from the calling thread', async () => {
    const broken = new LivenessPhotoThread(new URL('./no-such-worker.mjs', import.meta.url));
    const image = await photo('attributes/face_recognition_ageitgey/obama-480p.jpg');
    const primary = middleFace(image.width, image.height);
    expect(await broken.measureWholeImage(image, primary, ALL)).toEqual(measureWholeImage(image, primary, ALL));
    const decoded = await broken.decode(new Uint8Array(readFileSync(sharedData('attributes/face_recognition_ageitgey/obama-480p.jpg'))), { maxPixels: 50_000_000 });
    expect(Buffer.from(decoded.data).equals(Buffer.from(image.data))).toBe(true);
    expect(broken.offThread).toBe(false);
    await broken.close();
  });

  it('does not keep a program alive when idle: built and never used, started, or after its jobs', async () => {
    const run = (...args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/helpers/photo-thread-exit.mts', ...args], { cwd: repoRoot, timeout: 60_000 });
    expect((await run()).stdout).toContain('finished (no job)');
    expect((await run('job')).stdout).toContain('finished (job)');
    expect((await run('start')).stdout).toContain('finished (start)');
  });
});
