/**
 * `npm run bench -- challenge [--runs=N]`: the active liveness challenge (issue 14) on the dev videos, with the tracked
 * motion series at 10 fps (src/pipeline/motion-series.ts) and verifyChallenge (src/pipeline/challenge.ts):
 *
 * 1. per-action detection on the dev clips as recorded: every action a clip performs on purpose (hand-labelled below,
 *    from the measured series and the frames) as a one-step challenge whose window is the action's stretch, and every
 *    other action asked in that same window (a false detection when it passes);
 * 2. the test recordings (test/helpers/challenge-recordings.ts): their own challenge, 100 random others and every other
 *    sequence of their length, the smallest margin of each action over its threshold, and identity consistency over
 *    the detector frames (face-api descriptors, the matchFace distance);
 * 3. random challenges drawn as the issuing side draws them (2 s lead-in, 3 s windows, 3–4 steps) against the dev clips
 *    as recorded, which perform a sequence no one asked for: how many pass;
 * 4. cost of the analysis of a 10 s clip (decode at 10 fps + tracked measurement), p50 / p95 over N runs, with frames at
 *    640 px (verifyVideo's size) and at 480 px, against the detector cascade on every frame; where its time goes (ffprobe,
 *    ffmpeg, each model, the rest); then what the challenge's frames add to verifyVideo's own read (4 fps, 40 frames),
 *    of which they are a second output (one decode).
 *
 * Nothing is asserted: the tables are the evidence for bench/RESULTS.md "active liveness challenge, the verifier".
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHALLENGE_ACTIONS, CHALLENGE_MIN_FPS, eyesNeededFor, verifyChallenge, type Challenge, type ChallengeAction, type MotionSample } from '../src/pipeline/challenge.js';
import { euclideanDistance, FaceEmbedder } from '../src/pipeline/face-embedding.js';
import { MATCH_DISTANCE_THRESHOLD } from '../src/pipeline/match-face.js';
import { MotionSeriesMeasurer, type MotionMeasurement, type MotionMeasurementOptions } from '../src/pipeline/motion-series.js';
import { CHALLENGE_SAMPLING } from '../src/pipeline/verify-video.js';
import { identitySignal } from '../src/pipeline/video-signals.js';
import { videoBinaries } from '../src/video/binaries.js';
import { extractFrames, samplingPlan } from '../src/video/frames.js';
import { checkComplete, probeVideo } from '../src/video/probe.js';
import { allSequences, buildChallengeRecording, drawOtherChallenges, TEST_SEQUENCES } from '../test/helpers/challenge-recordings.js';
import { seededRandom } from '../test/helpers/random.js';
import { machineInfo, machineMarkdown } from './machine.js';
import { loadBenchRegistry, serviceVideoReader } from './registry.js';
import { intOption, percentile } from './stats.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.resolve(repoRoot, '..', 'shared', 'data');

interface Performed {
  action: ChallengeAction;
  /** Seconds of the clip: from the last rest frame before the action to the first one after it. */
  window: [number, number];
}

interface DevClip {
  /** A stretch of the clip at rest, seconds: the baseline each action is measured against. */
  rest: [number, number];
  performed: Performed[];
}

/**
 * What the dev clips perform, read off the 10 fps series and checked on the frames. fake.mp4 is real.mp4 replayed on a
 * phone and filmed (labels/videos.csv), 2.7 s later; its face is lost for most of the look down (14.5–16.6 s).
 * short_hamilton_clip.mp4 performs nothing on cue: Lin-Manuel Miranda raps (3.6–7.8 s), then an audience; his mouth opens
 * wide at 6.0–6.2 s, the only open mouth of the dev videos. faceapi/video.mp4 is 0.2 s long.
 */
