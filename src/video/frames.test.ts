/**
 * One decode, several samplings (extractFrames with two plans, createVideoReader's extraSampling): each plan's frames are
 * byte for byte those of a decode with that plan alone, so verifyVideo's passive analysis sees the same frames with or
 * without a challenge; failures still leave no ffmpeg behind. Frames handed over while decoding (streamFrames,
 * createVideoReader's open) are the same frames, and a cancelled decode leaves no ffmpeg and no temp file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../../test/helpers/reference.js';
import { videoBinaries } from './binaries.js';
import { extractFrames, readAheadFrames, samplingPlan, streamFrames, type VideoFrame } from './frames.js';
import { probeVideo } from './probe.js';
import { createVideoReader, openVideo } from './read-video.js';
import { childMediaProcesses } from '../../test/helpers/child-processes.js';

const binaries = videoBinaries();
const HAMILTON = sharedData('videos/face_recognition_ageitgey/short_hamilton_clip.mp4');
const REAL = sharedData('videos/liveness_tranvanluyt/real.mp4');
let work: string;

const sameFrames = (a: readonly VideoFrame[], b: readonly VideoFrame[]) => {
  expect(a.map((f) => f.timeSeconds)).toEqual(b.map((f) => f.timeSeconds));
  for (const [i, frame] of a.entries()) expect(Buffer.compare(frame.image.data, b[i]!.image.data), `frame ${i}`).toBe(0);
};

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'frames-test-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(() => expect(childMediaProcesses()).toEqual([]));

describe('extractFrames', () => {
  it('two plans from one decode give each plan the frames it gets alone (portrait phone clip, scaled 368×656 → 360×640)', async () => {
    const info = await probeVideo(binaries.ffprobe, REAL, 30_000);
    const passive = samplingPlan(info, { fps: 4, maxFrames: 40, maxSide: 640 });
    const challenge = samplingPlan(info, { fps: 10, maxFrames: 200, maxSide: 640 });
    const options = { ffmpeg: binaries.ffmpeg, timeoutMs: 30_000 };
    const [both, [alonePassive], [aloneChallenge]] = await Promise.all([extractFrames(REAL, [passive, challenge], options), extractFrames(REAL, [passive], options), extractFrames(REAL, [challenge], options)]);
    expect(both).toHaveLength(2);
    expect(both[0]).toHaveLength(40);
    expect(both[1]).toHaveLength(200);
    sameFrames(both[0]!, alonePassive!);
    sameFrames(both[1]!, aloneChallenge!);
    // Two samplings, not one and its subset: over 20.7 s the frame caps give 1.93 and 9.66 fps.
    expect(passive.fps).toBeCloseTo(40 / 20.7, 2);
    expect(challenge.fps).toBeCloseTo(200 / 20.7, 2);
  });

  it('a decode that runs past the timeout is killed and refused', async () => {
    const info = await probeVideo(binaries.ffprobe, HAMILTON, 30_000);
    const plan = samplingPlan(info, { fps: 10, maxFrames: 100, maxSide: 640 });
    await expect(extractFrames(HAMILTON, [plan, plan], { ffmpeg: binaries.ffmpeg, timeoutMs: 1 })).rejects.toThrow(/could not be decoded within 0\.001 s/);
  });

  it('an undecodable stream is refused with ffmpeg\'s reason, the file named "video"', async () => {
    const file = path.join(work, 'video-garbage.mp4');
    writeFileSync(file, Buffer.alloc(4096, 7));
    const plan = { fps: 4, frames: 4, width: 64, height: 64 };
    const error = await extractFrames(file, [plan], { ffmpeg: binaries.ffmpeg, timeoutMs: 30_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'VIDEO_INVALID' });
    expect((error as Error).message).toMatch(/^the video could not be decoded \(/);
    expect((error as Error).message).not.toContain(work);
  });
});

describe('streamFrames: frames handed over while ffmpeg decodes', () => {
  it('gives each frame before the decode has ended, the same frames as extractFrames', async () => {
    const info = await probeVideo(binaries.ffprobe, HAMILTON, 30_000);
    const plan = samplingPlan(info, { fps: 10, maxFrames: 100, maxSide: 640 });
    const options = { ffmpeg: binaries.ffmpeg, timeoutMs: 30_000 };
    const decoding = streamFrames(HAMILTON, [plan], options);
    let ended = false;
    void decoding.done.then(() => (ended = true));
    const streamed: VideoFrame[] = [];
    let endedAtFirstFrame: boolean | undefined;
    for await (const frame of decoding.streams[0]!) {
      endedAtFirstFrame ??= ended;
      streamed.push(frame);
    }
    // 'close' (every frame read, ffmpeg gone) cannot come before the first frame's data has been handed over.
    expect(endedAtFirstFrame).toBe(false);
    const [all] = await decoding.done;
    expect(streamed).toHaveLength(100);
    sameFrames(streamed, all!);
    sameFrames(streamed, (await extractFrames(HAMILTON, [plan], options))[0]!);
    // A second iteration starts again from the first frame.
    const again: VideoFrame[] = [];
    for await (const frame of decoding.streams[0]!) again.push(frame);
    sameFrames(again, all!);
  });

  it('cancel kills ffmpeg: done and the iteration reject with VIDEO_INVALID', async () => {
    const info = await probeVideo(binaries.ffprobe, HAMILTON, 30_000);
    const plan = samplingPlan(info, { fps: 10, maxFrames: 100, maxSide: 640 });
    const decoding = streamFrames(HAMILTON, [plan], { ffmpeg: binaries.ffmpeg, timeoutMs: 30_000 });
    const iteration = (async () => {
      let seen = 0;
      for await (const _ of decoding.streams[0]!) if (++seen === 1) decoding.cancel();
      return seen;
    })();
    await expect(iteration).rejects.toMatchObject({ code: 'VIDEO_INVALID' });
    await expect(decoding.done).rejects.toThrow(/cancelled/);
  });

  it('an undecodable stream: the iteration throws ffmpeg\'s refusal', async () => {
    const file = path.join(work, 'video-garbage-stream.mp4');
    writeFileSync(file, Buffer.alloc(4096, 7));
    const decoding = streamFrames(file, [{ fps: 4, frames: 4, width: 64, height: 64 }], { ffmpeg: binaries.ffmpeg, timeoutMs: 30_000 });
    const iteration = (async () => {
      for await (const _ of decoding.streams[0]!) {
        // no frame comes
      }
    })();
    await expect(iteration).rejects.toThrow(/^the video could not be decoded \(/);
    await expect(decoding.done).rejects.toMatchObject({ code: 'VIDEO_INVALID' });
  });

  it('read-ahead: 16 MiB of frames, at least one, at most the plan\'s', () => {
    expect(readAheadFrames({ fps: 4, frames: 40, width: 640, height: 360 })).toBe(24);
    expect(readAheadFrames({ fps: 4, frames: 10, width: 640, height: 360 })).toBe(10);
    expect(readAheadFrames({ fps: 4, frames: 40, width: 4096, height: 4096 })).toBe(1);
  });
});

describe('createVideoReader.open', () => {
  it('hands the frames over while decoding; done gives the whole read and removes the temp file', async () => {
    const tempDir = path.join(work, 'uploads-open');
    const reader = createVideoReader({ binaries, tempDir, timeoutMs: 30_000, maxDurationSeconds: 60, maxPixels: 3840 * 2160, fps: 4, maxFrames: 40, maxSide: 640 });
    const bytes = new Uint8Array(readFileSync(HAMILTON));
    const opened = await openVideo(reader, bytes, { fps: 10, maxFrames: 200 });
    expect(opened.plan).toMatchObject({ width: 640, height: 360, frames: 40 });
    const streamed: VideoFrame[] = [];
    for await (const frame of opened.frames) streamed.push(frame);
    const whole = await opened.done;
    expect(readdirSync(tempDir)).toEqual([]);
    sameFrames(streamed, whole.frames);
    sameFrames(whole.frames, (await reader(bytes)).frames);
    expect(whole.extra!.frames).toHaveLength(100);
  });

  it('a reader without open (a stand-in) is read whole and handed over as it is', async () => {
    const reader = createVideoReader({ binaries, tempDir: path.join(work, 'uploads-plain'), timeoutMs: 30_000, maxDurationSeconds: 60, maxPixels: 3840 * 2160, fps: 4, maxFrames: 40, maxSide: 640 });
    const opened = await openVideo((bytes, extra) => reader(bytes, extra), new Uint8Array(readFileSync(HAMILTON)));
    const streamed: VideoFrame[] = [];
    for await (const frame of opened.frames) streamed.push(frame);
    sameFrames(streamed, (await opened.done).frames);
  });

  it('cancel: no ffmpeg left, no temp file', async () => {
    const tempDir = path.join(work, 'uploads-cancel');
    const reader = createVideoReader({ binaries, tempDir, timeoutMs: 30_000, maxDurationSeconds: 60, maxPixels: 3840 * 2160, fps: 10, maxFrames: 100, maxSide: 640 });
    const opened = await openVideo(reader, new Uint8Array(readFileSync(HAMILTON)));
    opened.cancel();
    await expect(opened.done).rejects.toMatchObject({ code: 'VIDEO_INVALID' });
    expect(readdirSync(tempDir)).toEqual([]);
  });
});

describe('createVideoReader with an extra sampling', () => {
  it('reads the reader\'s frames unchanged and the extra sampling (10 fps, 200 frames at most) from the same decode', async () => {
    const reader = createVideoReader({ binaries, tempDir: path.join(work, 'uploads'), timeoutMs: 30_000, maxDurationSeconds: 60, maxPixels: 3840 * 2160, fps: 4, maxFrames: 40, maxSide: 640 });
    const bytes = new Uint8Array(readFileSync(HAMILTON));
    const plain = await reader(bytes);
    const withExtra = await reader(bytes, { fps: 10, maxFrames: 200 });
    expect(plain.extra).toBeUndefined();
    expect(withExtra.plan).toEqual(plain.plan);
    sameFrames(withExtra.frames, plain.frames);
    // The fields not given are the reader's: the frame size here.
    expect(withExtra.extra!.plan).toMatchObject({ fps: 10, width: 640, height: 360 });
    // 10.02 s: 101 frames planned (⌈10.02 × 10⌉), 100 come out of ffmpeg's fps filter.
    expect(withExtra.extra!.frames).toHaveLength(100);
    expect(withExtra.extra!.frames[99]!.timeSeconds).toBeCloseTo(9.9, 6);
  });
});
