/**
 * `npm run bench -- speed [--runs=N] [--warmup=N] [--concurrency=N] [--batch=N] [--provider=cpu|cuda] [--packs=DIR] [--out=DIR]`
 *
 * In-process speed of the checkLiveness pipeline (no HTTP), on real photos of different sizes:
 * 1. per stage: decode, detect (the detector cascade, src/pipeline/analyze.ts: BlazeFace, the SSD where its rules say), landmarks (68 points + the aligned crop),
 *    liveness (Human antispoof + liveness, MiniFASNet with --packs), quality (all 14 checks), age/gender,
 *    embed (face-api recogniser), each timed around the same stage functions the service calls;
 * 2. end to end: `createCheckLiveness` with all 14 checks, ageRange, gender and the cropped image, then with the
 *    liveness verdict alone (no check, age, gender or crop);
 * both with `--concurrency` requests in flight (each stage latency then includes waiting for the others'
 * ORT runs, as in the service); throughput = requests finished ÷ wall time. Warm-up requests are excluded.
 * 3. with `--batch=B` > 1: the models that take a batch axis (detector, landmarks, recogniser, age/gender)
 *    run once with B inputs and once B times with 1, per face. The request path itself is batch 1: one
 *    request = one image = one primary face, so the pipeline stages are not batched.
 * Writes <out>/speed.json, speed.md and speed-latency.svg (end-to-end latency histogram); out = bench/out.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../src/imaging/decode.js';
import { FaceApiLandmarks68, FACE_LANDMARK_68_INPUT_SIZE } from '../src/inference/faceapi-face-landmark-68.js';
import { FACE_RECOGNITION_INPUT_SIZE } from '../src/inference/faceapi-face-recognition.js';
import { AGE_GENDER_INPUT_SIZE, alignedFaceBox } from '../src/inference/faceapi-age-gender.js';
import { toFaceApiFaceInput, toFaceApiNetInput } from '../src/inference/faceapi-net-input.js';
import { SSD_MOBILENETV1_INPUT_SIZE } from '../src/inference/faceapi-ssd-mobilenetv1.js';
import { EXECUTION_PROVIDERS, type ExecutionProvider } from '../src/inference/session.js';
import { AgeGenderEstimator } from '../src/pipeline/age-gender.js';
import { alignFace, FaceAnalyzer, pickPrimaryFace, rollFromLandmarks } from '../src/pipeline/analyze.js';
import { createCheckLiveness } from '../src/pipeline/check-liveness.js';
import { dlibAlignedBox, FaceEmbedder } from '../src/pipeline/face-embedding.js';
import { LivenessEstimator } from '../src/pipeline/liveness.js';
import { type FaceAnalysis, type LivenessOptions, QUALITY_CHECKS } from '../src/pipeline/types.js';
import { createQualityChecker } from '../src/quality/index.js';
import { packageDir } from '../scripts/convert/recipe.js';
import { machineInfo, machineMarkdown, type MachineInfo } from './machine.js';
import { histogramSvg } from './plot.js';
import { Progress } from './progress.js';
import { fmt, intOption, option, type LatencySummary, summarize } from './stats.js';
import { loadBenchRegistry } from './registry.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.resolve(repoRoot, '..', 'shared', 'data');

/** Photos of different sizes and face counts (the same set as bench/check-liveness.ts). */
export const SPEED_IMAGES: readonly (readonly [string, string])[] = [
  ['face-api sample2 (3 faces)', path.join(packageDir('@vladmandic/face-api'), 'demo', 'sample2.jpg')],
  ['obama 480p', path.join(dataDir, 'attributes/face_recognition_ageitgey/obama-480p.jpg')],
  ['obama 1080p', path.join(dataDir, 'attributes/face_recognition_ageitgey/obama-1080p.jpg')],
  ['silent_face live (EXIF 6)', path.join(dataDir, 'liveness/silent_face/live/image_T1.jpg')],
];

export const STAGES = ['decode', 'detect', 'landmarks', 'liveness', 'quality', 'ageGender', 'embed'] as const;
export type Stage = (typeof STAGES)[number];

const EVERYTHING: LivenessOptions = { qualityChecks: QUALITY_CHECKS, ageRange: true, gender: true, croppedImage: true };
/** The liveness verdict alone: no quality check, no age/gender, no crop (issue #17's second latency target). */
const LIVENESS_ONLY: LivenessOptions = { qualityChecks: [], ageRange: false, gender: false, croppedImage: false };
const MAX_PIXELS = 25_000_000;

