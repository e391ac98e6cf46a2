/**
 * `npm run bench -- replay [--runs=N] [--trials=N]`: the replayed-recording fingerprint (issue 14 item 4,
 * src/pipeline/recording-fingerprint.ts) on the dev videos and on variants of them built here with ffmpeg:
 *
 * 1. every pair below, each recording read exactly as verifyVideo reads it (createVideoReader with the service's
 *    VIDEO_* defaults from src/config.ts: ≤ 4 fps, ≤ 40 frames, ≤ 640 px), with the decision, the similarity, the
 *    frames matched, the shared stretch and its change, against what the pair must give;
 * 2. the same pairs read as the challenge verifier reads a recording (CHALLENGE_MIN_FPS = 10 fps, ≤ 200 frames: 20 s,
 *    src/pipeline/verify-video.ts CHALLENGE_MAX_RECORDING_SECONDS), in case the fingerprint is taken from those frames;
 * 3. the challenge test recordings (test/helpers/challenge-recordings.ts, pieces of real.mp4 joined), pairwise:
 *    they share footage by construction;
 * 4. a synthetic worst case for coincidences: one room and one head on random paths (other moments, a person nearly
 *    still recorded twice) against trims of one path (the same footage on another sampling grid);
 * 5. each threshold changed alone: the wrong decisions it gives on sections 1, 2 and 4;
 * 6. cost: fingerprinting 40 decoded frames, and one comparison, p50 / p95 over N runs.
 *
 * The variants and pairs are exported for test/pipeline/recording-fingerprint.test.ts, which asserts the decisions.
 * Nothing is asserted here: the tables are the evidence for bench/RESULTS.md "replayed recordings: the fingerprint".
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config.js';
import {
  compareFingerprints,
  fingerprintRecording,
  frameHash,
  FRAME_MATCH_MAX_BITS,
  hashDistance,
  MIN_CHANGE_BITS,
  MIN_MATCHED_FRACTION,
  MIN_SHARED_FRAMES,
  MIN_SHARED_SECONDS,
  REPLAY_THRESHOLDS,
  type FingerprintComparison,
  type RecordingFingerprint,
  type ReplayThresholds,
} from '../src/pipeline/recording-fingerprint.js';
import { CHALLENGE_MIN_FPS } from '../src/pipeline/challenge.js';
import { videoBinaries } from '../src/video/binaries.js';
import type { SampledVideo, VideoReader } from '../src/video/read-video.js';
import { buildChallengeRecording, TEST_SEQUENCES } from '../test/helpers/challenge-recordings.js';
import { seededRandom } from '../test/helpers/random.js';
import { intOption, percentile } from './stats.js';
import { serviceVideoReader } from './registry.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The dev clips, under ../shared/data. */
export const REAL = 'videos/liveness_tranvanluyt/real.mp4';
export const FAKE = 'videos/liveness_tranvanluyt/fake.mp4';
export const HAMILTON = 'videos/face_recognition_ageitgey/short_hamilton_clip.mp4';
export const FACEAPI = 'videos/faceapi/video.mp4';

/** One recording: a dev clip as it is, or made from one by ffmpeg. */
export interface ReplayVariant {
  name: string;
  /** The dev clip it is made from, under ../shared/data. */
  source: string;
  /** ffmpeg options before `-i` (input seeking), and the output options; absent = the file's own bytes. */
  input?: string[];
  output?: string[];
  /** File extension (the container). */
  extension?: 'mp4' | 'webm';
}

/** H.264 in MP4 as a phone or an editor writes it; ultrafast keeps the test quick (quality is set by the CRF). */
const X264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '20', '-pix_fmt', 'yuv420p', '-an'];
/**
 * VP8 and VP9 in WebM, libvpx's realtime mode as a browser's MediaRecorder encodes: the capture page asks for VP9, then
 * VP8 (src/capture/page/capture.js MIME_TYPES).
 */
const VP8 = ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1M', '-an'];
const VP9 = ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1M', '-an'];

const segment = (name: string, source: string, start: number, seconds: number): ReplayVariant => ({
  name,
  source,
  input: ['-ss', String(start)],
  output: ['-t', String(seconds), ...X264],
});

