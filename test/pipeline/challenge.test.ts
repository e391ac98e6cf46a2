/**
 * The active liveness challenge on real video and real models (issue 14): recordings cut from the tranvanluyt live
 * recording so that the person performs a known sequence (test/helpers/challenge-recordings.ts), decoded at 10 fps and
 * measured with the tracked series (src/pipeline/motion-series.ts). Each passes its own challenge, step by step inside
 * its windows, and fails 100 other challenges drawn at random as the issuing side draws them (and in fact every other
 * sequence of its length). The one open mouth of the dev videos is found; the tracked series is checked against the
 * detector run on every frame.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/inference/registry.js';
import { DEFAULT_SESSION_OPTIONS } from '../../src/inference/session.js';
import { CHALLENGE_MIN_FPS, eyesNeededFor, MOUTH_OPEN_MIN, verifyChallenge, type MotionSample } from '../../src/pipeline/challenge.js';
import { MotionSeriesMeasurer } from '../../src/pipeline/motion-series.js';
import { CHALLENGE_MAX_RECORDING_SECONDS, CHALLENGE_SAMPLING, createVerifyVideo } from '../../src/pipeline/verify-video.js';
import { videoBinaries } from '../../src/video/binaries.js';
import type { SamplingOptions } from '../../src/video/frames.js';
import { createVideoReader, type VideoReader } from '../../src/video/read-video.js';
import { allSequences, buildChallengeRecording, drawOtherChallenges, TEST_SEQUENCES, type ChallengeRecording } from '../helpers/challenge-recordings.js';
import { repoRoot, sharedData } from '../helpers/reference.js';

const work = mkdtempSync(path.join(tmpdir(), 'challenge-test-'));
const binaries = videoBinaries();
// The challenge's own sampling: 10 fps (CHALLENGE_MIN_FPS), frames scaled to 640 px like verifyVideo's.
const readVideo = createVideoReader({ binaries, tempDir: path.join(work, 'uploads'), timeoutMs: 60_000, maxDurationSeconds: 60, maxPixels: 3840 * 2160, fps: CHALLENGE_MIN_FPS, maxFrames: 600, maxSide: 640 });
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('active liveness challenge on real video, tracked series at 10 fps', () => {
  let registry: ModelRegistry;
  let measurer: MotionSeriesMeasurer;
  const measured: { recording: ChallengeRecording; series: MotionSample[] }[] = [];

  beforeAll(async () => {
    registry = await ModelRegistry.load(path.join(repoRoot, 'models'), DEFAULT_SESSION_OPTIONS);
    measurer = new MotionSeriesMeasurer(registry);
    for (const sequence of TEST_SEQUENCES) {
      const recording = buildChallengeRecording(work, sequence, binaries.ffmpeg);
      const video = await readVideo(new Uint8Array(readFileSync(recording.file)));
      const { series } = await measurer.measure(video.frames);
      measured.push({ recording, series });
    }
  }, 300_000);
  afterAll(async () => registry?.dispose());

  it('samples every recording at 10 fps and finds the face in ≥ 95 % of its frames', () => {
    expect(measured).toHaveLength(TEST_SEQUENCES.length);
    for (const { recording, series } of measured) {
      expect(series.length, recording.challenge.id).toBe(Math.round(recording.durationSeconds * CHALLENGE_MIN_FPS));
      expect(series.filter((s) => s.yawDeg !== undefined).length / series.length, recording.challenge.id).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('passes each recording for its own challenge, every step inside its window, in order', () => {
    for (const { recording, series } of measured) {
      const result = verifyChallenge(series, recording.challenge);
      console.log(recording.challenge.id, JSON.stringify(result.steps.map((s) => [s.action, s.detected_at_s, Math.round(s.amplitude! * 1000) / 1000])));
      expect(result.passed, recording.challenge.id).toBe(true);
      let previous = -Infinity;
      for (const step of result.steps) {
        expect(step.detected_at_s).toBeGreaterThan(previous);
        expect(step.detected_at_s).toBeGreaterThanOrEqual(step.window_s[0]);
        expect(step.detected_at_s).toBeLessThanOrEqual(step.window_s[1]);
        expect(step.amplitude).toBeGreaterThanOrEqual(step.min_amplitude);
        previous = step.detected_at_s!;
      }
    }
  });

  it('fails 100 other randomly drawn challenges on each recording, all of them', () => {
    for (const [i, { recording, series }] of measured.entries()) {
      const others = drawOtherChallenges(recording.challenge, 100, 14_000 + i);
      const passed = others.filter((other) => verifyChallenge(series, other).passed).map((other) => other.id);
      expect(others).toHaveLength(100);
      expect(passed, recording.challenge.id).toEqual([]);
    }
  });

  it('passes no sequence of the same length but its own (exhaustive: 150 or 750 per recording)', () => {
    for (const { recording, series } of measured) {
      const windows = recording.challenge.steps.map((s) => s.windowSeconds);
      const passing = allSequences(windows.length)
        .filter((actions) => verifyChallenge(series, { id: 'any', steps: actions.map((action, k) => ({ action, windowSeconds: windows[k]! })) }).passed)
        .map((actions) => actions.join('-'));
      expect(passing).toEqual([recording.challenge.id]);
    }
  });

  it('reads the eyes only in the lead-in and the blink windows (iris skipped elsewhere), and answers exactly as with every frame', async () => {
    // Measured: the same poses and mouths, eye openness exactly where the challenge reads it, equal to the full run's.
    const { recording, series } = measured[0]!;
    const needed = eyesNeededFor(recording.challenge);
    const video = await readVideo(new Uint8Array(readFileSync(recording.file)));
    const partial = (await measurer.measure(video.frames, { eyesNeeded: needed })).series;
    expect(partial.map(({ eyeOpenness: _e, ...rest }) => rest)).toEqual(series.map(({ eyeOpenness: _e, ...rest }) => rest));
    partial.forEach((sample, i) => expect(sample.eyeOpenness, `${sample.timeSeconds} s`).toBe(needed(sample.timeSeconds) ? series[i]!.eyeOpenness : undefined));
    // The answers: the same for every recording's own challenge and 30 others drawn at random (the measurer's tracking
    // never reads the eyes, so leaving them out of a full series is what a partial run gives).
    for (const [i, { recording: own, series: full }] of measured.entries()) {
      for (const challenge of [own.challenge, ...drawOtherChallenges(own.challenge, 30, 15_000 + i)]) {
        const eyes = eyesNeededFor(challenge);
        const stripped = full.map((sample) => (eyes(sample.timeSeconds) ? sample : { ...sample, eyeOpenness: undefined }));
        expect(verifyChallenge(stripped, challenge), challenge.id).toEqual(verifyChallenge(full, challenge));
      }
    }
  });

  it('fails its own challenge when the windows are shifted by one step (the actions at the wrong times)', () => {
    for (const { recording, series } of measured) {
      const shifted = { id: 'late', steps: recording.challenge.steps.map((s) => ({ action: s.action, windowSeconds: [s.windowSeconds[0] + 3, s.windowSeconds[1] + 3] as [number, number] })) };
      expect(verifyChallenge(series, shifted).passed, recording.challenge.id).toBe(false);
    }
  });

  it('finds the one wide-open mouth of the dev videos (Lin-Manuel Miranda rapping, 6.0–6.2 s), wider than his talking', async () => {
    // No recording above opens the mouth (the source never does); the Hamilton clip is the only dev video where a mouth
    // opens wide, and it is the check that the mouth measure sees one on real video.
    const video = await readVideo(new Uint8Array(readFileSync(sharedData('videos/face_recognition_ageitgey/short_hamilton_clip.mp4'))));
    const { series } = await measurer.measure(video.frames);
    const open = verifyChallenge(series, { id: 'rap', steps: [{ action: 'openMouth', windowSeconds: [5.8, 6.4] }] }).steps[0]!;
    expect(open.passed).toBe(true);
    expect(open.detected_at_s).toBeGreaterThanOrEqual(5.9);
    expect(open.amplitude).toBeGreaterThan(MOUTH_OPEN_MIN);
    // His talking before it opens the lips too: at 4.8 s they are visibly apart (looked at, the 10 fps frame), and on the
    // upright FaceMesh crop that reads as open (amplitude 0.054, the wide opening 0.080; on the tilted crop it read 0.022,
    // bench/RESULTS.md "FaceMesh on an upright crop"). What holds: the deliberate opening is the wider one.
    const talking = verifyChallenge(series, { id: 'rap', steps: [{ action: 'openMouth', windowSeconds: [3.6, 5.7] }] }).steps[0]!;
    expect(talking.amplitude).toBeLessThan(open.amplitude!);
  });

  it('tracks as the detector measures: the tracked series against the full cascade on every frame', async () => {
    const { recording, series } = measured[1]!;
    const video = await readVideo(new Uint8Array(readFileSync(recording.file)));
    const detected = await measurer.measure(video.frames, { detectEverySeconds: 0 });
    // Every frame went to the detector (but those the no-face back-off skips: motion-series.ts NO_FACE_RETRY_SECONDS).
    expect(detected.detectorFrames).toBeGreaterThanOrEqual(detected.series.filter((s) => s.yawDeg !== undefined).length);
    expect(detected.trackLosses).toBe(0);
    const differences = { yaw: [] as number[], pitch: [] as number[], eyes: [] as number[], mouth: [] as number[] };
    series.forEach((tracked, i) => {
      const full = detected.series[i]!;
      if (tracked.yawDeg === undefined || full.yawDeg === undefined) return;
      differences.yaw.push(Math.abs(tracked.yawDeg - full.yawDeg));
      differences.pitch.push(Math.abs(tracked.pitchDeg! - full.pitchDeg!));
      differences.eyes.push(Math.abs(tracked.eyeOpenness! - full.eyeOpenness!));
      differences.mouth.push(Math.abs(tracked.mouthOpenness! - full.mouthOpenness!));
    });
    const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))]!;
    console.log('tracked vs detected, median / p90:', JSON.stringify(Object.fromEntries(Object.entries(differences).map(([k, v]) => [k, [quantile(v, 0.5), quantile(v, 0.9)].map((x) => Math.round(x * 1000) / 1000)]))));
    expect(differences.yaw.length).toBeGreaterThan(0.95 * series.length);
    // Degrees: FaceMesh's own jitter on a still head is ≈ 1°; a drifting crop showed 18–28° (motion-series.ts TRACK_MAX_JUMP_DEG).
    expect(quantile(differences.yaw, 0.5)).toBeLessThan(1.5);
    expect(quantile(differences.yaw, 0.9)).toBeLessThan(4);
    expect(quantile(differences.pitch, 0.5)).toBeLessThan(1.5);
    expect(quantile(differences.pitch, 0.9)).toBeLessThan(4);
    // Eye openness, lid gap ÷ eye width: a blink moves it by ≥ 0.1 (0.25 → ≤ 0.15).
    expect(quantile(differences.eyes, 0.9)).toBeLessThan(0.03);
    expect(quantile(differences.mouth, 0.9)).toBeLessThan(0.01);
    // And the verdicts agree.
    expect(verifyChallenge(detected.series, recording.challenge).passed).toBe(true);
  });
});

describe('verifyVideo with a challenge (createVerifyVideo, as POST /v1/verifyVideo with challengeId runs it)', () => {
  let registry: ModelRegistry;
  let recording: ChallengeRecording;
  beforeAll(async () => {
    registry = await ModelRegistry.load(path.join(repoRoot, 'models'), DEFAULT_SESSION_OPTIONS);
    recording = buildChallengeRecording(work, TEST_SEQUENCES[0]!, binaries.ffmpeg);
  }, 120_000);
  afterAll(async () => registry?.dispose());

  /** verifyVideo's own sampling (4 fps, 40 frames) for the passive signals; `reads` records every call of its reader. */
  const verifyWith = (reads: (Partial<SamplingOptions> | undefined)[] = []) => {
    const read = createVideoReader({ binaries, tempDir: path.join(work, 'uploads'), timeoutMs: 60_000, maxDurationSeconds: 60, maxPixels: 3840 * 2160, fps: 4, maxFrames: 40, maxSide: 640 });
    const readVideo: VideoReader = (bytes, extraSampling) => {
      reads.push(extraSampling);
      return read(bytes, extraSampling);
    };
    return createVerifyVideo(registry, { maxImagePixels: 25_000_000, readVideo });
  };

  it('answers the challenge: its own passes and keeps the liveness score; another fails and makes it 0; one decode each', async () => {
    const reads: (Partial<SamplingOptions> | undefined)[] = [];
    const verify = verifyWith(reads);
    const video = new Uint8Array(readFileSync(recording.file));
    const selfie = new Uint8Array(readFileSync(sharedData('liveness/tranvanluyt/live/real.mp40.png')));
    const plain = await verify({ video, selfie });
    expect(plain.challenge).toBeUndefined();
    const own = await verify({ video, selfie, challenge: recording.challenge });
    expect(own.challenge).toMatchObject({ id: recording.challenge.id, passed: true });
    // The passive analysis saw the same frames as without the challenge (the 10 fps frames are a second output of
    // the same decode), so every passive result is the same, not merely close.
    expect({ ...own, challenge: undefined }).toEqual({ ...plain, challenge: undefined });
    const [other] = drawOtherChallenges(recording.challenge, 1, 7);
    const failed = await verify({ video, selfie, challenge: other! });
    expect(failed.challenge).toMatchObject({ id: other!.id, passed: false });
    expect(failed.livenessScore).toBe(0);
    // One read (one ffmpeg decode) per request, with the challenge's sampling when there is a challenge.
    expect(reads).toEqual([undefined, CHALLENGE_SAMPLING, CHALLENGE_SAMPLING]);
  }, 120_000);

  it('refuses a challenge recording longer than CHALLENGE_MAX_RECORDING_SECONDS (real.mp4, 20.7 s) as VIDEO_INVALID', async () => {
    const video = new Uint8Array(readFileSync(sharedData('videos/liveness_tranvanluyt/real.mp4')));
    const selfie = new Uint8Array(readFileSync(sharedData('liveness/tranvanluyt/live/real.mp40.png')));
    const error = await verifyWith()({ video, selfie, challenge: recording.challenge }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'VIDEO_INVALID' });
    expect((error as Error).message).toBe(`a challenge recording may last at most ${CHALLENGE_MAX_RECORDING_SECONDS} s (this one lasts 20.7 s): record the challenge's recording_seconds`);
  }, 60_000);
});
