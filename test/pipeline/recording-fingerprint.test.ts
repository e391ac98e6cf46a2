/**
 * The replayed-recording fingerprint (src/pipeline/recording-fingerprint.ts) on real video: recordings made at test time
 * with ffmpeg from the dev clips in ../shared/data (bench/replay.ts REPLAY_VARIANTS; nothing of the data set is
 * committed), each read exactly as verifyVideo reads an upload (createVideoReader with the service's VIDEO_* defaults:
 * ≤ 4 fps, ≤ 40 frames, ≤ 640 px). Re-uses of one recording (the same bytes, re-encoded at CRF 35, rescaled, trimmed at
 * either end, transcoded to VP8 or VP9 in WebM as the capture page records, brightness and contrast changed) must match
 * it; the dev clips must not match each other, nor must different moments of one clip (same person, room and camera):
 * the false alarm that matters. A subset of the bench's pairs, to stay under a minute on 2 cores; `npm run bench --
 * replay` runs them all.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceVideoReader } from '../../bench/registry.js';
import { buildReplayVariant, REPLAY_PAIRS, REPLAY_VARIANTS } from '../../bench/replay.js';
import { compareFingerprints, decodeFingerprint, encodeFingerprint, fingerprintRecording, type RecordingFingerprint } from '../../src/pipeline/recording-fingerprint.js';
import { videoBinaries } from '../../src/video/binaries.js';
import { sharedData } from '../helpers/reference.js';

/** The recordings this file builds: every must-match kind of the brief on real.mp4, the four dev clips, three moments. */
const RECORDINGS = new Set([
  'real',
  'fake',
  'hamilton',
  'faceapi',
  'real copy',
  'real crf35',
  'real 480 wide',
  'real trim 0.5 s',
  'real trim 1.5 s',
  'real trim 1 s + end 2 s',
  'real vp8 webm',
  'real vp9 webm',
  'real eq',
  'real 0–6 s',
  'real 6–12 s',
  'real 12–18 s',
]);
const PAIRS = REPLAY_PAIRS.filter((p) => p.expect !== 'either' && RECORDINGS.has(p.a) && RECORDINGS.has(p.b));
/** Seconds cut from the start of real.mp4, i.e. the offset (b = a + offset) the comparison must find, negated. */
const TRIMMED: Record<string, number> = { 'real trim 0.5 s': 0.5, 'real trim 1.5 s': 1.5, 'real trim 1 s + end 2 s': 1, 'real 6–12 s': 6 };

const work = mkdtempSync(path.join(tmpdir(), 'recording-fingerprint-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('recording fingerprint on real video, read as verifyVideo reads it', () => {
  const fingerprints = new Map<string, RecordingFingerprint>();
  const frameRates = new Map<string, number>();

  beforeAll(async () => {
    const { ffmpeg } = videoBinaries();
    const readVideo = serviceVideoReader(path.join(work, 'uploads'));
    for (const variant of REPLAY_VARIANTS.filter((v) => RECORDINGS.has(v.name))) {
      const file = buildReplayVariant(work, variant, ffmpeg, sharedData);
      const video = await readVideo(new Uint8Array(readFileSync(file)));
      fingerprints.set(variant.name, fingerprintRecording(video.frames, video.plan.fps));
      frameRates.set(variant.name, video.plan.fps);
    }
  }, 120_000);

  it('builds every recording and covers the required pairs', () => {
    expect([...fingerprints.keys()].sort()).toEqual([...RECORDINGS].sort());
    // real.mp4 lasts 20.7 s: 40 frames at 1.93 fps, the service's sampling of a clip that long.
    expect(fingerprints.get('real')!.hashes.length / 8).toBe(40);
    expect(frameRates.get('real')).toBeCloseTo(40 / 20.7, 2);
    expect(PAIRS.filter((p) => p.expect === 'match').length).toBe(10);
    expect(PAIRS.filter((p) => p.expect === 'no match').length).toBe(9);
  });

  it.each(PAIRS.filter((p) => p.expect === 'match').map((p) => [`${p.a} ~ ${p.b} (${p.why})`, p] as const))('matches %s', (_, pair) => {
    const result = compareFingerprints(fingerprints.get(pair.a)!, fingerprints.get(pair.b)!);
    expect(result.matched, JSON.stringify(result)).toBe(true);
    // The other way round too, the offset's sign flipped.
    const reverse = compareFingerprints(fingerprints.get(pair.b)!, fingerprints.get(pair.a)!);
    expect(reverse.matched, JSON.stringify(reverse)).toBe(true);
    const trimmed = TRIMMED[pair.b];
    // The alignment found is the cut, to within one frame interval of the sparser sampling.
    if (trimmed !== undefined) expect(Math.abs(result.offsetSeconds + trimmed), JSON.stringify(result)).toBeLessThanOrEqual(1 / frameRates.get(pair.a)!);
    // Stored and read back (a BLOB column), the decision is the same.
    expect(compareFingerprints(decodeFingerprint(encodeFingerprint(fingerprints.get(pair.a)!)), decodeFingerprint(encodeFingerprint(fingerprints.get(pair.b)!)))).toEqual(result);
  });

  it.each(PAIRS.filter((p) => p.expect === 'no match').map((p) => [`${p.a} ≁ ${p.b} (${p.why})`, p] as const))('does not match %s', (_, pair) => {
    const result = compareFingerprints(fingerprints.get(pair.a)!, fingerprints.get(pair.b)!);
    expect(result.matched, JSON.stringify(result)).toBe(false);
    // The other way round too: the comparison is symmetric.
    expect(compareFingerprints(fingerprints.get(pair.b)!, fingerprints.get(pair.a)!).matched).toBe(false);
  });
});