/** Every recording the pairs use. */
export const REPLAY_VARIANTS: readonly ReplayVariant[] = [
  { name: 'real', source: REAL },
  { name: 'fake', source: FAKE },
  { name: 'hamilton', source: HAMILTON },
  { name: 'faceapi', source: FACEAPI },
  // The same recording, re-used: re-encoded, rescaled, trimmed, transcoded, retouched.
  { name: 'real copy', source: REAL },
  { name: 'real crf35', source: REAL, output: ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '35', '-pix_fmt', 'yuv420p', '-an'] },
  { name: 'real 480 wide', source: REAL, output: ['-vf', 'scale=480:-2', ...X264] },
  { name: 'real 240 wide', source: REAL, output: ['-vf', 'scale=240:-2', ...X264] },
  { name: 'real trim 0.5 s', source: REAL, input: ['-ss', '0.5'], output: X264 },
  { name: 'real trim 1.0 s', source: REAL, input: ['-ss', '1.0'], output: X264 },
  { name: 'real trim 1.5 s', source: REAL, input: ['-ss', '1.5'], output: X264 },
  { name: 'real trim end 2 s', source: REAL, output: ['-t', '18.7', ...X264] },
  { name: 'real trim 1 s + end 2 s', source: REAL, input: ['-ss', '1'], output: ['-t', '17.7', ...X264] },
  { name: 'real vp8 webm', source: REAL, output: VP8, extension: 'webm' },
  { name: 'real vp9 webm', source: REAL, output: VP9, extension: 'webm' },
  { name: 'real vp8 webm, trim 1.2 s, 480 wide', source: REAL, input: ['-ss', '1.2'], output: ['-vf', 'scale=480:-2', ...VP8], extension: 'webm' },
  { name: 'real eq', source: REAL, output: ['-vf', 'eq=brightness=0.06:contrast=1.15', ...X264] },
  { name: 'fake vp8 webm', source: FAKE, output: VP8, extension: 'webm' },
  { name: 'fake trim 1 s + end 2 s', source: FAKE, input: ['-ss', '1'], output: ['-t', '18.2', ...X264] },
  { name: 'hamilton crf35', source: HAMILTON, output: ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '35', '-pix_fmt', 'yuv420p', '-an'] },
  { name: 'hamilton vp8 webm', source: HAMILTON, output: VP8, extension: 'webm' },
  { name: 'hamilton trim 1 s', source: HAMILTON, input: ['-ss', '1'], output: X264 },
  // Different moments of one recording: same person, room, camera and light.
  segment('real 0–6 s', REAL, 0, 6),
  segment('real 6–12 s', REAL, 6, 6),
  segment('real 12–18 s', REAL, 12, 6),
  segment('real 4–10 s', REAL, 4, 6),
  segment('real 5–11 s', REAL, 5, 6),
  segment('fake 0–6 s', FAKE, 0, 6),
  segment('fake 6–12 s', FAKE, 6, 6),
  segment('fake 12–18 s', FAKE, 12, 6),
  segment('hamilton 0–4.5 s', HAMILTON, 0, 4.5),
  segment('hamilton 4.5–9 s', HAMILTON, 4.5, 4.5),
];

/** What a pair must give: 'match' and 'no match' are requirements; 'either' is reported, not required. */
export type Expectation = 'match' | 'no match' | 'either';

export interface ReplayPair {
  a: string;
  b: string;
  expect: Expectation;
  why: string;
}

const reused = (a: string, b: string, why: string): ReplayPair => ({ a, b, expect: 'match', why });
const different = (a: string, b: string, why: string): ReplayPair => ({ a, b, expect: 'no match', why });