/** Runs `total` jobs with `concurrency` in flight; returns wall time, ms. Job i gets its index. */
export async function runConcurrently(total: number, concurrency: number, job: (index: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < total) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return performance.now() - t0;
}

interface PhaseResult {
  requests: number;
  wallMs: number;
  /** Requests per second. */
  throughput: number;
  latency: LatencySummary;
}

interface BatchRow {
  model: string;
  batch: number;
  /** ms for one run with `batch` inputs. */
  batchedMs: LatencySummary;
  /** ms for `batch` runs with 1 input each, back to back. */
  singleMs: LatencySummary;
  /** singleMs.p50 ÷ batchedMs.p50. */
  speedup: number;
}

export interface SpeedReport {
  command: string;
  machine: MachineInfo;
  settings: { runs: number; warmup: number; concurrency: number; batch: number; provider: ExecutionProvider; packs: string[] };
  images: string[];
  stages: Record<Stage, LatencySummary> & { pipeline: PhaseResult };
  endToEnd: PhaseResult;
  /** createCheckLiveness with LIVENESS_ONLY. */
  livenessOnly: PhaseResult;
  batching: BatchRow[];
  notes: string[];
}

export async function benchSpeed(argv: readonly string[] = process.argv): Promise<SpeedReport> {
  const runs = intOption('runs', 20, argv);
  const warmup = intOption('warmup', 2, argv, 0);
  const concurrency = intOption('concurrency', 1, argv);
  const batch = intOption('batch', 1, argv);
  const provider = (option('provider', argv) ?? 'cpu') as ExecutionProvider;
  if (!(provider in EXECUTION_PROVIDERS)) throw new Error(`--provider=${provider}: expected one of ${Object.keys(EXECUTION_PROVIDERS).join(', ')}`);
  const packsDir = option('packs', argv);
  const outDir = path.resolve(option('out', argv) ?? path.join(repoRoot, 'bench', 'out'));
  const registry = await loadBenchRegistry(packsDir ? { provider, packsDir } : { provider });
  const packs = registry.packs.filter((p) => p.state === 'installed').map((p) => p.id);
  const images = SPEED_IMAGES.map(([label, file]) => ({ label, bytes: new Uint8Array(readFileSync(file)) }));

  const analyzer = new FaceAnalyzer(registry);
  const landmarker = new FaceApiLandmarks68(registry.get('faceapi-face-landmark-68').session);
  const liveness = new LivenessEstimator(registry);
  const quality = createQualityChecker(registry);
  const ageGender = new AgeGenderEstimator(registry);
  const embedder = new FaceEmbedder(registry);
  const checkLiveness = createCheckLiveness(registry, { maxPixels: MAX_PIXELS });

  const stageTimes: Record<Stage, number[]> = Object.fromEntries(STAGES.map((s) => [s, []])) as unknown as Record<Stage, number[]>;
  /** One request through the stages, as createCheckLiveness + FaceAnalyzer run them, each stage timed. */
  const staged = async (bytes: Uint8Array, record: boolean): Promise<FaceAnalysis> => {
    const timed = async <T>(stage: Stage, work: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      const value = await work();
      if (record) stageTimes[stage].push(performance.now() - t0);
      return value;
    };
    const image = await timed('decode', () => decodeImage(bytes, { maxPixels: MAX_PIXELS }));
    // All 14 checks include multipleFaces: every face is counted (countFaces: the SSD alone), as checkLiveness does for it.
    const detected = await timed('detect', () => analyzer.detect(image, { countFaces: true }));
    const { faces, detector } = detected;
    const primary = pickPrimaryFace(faces);
    if (!primary) throw new Error('speed bench: no face detected in a bench image');
    const analysis = await timed('landmarks', async () => {
      const landmarks68 = detected.landmarks68 ?? (await landmarker.detect(image, primary.box));
      const roll = rollFromLandmarks(landmarks68);
      return { image, faces, detector, primary, landmarks68, roll, alignedFace: alignFace(image, landmarks68, roll) } satisfies FaceAnalysis;
    });
    await timed('liveness', () => liveness.verdict(analysis));
    await timed('quality', () => quality(analysis, QUALITY_CHECKS));
    await timed('ageGender', () => ageGender.estimate(analysis));
    await timed('embed', () => embedder.embed(analysis));
    return analysis;
  };

  const total = runs * images.length;
  /** Warm-up rounds (not recorded), then `total` timed requests with `concurrency` in flight. */
  const phase = async (label: string, request: (bytes: Uint8Array, timed: boolean) => Promise<unknown>): Promise<PhaseResult & { latencies: number[] }> => {
    for (let i = 0; i < warmup; i++) for (const { bytes } of images) await request(bytes, false);
    const latencies: number[] = [];
    const progress = new Progress(label, total);
    const wallMs = await runConcurrently(total, concurrency, async (i) => {
      const t0 = performance.now();
      await request(images[i % images.length]!.bytes, true);
      latencies.push(performance.now() - t0);
      progress.tick();
    });
    progress.finish();
    return { requests: total, wallMs, throughput: (total / wallMs) * 1000, latency: summarize(latencies), latencies };
  };

  const { latencies: _stagedLatencies, ...pipeline } = await phase('speed: stages', staged);
  const { latencies: endToEndLatencies, ...endToEnd } = await phase('speed: checkLiveness', (bytes) => checkLiveness(bytes, EVERYTHING));
  const { latencies: _livenessOnlyLatencies, ...livenessOnly } = await phase('speed: liveness only', (bytes) => checkLiveness(bytes, LIVENESS_ONLY));

  const batching: BatchRow[] = [];
  const notes: string[] = [
    'stage `detect` = face detection with every face counted, as the multipleFaces check needs: the SSD MobileNetV1 alone (src/pipeline/analyze.ts), resize + run + box decoding/NMS; `landmarks` = 68-point net + roll + aligned 256² crop; `liveness` = Human antispoof + Human liveness on the landmark crop (+ MiniFASNet ×2 with the pack); `quality` = all 14 checks (FaceMesh, iris, nsfwjs, statistics); `ageGender` and `embed` = face-api nets on their own crops.',
    'end to end = createCheckLiveness with all 14 quality checks, ageRange, gender and the cropped JPEG (what POST /v1/checkLiveness runs, minus HTTP and multipart parsing); liveness only = the same with no quality check, age, gender or crop.',
    'the request path is batch 1 (one image, one primary face per request); decode, liveness and quality take no batch in the pipeline.',
  ];
  if (batch > 1) {
    const analyses: FaceAnalysis[] = [];
    for (const { bytes } of images) analyses.push(await staged(bytes, false));
    const faceInput = (size: number, box: (a: FaceAnalysis) => Parameters<typeof toFaceApiFaceInput>[1]) => (a: FaceAnalysis) => toFaceApiFaceInput(a.image, box(a), size).tensor;
    const models: [string, string, number, (a: FaceAnalysis) => Float32Array][] = [
      ['faceapi-ssd-mobilenetv1', 'input', SSD_MOBILENETV1_INPUT_SIZE, (a) => toFaceApiNetInput(a.image, SSD_MOBILENETV1_INPUT_SIZE).tensor],
      ['faceapi-face-landmark-68', 'input', FACE_LANDMARK_68_INPUT_SIZE, faceInput(FACE_LANDMARK_68_INPUT_SIZE, (a) => a.primary.box)],
      ['faceapi-face-recognition', 'input', FACE_RECOGNITION_INPUT_SIZE, faceInput(FACE_RECOGNITION_INPUT_SIZE, (a) => dlibAlignedBox(a.landmarks68))],
      ['faceapi-age-gender', 'input', AGE_GENDER_INPUT_SIZE, faceInput(AGE_GENDER_INPUT_SIZE, (a) => alignedFaceBox(a.landmarks68))],
    ];
    const progress = new Progress('speed: batching', models.length * runs);
    for (const [id, name, size, build] of models) {
      const session = registry.get(id).session;
      const singles = analyses.map(build);
      const plane = 3 * size * size;
      const batched = new Float32Array(batch * plane);
      for (let b = 0; b < batch; b++) batched.set(singles[b % singles.length]!, b * plane);
      const runBatched = () => session.run({ [name]: { data: batched, dims: [batch, 3, size, size] } });
      const runSingles = async () => {
        for (let b = 0; b < batch; b++) await session.run({ [name]: { data: singles[b % singles.length]!, dims: [1, 3, size, size] } });
      };
      for (let i = 0; i < warmup; i++) {
        await runBatched();
        await runSingles();
      }
      const batchedMs: number[] = [];
      const singleMs: number[] = [];
      for (let i = 0; i < runs; i++) {
        let t0 = performance.now();
        await runBatched();
        batchedMs.push(performance.now() - t0);
        t0 = performance.now();
        await runSingles();
        singleMs.push(performance.now() - t0);
        progress.tick();
      }
      const b = summarize(batchedMs);
      const s = summarize(singleMs);
      batching.push({ model: id, batch, batchedMs: b, singleMs: s, speedup: s.p50 / b.p50 });
    }
    progress.finish();
  }
  await registry.dispose();

  const command = `npm run bench -- speed ${argv.slice(3).join(' ')}`.trim();
  const report: SpeedReport = {
    command,
    machine: machineInfo(provider),
    settings: { runs, warmup, concurrency, batch, provider, packs },
    images: images.map((i) => i.label),
    stages: { ...(Object.fromEntries(STAGES.map((s) => [s, summarize(stageTimes[s])])) as Record<Stage, LatencySummary>), pipeline },
    endToEnd,
    livenessOnly,
    batching,
    notes,
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'speed.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(outDir, 'speed.md'), speedMarkdown(report));
  writeFileSync(path.join(outDir, 'speed-latency.svg'), histogramSvg({ title: `checkLiveness end to end, concurrency ${concurrency} (${endToEnd.requests} requests)`, xLabel: 'latency, ms', values: endToEndLatencies }));
  console.log(speedMarkdown(report));
  console.log(`wrote ${path.join(outDir, 'speed.json')}, speed.md, speed-latency.svg`);
  return report;
}

export function speedMarkdown(r: SpeedReport): string {
  const row = (name: string, s: LatencySummary) => `| ${name} | ${s.count} | ${fmt(s.mean)} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(s.p99)} |`;
  const lines = [
    `# Speed: checkLiveness pipeline (${r.settings.provider})`,
    '',
    `command: \`${r.command}\``,
    '',
    machineMarkdown(r.machine),
    `- settings: ${r.settings.runs} runs × ${r.images.length} images, ${r.settings.warmup} warm-up round(s) excluded, concurrency ${r.settings.concurrency}, batch ${r.settings.batch}; packs: ${r.settings.packs.join(', ') || 'none'}`,
    `- images: ${r.images.join('; ')}`,
    '',
    '| stage | n | mean ms | p50 ms | p95 ms | p99 ms |',
    '|---|---:|---:|---:|---:|---:|',
    ...STAGES.map((s) => row(s, r.stages[s])),
    row('sum of stages (per request)', r.stages.pipeline.latency),
    '',
    `| end to end | requests | wall s | throughput req/s | p50 ms | p95 ms | p99 ms |`,
    '|---|---:|---:|---:|---:|---:|---:|',
    `| staged pipeline | ${r.stages.pipeline.requests} | ${fmt(r.stages.pipeline.wallMs / 1000)} | ${fmt(r.stages.pipeline.throughput, 2)} | ${fmt(r.stages.pipeline.latency.p50)} | ${fmt(r.stages.pipeline.latency.p95)} | ${fmt(r.stages.pipeline.latency.p99)} |`,
    `| checkLiveness (everything) | ${r.endToEnd.requests} | ${fmt(r.endToEnd.wallMs / 1000)} | ${fmt(r.endToEnd.throughput, 2)} | ${fmt(r.endToEnd.latency.p50)} | ${fmt(r.endToEnd.latency.p95)} | ${fmt(r.endToEnd.latency.p99)} |`,
  ];
  // Reports written before the liveness-only phase existed have none.
  if (r.livenessOnly) {
    lines.push(`| checkLiveness (liveness only) | ${r.livenessOnly.requests} | ${fmt(r.livenessOnly.wallMs / 1000)} | ${fmt(r.livenessOnly.throughput, 2)} | ${fmt(r.livenessOnly.latency.p50)} | ${fmt(r.livenessOnly.latency.p95)} | ${fmt(r.livenessOnly.latency.p99)} |`);
  }
  if (r.batching.length) {
    lines.push('', `| model | batch | one run of ${r.settings.batch}, p50 ms | ${r.settings.batch} runs of 1, p50 ms | per face, batched ms | speed-up |`, '|---|---:|---:|---:|---:|---:|');
    for (const b of r.batching) lines.push(`| ${b.model} | ${b.batch} | ${fmt(b.batchedMs.p50)} | ${fmt(b.singleMs.p50)} | ${fmt(b.batchedMs.p50 / b.batch, 2)} | ${fmt(b.speedup, 2)}× |`);
  }
  lines.push('', ...r.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}
