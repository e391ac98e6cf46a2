/**
 * `npm run bench -- batching [--runs=N] [--warmup=N] [--callers=1,4,8,16] [--max-batch=8] [--delay=0] [--threads=N] [--out=DIR]`
 *
 * Dynamic batching (src/inference/batcher.ts, issue #8) on CPU: for each model that takes a batch axis and
 * runs once per face (faceapi-face-recognition, faceapi-face-landmark-68) and each number of concurrent
 * callers, `--runs` single-face requests are made with batching off (every caller runs the session itself,
 * as with BATCH_MAX_SIZE=1) and on (the callers share a DynamicBatcher, maxBatch `--max-batch`, idle wait
 * `--delay` ms, 0 = greedy as the service default). Per request latency p50/p95 (queueing in the batcher included) and throughput
 * (requests ÷ wall time). Inputs are real faces: face-api's demo photos, padded and resized as face-api does.
 * Off and on alternate per caller count so that drift in the machine's load hits both alike.
 * Writes <out>/batching.json and batching.md (out = bench/out).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { packageDir } from '../scripts/convert/recipe.js';
import { DynamicBatcher } from '../src/inference/batcher.js';
import { FACE_LANDMARK_68_INPUT_SIZE } from '../src/inference/faceapi-face-landmark-68.js';
import { FACE_RECOGNITION_INPUT_SIZE } from '../src/inference/faceapi-face-recognition.js';
import { toFaceApiFaceInput } from '../src/inference/faceapi-net-input.js';
import { ModelSession, type Tensor } from '../src/inference/session.js';
import { machineInfo, machineMarkdown, type MachineInfo } from './machine.js';
import { fmt, intOption, type LatencySummary, option, summarize } from './stats.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const MODELS: readonly (readonly [id: string, inputSize: number])[] = [
  ['faceapi-face-recognition', FACE_RECOGNITION_INPUT_SIZE],
  ['faceapi-face-landmark-68', FACE_LANDMARK_68_INPUT_SIZE],
];

interface BatchingRow {
  model: string;
  callers: number;
  mode: 'off' | 'on';
  requests: number;
  wallMs: number;
  /** Requests per second. */
  throughput: number;
  latency: LatencySummary;
  /** Session runs made, and the mean faces per run. */
  sessionRuns: number;
  meanBatch: number;
}

export interface BatchingReport {
  command: string;
  machine: MachineInfo;
  settings: { runs: number; warmup: number; callers: number[]; maxBatch: number; maxDelayMs: number; intraOpThreads: number };
  rows: BatchingRow[];
}

/** `callers` workers take requests 0…total-1 in turn; returns each request's latency (ms) and the wall time (ms). */
async function closedLoop(total: number, callers: number, request: (index: number) => Promise<unknown>): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < total) {
      const index = next++;
      const start = performance.now();
      await request(index);
      latencies.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: Math.min(callers, total) }, worker));
  return { latencies, wallMs: performance.now() - t0 };
}

async function faceInputs(size: number): Promise<Tensor[]> {
  const dir = path.join(packageDir('@vladmandic/face-api'), 'demo');
  const inputs: Tensor[] = [];
  for (const i of [1, 2, 3, 4, 5, 6]) {
    const { data, info } = await sharp(path.join(dir, `sample${i}.jpg`)).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const image = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
    inputs.push({ data: toFaceApiFaceInput(image, { x: 0, y: 0, width: image.width, height: image.height }, size).tensor, dims: [1, 3, size, size] });
  }
  return inputs;
}

export async function benchBatching(argv: readonly string[] = process.argv): Promise<BatchingReport> {
  const runs = intOption('runs', 200, argv);
  const warmup = intOption('warmup', 20, argv, 0);
  const callers = (option('callers', argv) ?? '1,4,8,16').split(',').map(Number);
  if (callers.some((c) => !Number.isInteger(c) || c < 1)) throw new Error(`--callers: expected positive integers, got ${option('callers', argv)}`);
  const maxBatch = intOption('max-batch', 8, argv);
  const maxDelayMs = intOption('delay', 0, argv, 0);
  const intraOpThreads = intOption('threads', 0, argv, 0);
  const outDir = path.resolve(option('out', argv) ?? path.join(repoRoot, 'bench', 'out'));

  const rows: BatchingRow[] = [];
  for (const [id, size] of MODELS) {
    const session = await ModelSession.create(id, path.join(repoRoot, 'models', `${id}.onnx`), { executionProvider: 'cpu', cudaDeviceId: 0, intraOpThreads, interOpThreads: 0 });
    const inputs = await faceInputs(size);
    let sessionRuns = 0;
    let faces = 0;
    const counted = {
      label: session.label,
      inputs: session.inputs,
      outputs: session.outputs,
      run: (feeds: Record<string, Tensor>, outputNames?: readonly string[]) => {
        sessionRuns++;
        faces += feeds.input!.dims[0]!;
        return session.run(feeds, outputNames);
      },
    };
    const batcher = new DynamicBatcher(counted, { maxBatch, maxDelayMs });
    const modes = { off: counted, on: batcher } as const;
    for (const n of callers) {
      for (const mode of ['off', 'on'] as const) {
        const runner = modes[mode];
        await closedLoop(warmup, n, (i) => runner.run({ input: inputs[i % inputs.length]! }));
        sessionRuns = 0;
        faces = 0;
        const { latencies, wallMs } = await closedLoop(runs, n, (i) => runner.run({ input: inputs[i % inputs.length]! }));
        rows.push({ model: id, callers: n, mode, requests: runs, wallMs, throughput: (runs / wallMs) * 1000, latency: summarize(latencies), sessionRuns, meanBatch: faces / sessionRuns });
        console.error(`batching: ${id} callers ${n} ${mode}: p50 ${fmt(rows.at(-1)!.latency.p50)} ms, ${fmt(rows.at(-1)!.throughput)} req/s`);
      }
    }
    await session.release();
  }

  const report: BatchingReport = {
    command: `npm run bench -- batching ${argv.slice(3).join(' ')}`.trim(),
    machine: machineInfo('cpu'),
    settings: { runs, warmup, callers, maxBatch, maxDelayMs, intraOpThreads },
    rows,
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'batching.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(outDir, 'batching.md'), batchingMarkdown(report));
  console.log(batchingMarkdown(report));
  console.log(`wrote ${path.join(outDir, 'batching.json')}, batching.md`);
  return report;
}

export function batchingMarkdown(r: BatchingReport): string {
  const s = r.settings;
  const lines = [
    `# Dynamic batching on CPU`,
    '',
    `command: \`${r.command}\``,
    '',
    machineMarkdown(r.machine),
    `- settings: ${s.runs} single-face requests per row after ${s.warmup} warm-up; batching on = maxBatch ${s.maxBatch}, idle wait ${s.maxDelayMs} ms (0 = greedy); intra-op threads ${s.intraOpThreads || 'ORT default'}`,
    '',
    '| model | callers | batching | p50 ms | p95 ms | throughput req/s | faces per run |',
    '|---|---:|---|---:|---:|---:|---:|',
    ...r.rows.map((row) => `| ${row.model} | ${row.callers} | ${row.mode} | ${fmt(row.latency.p50, 2)} | ${fmt(row.latency.p95, 2)} | ${fmt(row.throughput)} | ${fmt(row.meanBatch, 2)} |`),
    '',
  ];
  return lines.join('\n');
}