export const REPLAY_PAIRS: readonly ReplayPair[] = [
  reused('real', 'real copy', 'identical bytes'),
  reused('real', 'real crf35', 're-encoded, libx264 CRF 35'),
  reused('real', 'real 480 wide', 'rescaled (up: the clip is 368 px wide)'),
  reused('real', 'real 240 wide', 'rescaled down'),
  reused('real', 'real trim 0.5 s', 'first 0.5 s cut'),
  reused('real', 'real trim 1.0 s', 'first 1.0 s cut'),
  reused('real', 'real trim 1.5 s', 'first 1.5 s cut'),
  reused('real', 'real trim end 2 s', 'last 2 s cut'),
  reused('real', 'real trim 1 s + end 2 s', 'both ends cut'),
  reused('real', 'real vp8 webm', 'VP8/WebM transcode'),
  reused('real', 'real vp9 webm', 'VP9/WebM transcode'),
  reused('real', 'real vp8 webm, trim 1.2 s, 480 wide', 'transcoded, trimmed and rescaled at once'),
  reused('real', 'real eq', 'brightness +0.06, contrast ×1.15 (eq filter)'),
  reused('real trim 1.0 s', 'real vp8 webm', 'two re-uses of one recording'),
  reused('fake', 'fake vp8 webm', 'VP8/WebM transcode'),
  reused('fake', 'fake trim 1 s + end 2 s', 'both ends cut'),
  reused('hamilton', 'hamilton crf35', 're-encoded, fast stage motion'),
  reused('hamilton', 'hamilton vp8 webm', 'VP8/WebM transcode, fast stage motion'),
  reused('hamilton', 'hamilton trim 1 s', 'first 1 s cut'),
  reused('real', 'real 6–12 s', 'a 6 s piece of it (contained: reused footage)'),
  reused('real 4–10 s', 'real 5–11 s', '5 s shared (5–10 s)'),
  different('real', 'fake', 'fake.mp4 is real.mp4 played on a phone and filmed by another camera'),
  different('real', 'hamilton', 'different recordings'),
  different('real', 'faceapi', 'different recordings'),
  different('fake', 'hamilton', 'different recordings'),
  different('fake', 'faceapi', 'different recordings'),
  different('hamilton', 'faceapi', 'different recordings'),
  different('real 0–6 s', 'real 6–12 s', 'same person and place, different moments'),
  different('real 0–6 s', 'real 12–18 s', 'same person and place, different moments'),
  different('real 6–12 s', 'real 12–18 s', 'same person and place, different moments'),
  different('fake 0–6 s', 'fake 6–12 s', 'same scene, different moments'),
  different('fake 0–6 s', 'fake 12–18 s', 'same scene, different moments'),
  different('fake 6–12 s', 'fake 12–18 s', 'same scene, different moments'),
  different('hamilton 0–4.5 s', 'hamilton 4.5–9 s', 'same clip, different moments'),
  different('real 0–6 s', 'fake 0–6 s', 'the replay of the same moments through a phone screen'),
  { a: 'real 4–10 s', b: 'real 6–12 s', expect: 'either', why: '4 s shared (6–10 s): MIN_SHARED_SECONDS exactly' },
  { a: 'real 0–6 s', b: 'real 4–10 s', expect: 'either', why: '2 s shared (4–6 s): under MIN_SHARED_SECONDS' },
];

/** Writes `variant` into `dir` (a copy of the source, or ffmpeg's output) and returns the file's path. */
export function buildReplayVariant(dir: string, variant: ReplayVariant, ffmpeg: string, dataFile: (relative: string) => string): string {
  const source = dataFile(variant.source);
  const file = path.join(dir, `${variant.name.replace(/[^a-z0-9.]+/gi, '-')}.${variant.extension ?? 'mp4'}`);
  if (!variant.output) copyFileSync(source, file);
  else execFileSync(ffmpeg, ['-v', 'error', '-y', ...(variant.input ?? []), '-i', source, ...variant.output, file]);
  return file;
}


const sharedDataDir = path.resolve(repoRoot, '..', 'shared', 'data');
const dataFile = (relative: string) => path.join(sharedDataDir, relative);

const row = (pair: { a: string; b: string; expect?: Expectation }, c: FingerprintComparison) => {
  const verdict = c.matched ? 'match' : 'no match';
  const ok = !pair.expect || pair.expect === 'either' ? '' : pair.expect === verdict ? ' ✓' : ' ✗';
  return `| ${pair.a} | ${pair.b} | ${pair.expect ?? '—'} | **${verdict}**${ok} | ${c.similarity.toFixed(2)} | ${c.matchedFrames}/${c.comparedFrames} | ${c.sharedSeconds.toFixed(1)} (${c.sharedFrames}) | ${c.changeBits} | ${c.offsetSeconds.toFixed(2)} |`;
};
const HEADER = '| a | b | must | decision | similarity | matched / compared frames | shared stretch s (frames) | change bits | offset s |\n|---|---|---|---|---:|---:|---:|---:|---:|';