const DEV_CLIPS: Record<string, DevClip> = {
  'videos/liveness_tranvanluyt/real.mp4': {
    rest: [0, 1.8],
    performed: [
      { action: 'turnLeft', window: [1.8, 5.9] },
      { action: 'turnRight', window: [7.2, 10.8] },
      { action: 'lookDown', window: [11.2, 14.1] },
      { action: 'lookUp', window: [14.3, 16.3] },
      { action: 'blink', window: [16.3, 18.3] },
    ],
  },
  'videos/liveness_tranvanluyt/fake.mp4': {
    rest: [0, 4.4],
    performed: [
      { action: 'turnLeft', window: [4.5, 8.7] },
      { action: 'turnRight', window: [9.9, 13.5] },
      { action: 'lookDown', window: [13.9, 16.7] },
      { action: 'lookUp', window: [17.0, 19.0] },
      { action: 'blink', window: [18.9, 20.9] },
    ],
  },
  'videos/face_recognition_ageitgey/short_hamilton_clip.mp4': {
    rest: [6.4, 7.0],
    performed: [{ action: 'openMouth', window: [5.8, 6.4] }],
  },
};

/**
 * The clip's rest frames followed by the frames of `window` (re-timed to follow on at 10 fps), and the window's new
 * place: what a challenge recording would show, the rest as its lead-in. Measuring against everything before the
 * window instead would take a baseline from the clip's earlier actions.
 */
function restThenWindow(series: readonly MotionSample[], rest: [number, number], window: [number, number]): { series: MotionSample[]; window: [number, number] } {
  const restFrames = series.filter((s) => s.timeSeconds >= rest[0] && s.timeSeconds < rest[1]);
  const windowFrames = series.filter((s) => s.timeSeconds >= window[0] && s.timeSeconds <= window[1]);
  const start = restFrames.length / CHALLENGE_MIN_FPS;
  const shift = start - window[0];
  const retime = (s: MotionSample, timeSeconds: number) => ({ ...s, timeSeconds: Math.round(timeSeconds * 1000) / 1000 });
  return {
    series: [...restFrames.map((s, i) => retime(s, i / CHALLENGE_MIN_FPS)), ...windowFrames.map((s, i) => retime(s, start + i / CHALLENGE_MIN_FPS))],
    window: [start, Math.round((window[1] + shift) * 1000) / 1000],
  };
}

const HAMILTON = 'videos/face_recognition_ageitgey/short_hamilton_clip.mp4';

const oneStep = (action: ChallengeAction, window: [number, number]): Challenge => ({ id: action, steps: [{ action, windowSeconds: window }] });

/** Draws like the issuing side: 2 s lead-in, 3 s windows back to back, 3 or 4 steps, no action right after itself. */
function issuedChallenge(random: () => number, maxSeconds: number): Challenge | undefined {
  const steps = 3 + Math.floor(random() * 2);
  if (2 + 3 * steps + 1 > maxSeconds) return undefined;
  const actions: ChallengeAction[] = [];
  for (let k = 0; k < steps; k++) {
    const candidates = CHALLENGE_ACTIONS.filter((a) => a !== actions[k - 1]);
    actions.push(candidates[Math.floor(random() * candidates.length)]!);
  }
  return { id: actions.join('-'), steps: actions.map((action, k) => ({ action, windowSeconds: [2 + 3 * k, 5 + 3 * k] })) };
}

const fmt = (value: number | null, digits = 1) => (value === null ? '—' : value.toFixed(digits));

/**
 * Milliseconds spent in each model's runs, by model id, from the moment this is called: every runner of `registry` is
 * wrapped with a timer (this bench's own registry; the wrappers stay). `take()` returns the totals and starts again.
 */
function timeModelRuns(registry: Awaited<ReturnType<typeof loadBenchRegistry>>): { take: () => Map<string, number> } {
  let totals = new Map<string, number>();
  for (const model of registry.list()) {
    const runner = model.runner;
    const run = runner.run.bind(runner);
    runner.run = async (...args: Parameters<typeof run>) => {
      const t0 = performance.now();
      try {
        return await run(...args);
      } finally {
        totals.set(model.entry.id, (totals.get(model.entry.id) ?? 0) + performance.now() - t0);
      }
    };
  }
  return {
    take: () => {
      const taken = totals;
      totals = new Map();
      return taken;
    },
  };
}