async function readAll(reader: VideoReader, files: Map<string, string>): Promise<Map<string, SampledVideo>> {
  const out = new Map<string, SampledVideo>();
  for (const [name, file] of files) out.set(name, await reader(new Uint8Array(readFileSync(file))));
  return out;
}

function timeIt(runs: number, fn: () => void): { p50: number; p95: number } {
  fn();
  const ms: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    fn();
    ms.push(performance.now() - start);
  }
  return { p50: percentile(ms, 50), p95: percentile(ms, 95) };
}

/**
 * Per-frame distances behind FRAME_MATCH_MAX_BITS: the same frame after re-encoding (variants read on the very same
 * sampling grid as the original: same duration, same fps) against one person at rest in one place at two moments
 * (real.mp4 0.5–1.8 s vs 18.3–20.6 s: the lead-in and the tail, both at rest).
 */
function frameDistances(fingerprints: Map<string, { sampled: SampledVideo; fingerprint: RecordingFingerprint }>): void {
  console.log('| frames | pairs | min bits | median bits | p95 bits | max bits |\n|---|---:|---:|---:|---:|---:|');
  const line = (label: string, values: number[]) =>
    console.log(`| ${label} | ${values.length} | ${Math.min(...values)} | ${percentile(values, 50)} | ${percentile(values, 95).toFixed(0)} | ${Math.max(...values)} |`);
  const original = fingerprints.get('real')!.fingerprint;
  for (const [a, b] of [['real', 'real crf35'], ['real', 'real 240 wide'], ['real', 'real vp8 webm'], ['real', 'real eq'], ['fake', 'fake vp8 webm']] as const) {
    const fa = fingerprints.get(a)!.fingerprint;
    const fb = fingerprints.get(b)!.fingerprint;
    if (fa.fps !== fb.fps || fa.hashes.length !== fb.hashes.length) continue;
    line(`${a} vs ${b}, same instants`, Array.from({ length: fa.hashes.length / 8 }, (_, i) => hashDistance(frameHash(fa, i), frameHash(fb, i))));
  }
  const at = (from: number, to: number) => Array.from({ length: original.hashes.length / 8 }, (_, i) => i).filter((i) => i / original.fps >= from && i / original.fps <= to);
  const rest: number[] = [];
  for (const i of at(0.5, 1.8)) for (const j of at(18.3, 20.6)) rest.push(hashDistance(frameHash(original, i), frameHash(original, j)));
  line('real 0.5–1.8 s vs 18.3–20.6 s, at rest, other moments', rest);
  console.log('');
}

/** A smooth seeded field over a frame, 0–1: six low-frequency waves. */
function smoothField(seed: number): (x: number, y: number) => number {
  const random = seededRandom(seed);
  const waves = Array.from({ length: 6 }, () => ({ fx: random() * 0.08, fy: random() * 0.08, phase: random() * 2 * Math.PI, weight: 0.5 + random() }));
  const total = waves.reduce((sum, w) => sum + w.weight, 0);
  return (x, y) => 0.5 + waves.reduce((sum, w) => sum + w.weight * Math.cos(w.fx * x + w.fy * y + w.phase), 0) / (2 * total);
}

/**
 * A synthetic recording with far less in it than a real one: a fixed textured room, 160 × 120 px, and one textured
 * disk (a head, radius 35 px) moving along a random smooth path (two sinusoids per axis, periods 2–6 s, ±8–23 px
 * each, times `amplitude`), frames rendered at `fps` from `start` s. Two paths of one room and head are "the same
 * person in the same place at other moments" with nothing else to tell them apart: the worst case for coincidences.
 */
function syntheticRecording(pathSeed: number, seconds: number, fps: number, start = 0, amplitude = 1): RecordingFingerprint {
  const room = smoothField(1);
  const head = smoothField(2);
  const random = seededRandom(pathSeed);
  const waves = () => Array.from({ length: 2 }, () => ({ amplitude: amplitude * (8 + 15 * random()), period: 2 + 4 * random(), phase: 2 * Math.PI * random() }));
  const wx = waves();
  const wy = waves();
  const along = (w: ReturnType<typeof waves>, t: number) => w.reduce((sum, c) => sum + c.amplitude * Math.sin((2 * Math.PI * t) / c.period + c.phase), 0);
  const frames = Array.from({ length: Math.round(seconds * fps) }, (_, i) => {
    const t = start + i / fps;
    const cx = 80 + along(wx, t);
    const cy = 60 + 0.6 * along(wy, t);
    const data = new Uint8Array(160 * 120 * 3);
    for (let y = 0; y < 120; y++) {
      for (let x = 0; x < 160; x++) {
        const value = (x - cx) ** 2 + (y - cy) ** 2 < 35 ** 2 ? 0.3 + 0.6 * head(x - cx + 50, y - cy + 50) : room(x, y);
        data.fill(Math.round(255 * value), (y * 160 + x) * 3, (y * 160 + x) * 3 + 3);
      }
    }
    return { timeSeconds: i / fps, image: { data, width: 160, height: 120 } };
  });
  return fingerprintRecording(frames, fps);
}

/** The synthetic pairs, `trials` of each kind, at 4 fps. */
interface SyntheticPairs {
  /** Other paths, 10 s each: other moments, must not match. */
  otherMoments: [RecordingFingerprint, RecordingFingerprint][];
  /** A person nearly still (paths ×0.1: ±1–2 px) recorded twice, 10 s each: must not match. */
  stillTwice: [RecordingFingerprint, RecordingFingerprint][];
  /** 12 s at 3.33 fps (40 frames) and its trim from 0.3–2 s on, 9 s at 4 fps (another grid): must match. */
  trims: [RecordingFingerprint, RecordingFingerprint][];
}

function syntheticPairs(trials: number): SyntheticPairs {
  const pairs: SyntheticPairs = { otherMoments: [], stillTwice: [], trims: [] };
  for (let k = 0; k < trials; k++) {
    pairs.otherMoments.push([syntheticRecording(100 + k, 10, 4), syntheticRecording(500 + k, 10, 4)]);
    pairs.stillTwice.push([syntheticRecording(100 + k, 10, 4, 0, 0.1), syntheticRecording(500 + k, 10, 4, 0, 0.1)]);
    pairs.trims.push([syntheticRecording(100 + k, 12, 40 / 12), syntheticRecording(100 + k, 9, 4, 0.3 + 1.7 * seededRandom(900 + k)())]);
  }
  return pairs;
}

/** The chosen thresholds and one change at a time (plus the first draft): what each threshold buys, on every pair. */
const THRESHOLD_ALTERNATIVES: readonly { label: string; thresholds: ReplayThresholds }[] = [
  { label: 'chosen', thresholds: { ...REPLAY_THRESHOLDS } },
  { label: 'frame match ≤ 4 bits', thresholds: { ...REPLAY_THRESHOLDS, frameMatchMaxBits: 4 } },
  { label: 'frame match ≤ 8 bits', thresholds: { ...REPLAY_THRESHOLDS, frameMatchMaxBits: 8 } },
  { label: 'matched ≥ 60 %', thresholds: { ...REPLAY_THRESHOLDS, minMatchedFraction: 0.6 } },
  { label: 'matched ≥ 80 %', thresholds: { ...REPLAY_THRESHOLDS, minMatchedFraction: 0.8 } },
  { label: 'stretch ≥ 3 s', thresholds: { ...REPLAY_THRESHOLDS, minSharedSeconds: 3 } },
  { label: 'stretch ≥ 5 s', thresholds: { ...REPLAY_THRESHOLDS, minSharedSeconds: 5 } },
  { label: 'no change required', thresholds: { ...REPLAY_THRESHOLDS, minChangeBits: 0 } },
  { label: 'first draft: ≤ 8 bits, ≥ 60 %, ≥ 3 s', thresholds: { ...REPLAY_THRESHOLDS, frameMatchMaxBits: 8, minMatchedFraction: 0.6, minSharedSeconds: 3 } },
];