export async function benchChallenge(): Promise<void> {
  const runs = intOption('runs', 5);
  const registry = await loadBenchRegistry();
  const measurer = new MotionSeriesMeasurer(registry);
  const embedder = new FaceEmbedder(registry);
  const binaries = videoBinaries();
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-challenge-'));
  // Slow machines shared with other jobs: a minute per ffmpeg run, not the service's default.
  const readVideo = serviceVideoReader(path.join(work, 'uploads'), { timeoutMs: 60_000, fps: CHALLENGE_MIN_FPS, maxFrames: 600 });
  // The same at 480 px: faces in a selfie recording still fill more than FaceMesh's 192² input and the iris model's 64²
  // eye crops there, so the models see the same detail for less decoding (section 4 compares).
  const readVideoSmall = serviceVideoReader(path.join(work, 'uploads'), { timeoutMs: 60_000, fps: CHALLENGE_MIN_FPS, maxFrames: 600, maxSide: 480 });
  const bytesOf = (file: string) => new Uint8Array(readFileSync(file));
  const seriesOf = async (file: string): Promise<MotionMeasurement> => measurer.measure((await readVideo(bytesOf(file))).frames);

  console.log(`# active liveness challenge bench: ${new Date().toISOString()}\n`);
  console.log(machineMarkdown(machineInfo('cpu')));
  console.log(`- command: npm run bench -- challenge --runs=${runs}; sampling ${CHALLENGE_MIN_FPS} fps, frames ≤ 640 px`);
  console.log(`- load average at start (1 / 5 / 15 min): ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')}\n`);

  try {
    // 1. Per-action detection on the clips as recorded.
    console.log('## 1. Per-action detection on the dev clips as recorded (each action against the clip\'s rest)\n');
    console.log('| clip | performed, window s | amplitude | detected | other actions detected in that window |');
    console.log('|---|---|---:|:---:|---|');
    const tally = new Map<ChallengeAction, { performed: number; detected: number; asked: number; falseDetections: number }>(
      CHALLENGE_ACTIONS.map((a) => [a, { performed: 0, detected: 0, asked: 0, falseDetections: 0 }]),
    );
    const measuredClips = new Map<string, MotionSample[]>();
    for (const [clip, { rest, performed }] of Object.entries(DEV_CLIPS)) {
      const { series: whole } = await seriesOf(path.join(dataDir, clip));
      measuredClips.set(clip, whole);
      for (const { action, window: clipWindow } of performed) {
        const { series, window } = restThenWindow(whole, rest, clipWindow);
        const own = verifyChallenge(series, oneStep(action, window)).steps[0]!;
        const row = tally.get(action)!;
        row.performed += 1;
        if (own.passed) row.detected += 1;
        const others = CHALLENGE_ACTIONS.filter((a) => a !== action).filter((other) => {
          tally.get(other)!.asked += 1;
          const passed = verifyChallenge(series, oneStep(other, window)).passed;
          if (passed) tally.get(other)!.falseDetections += 1;
          return passed;
        });
        const digits = own.amplitude_unit === 'degrees' ? 1 : 3;
        console.log(`| ${path.basename(clip)} | ${action} ${clipWindow[0]}–${clipWindow[1]} | ${fmt(own.amplitude, digits)} ${own.amplitude_unit} | ${own.passed ? 'yes' : 'no'} | ${others.join(', ') || '—'} |`);
      }
    }
    console.log('\n| action | detected where performed | detected where another action was performed |');
    console.log('|---|---:|---:|');
    for (const [action, row] of tally) console.log(`| ${action} | ${row.detected} / ${row.performed} | ${row.falseDetections} / ${row.asked} |`);

    // Unprompted movement: the Hamilton clip's rapper, 3 s windows against his rest.
    const hamilton = measuredClips.get(HAMILTON)!;
    const faces = hamilton.filter((s) => s.yawDeg !== undefined).length;
    console.log(`\nUnprompted movement, ${path.basename(HAMILTON)} (${faces} of ${hamilton.length} frames with a face), against Lin-Manuel Miranda's rest (${DEV_CLIPS[HAMILTON]!.rest.join('–')} s):\n`);
    console.log('| window s | actions detected |');
    console.log('|---|---|');
    for (const clipWindow of [[3.6, 5.7], [5.7, 7.8]] as [number, number][]) {
      const { series, window } = restThenWindow(hamilton, DEV_CLIPS[HAMILTON]!.rest, clipWindow);
      const fired = CHALLENGE_ACTIONS.filter((a) => verifyChallenge(series, oneStep(a, window)).passed);
      console.log(`| ${clipWindow[0]}–${clipWindow[1]} | ${fired.join(', ') || '—'} |`);
    }

    // 2. The test recordings.
    console.log('\n## 2. Test recordings (test/helpers/challenge-recordings.ts)\n');
    console.log('| recording | s | own challenge | amplitude per step | 100 random others passed | other sequences of its length passed | identity: same-person share of detector frames |');
    console.log('|---|---:|:---:|---|---:|---:|---:|');
    const margins = new Map<ChallengeAction, number[]>();
    for (const [i, sequence] of TEST_SEQUENCES.entries()) {
      const recording = buildChallengeRecording(work, sequence, binaries.ffmpeg);
      const descriptors: Float32Array[] = [];
      const video = await readVideo(bytesOf(recording.file));
      const { series } = await measurer.measure(video.frames, { onDetection: async (_t, analysis) => void descriptors.push(await embedder.embed(analysis)) });
      const own = verifyChallenge(series, recording.challenge);
      for (const step of own.steps) margins.set(step.action, [...(margins.get(step.action) ?? []), (step.amplitude ?? 0) / step.min_amplitude]);
      const random = drawOtherChallenges(recording.challenge, 100, 14_000 + i).filter((c) => verifyChallenge(series, c).passed).length;
      const windows = recording.challenge.steps.map((s) => s.windowSeconds);
      const all = allSequences(windows.length);
      const passing = all.filter((actions) => verifyChallenge(series, { id: 'x', steps: actions.map((action, k) => ({ action, windowSeconds: windows[k]! })) }).passed).length;
      const identity = identitySignal(descriptors, MATCH_DISTANCE_THRESHOLD, euclideanDistance);
      const amplitudes = own.steps.map((s) => `${s.action} ${fmt(s.amplitude, s.amplitude_unit === 'degrees' ? 1 : 2)}`).join(', ');
      console.log(`| ${recording.challenge.id} | ${recording.durationSeconds} | ${own.passed ? 'passed' : 'FAILED'} | ${amplitudes} | ${random} | ${passing - (own.passed ? 1 : 0)} of ${all.length - 1} | ${identity.sameShare.toFixed(2)} (${descriptors.length} frames) |`);
    }
    console.log('\nSmallest amplitude ÷ threshold per action over the recordings (1 = just enough):');
    console.log([...margins].map(([a, m]) => `${a} ${Math.min(...m).toFixed(2)}`).join(', '));

    // 3. Random issued challenges against the clips as recorded.
    console.log('\n## 3. Random challenges (issuing side\'s layout) against clips that perform no asked sequence\n');
    console.log('| clip | s | challenges drawn | passed |');
    console.log('|---|---:|---:|---:|');
    for (const clip of Object.keys(DEV_CLIPS)) {
      const series = measuredClips.get(clip)!;
      const duration = series.length / CHALLENGE_MIN_FPS;
      if (2 + 3 * 3 + 1 > duration) {
        console.log(`| ${path.basename(clip)} | ${duration.toFixed(1)} | 0 (shorter than a challenge's 12 s) | — |`);
        continue;
      }
      const random = seededRandom(14);
      let drawn = 0;
      let passed = 0;
      while (drawn < 1000) {
        const challenge = issuedChallenge(random, duration);
        if (!challenge) continue;
        drawn += 1;
        if (verifyChallenge(series, challenge).passed) passed += 1;
      }
      console.log(`| ${path.basename(clip)} | ${duration.toFixed(1)} | ${drawn} | ${passed} |`);
    }

    // 4. Cost of a 10 s clip.
    console.log(`\n## 4. Cost of the analysis of a 10 s clip (${runs} runs after one warm-up, sequential)\n`);
    const realTen = path.join(work, 'real-first-10s.mp4');
    execFileSync(binaries.ffmpeg, ['-v', 'error', '-y', '-t', '10', '-i', path.join(dataDir, 'videos/liveness_tranvanluyt/real.mp4'), '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '16', realTen]);
    const challengeTen = path.join(work, 'challenge-first-10s.mp4');
    execFileSync(binaries.ffmpeg, ['-v', 'error', '-y', '-t', '10', '-i', buildChallengeRecording(work, TEST_SEQUENCES[1]!, binaries.ffmpeg).file, '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '16', challengeTen]);
    const clips: [string, string][] = [
      ['real.mp4, first 10 s (368×656)', realTen],
      [`${TEST_SEQUENCES[1]!.join('-')} recording, first 10 s`, challengeTen],
      ['short_hamilton_clip.mp4, 10 s (640×360; no face for 2 s, cuts)', path.join(dataDir, HAMILTON)],
    ];
    console.log('| clip | mode | frames | detector frames | re-detections | decode p50 / p95 ms | measure p50 / p95 ms | total p50 / p95 ms |');
    console.log('|---|---|---:|---:|---:|---:|---:|---:|');
    for (const [label, file] of clips) {
      const bytes = bytesOf(file);
      // A drawn challenge's layout (2 s lead-in, 3 s windows): verifyVideo reads the eyes only in the lead-in and the
      // blink windows (challenge.ts eyesNeededFor), so a challenge with one blink step and one without are timed too.
      const layout = (actions: ChallengeAction[]): Challenge => ({ id: actions.join('-'), steps: actions.map((action, k) => ({ action, windowSeconds: [2 + 3 * k, 5 + 3 * k] as [number, number] })) });
      const modes: [string, MotionMeasurementOptions, typeof readVideo][] = [
        ['tracked', {}, readVideo],
        ['tracked, eyes for turnLeft-blink-lookUp', { eyesNeeded: eyesNeededFor(layout(['turnLeft', 'blink', 'lookUp'])) }, readVideo],
        ['tracked, eyes for turnLeft-lookDown-turnRight', { eyesNeeded: eyesNeededFor(layout(['turnLeft', 'lookDown', 'turnRight'])) }, readVideo],
        ['tracked, frames ≤ 480 px', {}, readVideoSmall],
        ['detector every frame', { detectEverySeconds: 0 }, readVideo],
      ];
      for (const [mode, measureOptions, read] of modes) {
        const decode: number[] = [];
        const measure: number[] = [];
        const total: number[] = [];
        let last: MotionMeasurement | undefined;
        let frames = 0;
        for (let r = 0; r <= runs; r++) {
          const t0 = performance.now();
          const video = await read(bytes);
          const t1 = performance.now();
          last = await measurer.measure(video.frames, measureOptions);
          const t2 = performance.now();
          frames = video.frames.length;
          if (r === 0) continue; // warm-up
          decode.push(t1 - t0);
          measure.push(t2 - t1);
          total.push(t2 - t0);
        }
        const p = (values: number[]) => `${percentile(values, 50).toFixed(0)} / ${percentile(values, 95).toFixed(0)}`;
        console.log(`| ${label} | ${mode} | ${frames} | ${last!.detectorFrames} | ${last!.trackLosses} | ${p(decode)} | ${p(measure)} | ${p(total)} |`);
      }
    }
    // Where the time goes, tracked at 640 px: the reader's stages (ffprobe for the header and the packet scan, then ffmpeg
    // decoding into frames) and the measurement's model runs (each runner timed), the rest being crops and JS.
    console.log('\nWhere the time goes (tracked, 640 px), p50 ms over the runs:\n');
    console.log('| clip | ffprobe: header + packet scan | ffmpeg: decode → frames | FaceMesh | iris (both eyes) | detector cascade (BlazeFace, SSD, 68 landmarks) | rest of the measurement (crops, JS) | total |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    const models = timeModelRuns(registry);
    for (const [label, file] of clips) {
      const stages: Record<'probe' | 'decode' | 'faceMesh' | 'iris' | 'cascade' | 'rest' | 'total', number[]> = { probe: [], decode: [], faceMesh: [], iris: [], cascade: [], rest: [], total: [] };
      for (let r = 0; r <= runs; r++) {
        const t0 = performance.now();
        const info = await probeVideo(binaries.ffprobe, file, 60_000);
        checkComplete(info);
        const t1 = performance.now();
        const [frames] = await extractFrames(file, [samplingPlan(info, { fps: CHALLENGE_MIN_FPS, maxFrames: 600, maxSide: 640 })], { ffmpeg: binaries.ffmpeg, timeoutMs: 60_000 });
        const t2 = performance.now();
        models.take();
        await measurer.measure(frames!);
        const t3 = performance.now();
        const byModel = models.take();
        if (r === 0) continue; // warm-up
        const ms = (...ids: string[]) => ids.reduce((sum, id) => sum + (byModel.get(id) ?? 0), 0);
        const modelMs = [...byModel.values()].reduce((a, b) => a + b, 0);
        stages.probe.push(t1 - t0);
        stages.decode.push(t2 - t1);
        stages.faceMesh.push(ms('human-facemesh'));
        stages.iris.push(ms('human-iris'));
        stages.cascade.push(ms('human-blazeface-front', 'faceapi-ssd-mobilenetv1', 'faceapi-face-landmark-68'));
        stages.rest.push(t3 - t2 - modelMs);
        stages.total.push(t3 - t0);
      }
      const p50 = (values: number[]) => percentile(values, 50).toFixed(0);
      console.log(`| ${label} | ${p50(stages.probe)} | ${p50(stages.decode)} | ${p50(stages.faceMesh)} | ${p50(stages.iris)} | ${p50(stages.cascade)} | ${p50(stages.rest)} | ${p50(stages.total)} |`);
    }

    // In verifyVideo the challenge's frames are a second output of the passive analysis' decode
    // (src/pipeline/verify-video.ts CHALLENGE_SAMPLING): the challenge adds that output and the measurement.
    const readPassive = serviceVideoReader(path.join(work, 'uploads'), { timeoutMs: 60_000 });
    console.log(`\nIn verifyVideo (passive analysis at 4 fps, 40 frames; the challenge's ${CHALLENGE_MIN_FPS} fps frames from the same decode):\n`);
    console.log('| clip | read, passive frames only p50 / p95 ms | read, passive + challenge frames p50 / p95 ms | decode the challenge adds, p50 ms |');
    console.log('|---|---:|---:|---:|');
    for (const [label, file] of clips) {
      const bytes = bytesOf(file);
      const alone: number[] = [];
      const both: number[] = [];
      for (let r = 0; r <= runs; r++) {
        const t0 = performance.now();
        await readPassive(bytes);
        const t1 = performance.now();
        await readPassive(bytes, CHALLENGE_SAMPLING);
        const t2 = performance.now();
        if (r === 0) continue; // warm-up
        alone.push(t1 - t0);
        both.push(t2 - t1);
      }
      const p = (values: number[]) => `${percentile(values, 50).toFixed(0)} / ${percentile(values, 95).toFixed(0)}`;
      console.log(`| ${label} | ${p(alone)} | ${p(both)} | ${(percentile(both, 50) - percentile(alone, 50)).toFixed(0)} |`);
    }
    console.log(`\nload average at the end (1 / 5 / 15 min): ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    await registry.dispose();
  }
}