export async function benchReplay(): Promise<void> {
  const runs = intOption('runs', 20);
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-replay-'));
  try {
    // Loaded here: machine.ts reads ONNX Runtime's version, which the tests that import this file's variants do not need.
    const { machineInfo, machineMarkdown } = await import('./machine.js');
    const { ffmpeg } = videoBinaries();
    const files = new Map(REPLAY_VARIANTS.map((v) => [v.name, buildReplayVariant(work, v, ffmpeg, dataFile)] as const));
    const video = parseConfig({}).video;
    console.log(`# replayed recordings: the fingerprint: ${new Date().toISOString()}\n`);
    console.log(machineMarkdown(machineInfo('cpu')));
    console.log(`- command: npm run bench -- replay --runs=${runs} --trials=${intOption('trials', 60)}`);
    console.log(`- load average at start (1 / 5 / 15 min): ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')}`);
    console.log(
      `- thresholds: frame match ≤ ${FRAME_MATCH_MAX_BITS} bits of 63; stretch ≥ ${MIN_SHARED_SECONDS} s and ≥ ${MIN_SHARED_FRAMES} frames with ≥ ${MIN_MATCHED_FRACTION * 100} % matching; change ≥ ${MIN_CHANGE_BITS} bits\n`,
    );

    const readings: { title: string; sampling: { fps?: number; maxFrames?: number } }[] = [
      { title: `## 1. Read as verifyVideo reads (≤ ${video.fps} fps, ≤ ${video.maxFrames} frames, ≤ ${video.maxSide} px)`, sampling: {} },
      { title: `## 2. Read as the challenge verifier reads (${CHALLENGE_MIN_FPS} fps, ≤ 200 frames)`, sampling: { fps: CHALLENGE_MIN_FPS, maxFrames: 200 } },
    ];
    const fingerprintsByReading: Map<string, { sampled: SampledVideo; fingerprint: RecordingFingerprint }>[] = [];
    for (const reading of readings) {
      const sampledVideos = await readAll(serviceVideoReader(path.join(work, 'uploads'), reading.sampling), files);
      const fingerprints = new Map([...sampledVideos].map(([name, sampled]) => [name, { sampled, fingerprint: fingerprintRecording(sampled.frames, sampled.plan.fps) }] as const));
      fingerprintsByReading.push(fingerprints);
      console.log(`${reading.title}\n`);
      console.log('| recording | s | fps | frames | size |\n|---|---:|---:|---:|---|');
      for (const [name, { sampled }] of fingerprints) {
        console.log(`| ${name} | ${sampled.info.durationSeconds.toFixed(2)} | ${sampled.plan.fps.toFixed(2)} | ${sampled.frames.length} | ${sampled.plan.width}×${sampled.plan.height} |`);
      }
      console.log(`\n${HEADER}`);
      let wrong = 0;
      for (const pair of REPLAY_PAIRS) {
        const comparison = compareFingerprints(fingerprints.get(pair.a)!.fingerprint, fingerprints.get(pair.b)!.fingerprint);
        if (pair.expect !== 'either' && (comparison.matched ? 'match' : 'no match') !== pair.expect) wrong++;
        console.log(row(pair, comparison));
      }
      console.log(`\nDecisions against the requirement: ${REPLAY_PAIRS.filter((p) => p.expect !== 'either').length - wrong} right, ${wrong} wrong.\n`);
      frameDistances(fingerprints);
    }

    console.log('## 3. The challenge test recordings (pieces of real.mp4 joined: test/helpers/challenge-recordings.ts), pairwise\n');
    const challengeFiles = new Map(TEST_SEQUENCES.map((sequence) => [sequence.join('-'), buildChallengeRecording(work, sequence, ffmpeg).file] as const));
    const challengeVideos = await readAll(serviceVideoReader(path.join(work, 'uploads')), challengeFiles);
    const challengePrints = [...challengeVideos].map(([name, sampled]) => [name, fingerprintRecording(sampled.frames, sampled.plan.fps)] as const);
    console.log(HEADER);
    for (let i = 0; i < challengePrints.length; i++) {
      for (let j = i + 1; j < challengePrints.length; j++) {
        console.log(row({ a: challengePrints[i]![0], b: challengePrints[j]![0] }, compareFingerprints(challengePrints[i]![1], challengePrints[j]![1])));
      }
    }

    const trials = intOption('trials', 60);
    const synthetic = syntheticPairs(trials);
    const decided = (pairs: [RecordingFingerprint, RecordingFingerprint][], thresholds: ReplayThresholds) => pairs.filter(([x, y]) => compareFingerprints(x, y, thresholds).matched).length;
    console.log(`\n## 4. Synthetic worst case: one room, one head, ${trials} pairs of each kind at 4 fps\n`);
    console.log('| pairs | decided match | shared stretch s: median / max | similarity: min / median |\n|---|---:|---:|---:|');
    for (const [label, pairs] of [['other paths (other moments)', synthetic.otherMoments], ['nearly still, twice', synthetic.stillTwice], ['trims (same footage)', synthetic.trims]] as const) {
      const results = pairs.map(([x, y]) => compareFingerprints(x, y));
      const stretches = results.map((r) => r.sharedSeconds);
      const similarities = results.map((r) => r.similarity);
      console.log(
        `| ${label} | ${results.filter((r) => r.matched).length} / ${trials} | ${percentile(stretches, 50).toFixed(1)} / ${Math.max(...stretches).toFixed(1)} | ${Math.min(...similarities).toFixed(2)} / ${percentile(similarities, 50).toFixed(2)} |`,
      );
    }

    console.log('\n## 5. Each threshold changed alone: wrong decisions (must-match missed + must-not matched)\n');
    console.log(`| thresholds | reading 1 | reading 2 | synthetic other moments matched | synthetic still twice matched | synthetic trims missed |\n|---|---:|---:|---:|---:|---:|`);
    const required = REPLAY_PAIRS.filter((p) => p.expect !== 'either');
    for (const { label, thresholds } of THRESHOLD_ALTERNATIVES) {
      const wrongIn = (fingerprints: Map<string, { fingerprint: RecordingFingerprint }>) => {
        const decide = (p: ReplayPair) => compareFingerprints(fingerprints.get(p.a)!.fingerprint, fingerprints.get(p.b)!.fingerprint, thresholds).matched;
        const missed = required.filter((p) => p.expect === 'match' && !decide(p));
        const falseMatches = required.filter((p) => p.expect === 'no match' && decide(p));
        const names = [...missed, ...falseMatches].map((p) => `${p.a} / ${p.b}`);
        return `${missed.length} + ${falseMatches.length}${names.length > 0 ? ` (${names.join('; ')})` : ''}`;
      };
      console.log(
        `| ${label} | ${wrongIn(fingerprintsByReading[0]!)} | ${wrongIn(fingerprintsByReading[1]!)} | ${decided(synthetic.otherMoments, thresholds)} / ${trials} | ${decided(synthetic.stillTwice, thresholds)} / ${trials} | ${trials - decided(synthetic.trims, thresholds)} / ${trials} |`,
      );
    }

    console.log(`\n## 6. Cost, p50 / p95 over ${runs} runs, ms\n`);
    console.log('| what | frames | frame size | p50 ms | p95 ms |\n|---|---:|---|---:|---:|');
    for (const [k, fingerprints] of fingerprintsByReading.entries()) {
      for (const name of ['real', 'hamilton']) {
        const { sampled } = fingerprints.get(name)!;
        const t = timeIt(runs, () => fingerprintRecording(sampled.frames, sampled.plan.fps));
        console.log(`| fingerprint ${name} (reading ${k + 1}) | ${sampled.frames.length} | ${sampled.plan.width}×${sampled.plan.height} | ${t.p50.toFixed(1)} | ${t.p95.toFixed(1)} |`);
      }
      for (const [a, b] of [['real', 'real trim 1.0 s'], ['real', 'hamilton'], ['real 0–6 s', 'real 6–12 s']] as const) {
        const fa = fingerprints.get(a)!.fingerprint;
        const fb = fingerprints.get(b)!.fingerprint;
        const t = timeIt(runs, () => compareFingerprints(fa, fb));
        console.log(`| compare ${a} × ${b} (reading ${k + 1}) | ${fa.hashes.length / 8} × ${fb.hashes.length / 8} | — | ${t.p50.toFixed(2)} | ${t.p95.toFixed(2)} |`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
