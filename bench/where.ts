/**
 * `npm run bench -- where [--rounds=N] [--concurrency=1,2,4] [--max-batch=1,8] [--threads=worker,main] [--provider=cpu|cuda] [--out=DIR]`
 *
 * Where the time of a checkLiveness request goes (issue #8), in process, with everything on (14 checks, age,
 * gender, cropped image), on the speed bench's four photos. For each inference-thread mode (INFERENCE_THREAD),
 * dynamic batching setting (BATCH_MAX_SIZE, greedy: no deadline) and concurrency:
 * - throughput (requests ÷ wall time) and latency p50 / p95;
 * - main-thread busy ms per request (performance.eventLoopUtilization): JSON, decoding callbacks, every
 *   pre-/post-processing step, and in `main` mode the model runs too (onnxruntime-node runs synchronously);
 *   it counts a thread that is runnable but waits for a core as busy, so on a loaded machine it swells;
 * - main-thread CPU ms per request (Linux: the thread's own utime + stime, /proc/self/task/<pid>/stat): the time it
 *   actually ran, which other processes' load does not inflate (10 ms clock ticks, summed over the run);
 * - inference-thread busy ms per request (the worker's own utilisation): the model runs, in `worker` mode;
 * - process CPU ms per request (process.cpuUsage: every thread, ORT's intra-op pool and libvips included);
 * - faces per model run on the per-face models when batching is on.
 * Configurations alternate within every round, so drift in the machine's load hits them alike.
 * Also: sharp decode alone (the decode stage of checkLiveness) at 1 and 4 in flight, images/s and CPU ms/image.
 * Writes <out>/where.json and where.md (out = bench/out).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../src/imaging/decode.js';
import { InferenceThread } from '../src/inference/inference-thread.js';
import { ModelRegistry } from '../src/inference/registry.js';
import { EXECUTION_PROVIDERS, type ExecutionProvider } from '../src/inference/session.js';
import { createCheckLiveness } from '../src/pipeline/check-liveness.js';
import { type LivenessOptions, QUALITY_CHECKS } from '../src/pipeline/types.js';
import { machineInfo, machineMarkdown, type MachineInfo } from './machine.js';
import { runConcurrently, SPEED_IMAGES } from './speed.js';
import { fmt, intOption, type LatencySummary, option, summarize } from './stats.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EVERYTHING: LivenessOptions = { qualityChecks: QUALITY_CHECKS, ageRange: true, gender: true, croppedImage: true };
const MAX_PIXELS = 25_000_000;
/** Per-face models whose batching is reported (each runs once per request on the primary face). */
const PER_FACE_MODELS = ['faceapi-face-landmark-68', 'human-antispoof', 'faceapi-age-gender', 'faceapi-face-recognition'] as const;

type ThreadMode = 'worker' | 'main';

interface Setting {
  thread: ThreadMode;
  maxBatch: number;
  concurrency: number;
}

interface WhereRow extends Setting {
  requests: number;
  throughput: number;
  latency: LatencySummary;
  mainBusyMsPerRequest: number;
  /** The main thread's own CPU time (utime + stime), ms per request; null where /proc is not there. */
  mainCpuMsPerRequest: number | null;
  inferenceBusyMsPerRequest: number | null;
  cpuMsPerRequest: number;
  /** Mean faces per run over PER_FACE_MODELS (1 when batching is off). */
  facesPerRun: number;
}

interface DecodeRow {
  inFlight: number;
  images: number;
  imagesPerSecond: number;
  cpuMsPerImage: number;
  latency: LatencySummary;
}

export interface WhereReport {
  command: string;
  machine: MachineInfo;
  settings: { rounds: number; provider: ExecutionProvider; images: string[] };
  rows: WhereRow[];
  decode: DecodeRow[];
}

/** Clock ticks per second of /proc's utime and stime (sysconf(_SC_CLK_TCK), 100 on Linux x86-64). */
const clockTicksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time of this process's main thread so far, ms (utime + stime of /proc/self/task/<pid>/stat, fields 14 and 15;
 * the main thread's id is the process id), or undefined without /proc. The fields are counted after the `comm`
 * field's closing parenthesis, since a thread name may hold spaces.
 */
export function mainThreadCpuMs(): number | undefined {
  const file = `/proc/self/task/${process.pid}/stat`;
  if (!existsSync(file)) return undefined;
  const stat = readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is the state (field 3), so utime (field 14) is fields[11] and stime (field 15) fields[12].
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond;
}

const list = (name: string, fallback: string, argv: readonly string[]) => (option(name, argv) ?? fallback).split(',').map((v) => v.trim()).filter(Boolean);

export async function benchWhere(argv: readonly string[] = process.argv): Promise<WhereReport> {
  const rounds = intOption('rounds', 3, argv);
  const concurrencies = list('concurrency', '1,2,4', argv).map(Number);
  const batches = list('max-batch', '1,8', argv).map(Number);
  const threads = list('threads', 'worker,main', argv) as ThreadMode[];
  const provider = (option('provider', argv) ?? 'cpu') as ExecutionProvider;
  if (!(provider in EXECUTION_PROVIDERS)) throw new Error(`--provider=${provider}: expected one of ${Object.keys(EXECUTION_PROVIDERS).join(', ')}`);
  if (threads.some((t) => t !== 'worker' && t !== 'main')) throw new Error(`--threads: expected worker and/or main, got ${threads.join(',')}`);
  const outDir = path.resolve(option('out', argv) ?? path.join(repoRoot, 'bench', 'out'));
  const images = SPEED_IMAGES.map(([, file]) => new Uint8Array(readFileSync(file)));
  const sessionOptions = { executionProvider: provider, cudaDeviceId: 0, intraOpThreads: 0, interOpThreads: 0 };

  // One registry per (thread mode, batching): loaded once, warmed up, reused by every round.
  const setups = new Map<string, { registry: ModelRegistry; thread: InferenceThread | undefined; check: ReturnType<typeof createCheckLiveness> }>();
  for (const thread of threads) {
    for (const maxBatch of batches) {
      const host = thread === 'worker' ? await InferenceThread.start() : undefined;
      const started = performance.now();
      const registry = await ModelRegistry.load(path.join(repoRoot, 'models'), sessionOptions, undefined, { maxBatch, maxDelayMs: 0 }, host);
      await registry.warmUp();
      process.stderr.write(`${thread} batch ${maxBatch}: models loaded and warmed up (registry.warmUp, as at start-up) in ${fmt((performance.now() - started) / 1000, 1)} s\n`);
      const check = createCheckLiveness(registry, { maxPixels: MAX_PIXELS });
      for (const image of images) await check(image, EVERYTHING); // warm-up: JIT, ORT allocations
      setups.set(`${thread}/${maxBatch}`, { registry, thread: host, check });
    }
  }

  const settings: Setting[] = threads.flatMap((thread) => batches.flatMap((maxBatch) => concurrencies.map((concurrency) => ({ thread, maxBatch, concurrency }))));
  const samples = new Map<Setting, { latencies: number[]; wallMs: number; mainMs: number; mainCpuMs: number | null; inferenceMs: number; cpuMs: number; requests: number; runs: number; faces: number }>();
  for (const s of settings) samples.set(s, { latencies: [], wallMs: 0, mainMs: 0, mainCpuMs: 0, inferenceMs: 0, cpuMs: 0, requests: 0, runs: 0, faces: 0 });
  for (let round = 0; round < rounds; round++) {
    for (const s of settings) {
      const setup = setups.get(`${s.thread}/${s.maxBatch}`)!;
      const acc = samples.get(s)!;
      const total = images.length * Math.max(2, s.concurrency);
      const batchBefore = PER_FACE_MODELS.map((id) => setup.registry.batchingOf(setup.registry.get(id)));
      const elu0 = performance.eventLoopUtilization();
      const workerElu0 = setup.thread?.eventLoopUtilization();
      const cpu0 = process.cpuUsage();
      const mainCpu0 = mainThreadCpuMs();
      const wallMs = await runConcurrently(total, s.concurrency, async (i) => {
        const t0 = performance.now();
        await setup.check(images[i % images.length]!, EVERYTHING);
        acc.latencies.push(performance.now() - t0);
      });
      const cpu = process.cpuUsage(cpu0);
      const mainCpu1 = mainThreadCpuMs();
      acc.mainMs += performance.eventLoopUtilization(elu0).active;
      acc.mainCpuMs = acc.mainCpuMs === null || mainCpu0 === undefined || mainCpu1 === undefined ? null : acc.mainCpuMs + (mainCpu1 - mainCpu0);
      if (setup.thread && workerElu0) acc.inferenceMs += setup.thread.eventLoopUtilization(workerElu0).active;
      acc.cpuMs += (cpu.user + cpu.system) / 1000;
      acc.wallMs += wallMs;
      acc.requests += total;
      PER_FACE_MODELS.forEach((id, k) => {
        const after = setup.registry.batchingOf(setup.registry.get(id));
        const before = batchBefore[k]!;
        if (after.state === 'on' && before.state === 'on') {
          acc.runs += after.batches - before.batches;
          acc.faces += after.rows - before.rows;
        }
      });
      process.stderr.write(`round ${round + 1}/${rounds}: ${s.thread} batch ${s.maxBatch} concurrency ${s.concurrency}: ${fmt((total / wallMs) * 1000, 2)} req/s\n`);
    }
  }
  const rows: WhereRow[] = settings.map((s) => {
    const a = samples.get(s)!;
    return {
      ...s,
      requests: a.requests,
      throughput: (a.requests / a.wallMs) * 1000,
      latency: summarize(a.latencies),
      mainBusyMsPerRequest: a.mainMs / a.requests,
      mainCpuMsPerRequest: a.mainCpuMs === null ? null : a.mainCpuMs / a.requests,
      inferenceBusyMsPerRequest: s.thread === 'worker' ? a.inferenceMs / a.requests : null,
      cpuMsPerRequest: a.cpuMs / a.requests,
      facesPerRun: a.runs === 0 ? 1 : a.faces / a.runs,
    };
  });
  for (const { registry } of setups.values()) await registry.dispose();

  // Decode alone: sharp on libuv's threadpool (UV_THREADPOOL_SIZE, default 4), libvips threads inside each image.
  const decode: DecodeRow[] = [];
  for (const inFlight of [1, 4]) {
    const latencies: number[] = [];
    const total = images.length * 10;
    const cpu0 = process.cpuUsage();
    const wallMs = await runConcurrently(total, inFlight, async (i) => {
      const t0 = performance.now();
      await decodeImage(images[i % images.length]!, { maxPixels: MAX_PIXELS });
      latencies.push(performance.now() - t0);
    });
    const cpu = process.cpuUsage(cpu0);
    decode.push({ inFlight, images: total, imagesPerSecond: (total / wallMs) * 1000, cpuMsPerImage: (cpu.user + cpu.system) / 1000 / total, latency: summarize(latencies) });
  }

  const report: WhereReport = {
    command: `npm run bench -- where ${argv.slice(3).join(' ')}`.trim(),
    machine: machineInfo(provider),
    settings: { rounds, provider, images: SPEED_IMAGES.map(([label]) => label) },
    rows,
    decode,
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'where.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(outDir, 'where.md'), whereMarkdown(report));
  process.stdout.write(whereMarkdown(report));
  return report;
}

export function whereMarkdown(r: WhereReport): string {
  const lines = [
    `### Where the time goes: checkLiveness, everything on (\`${r.command}\`)`,
    '',
    machineMarkdown(r.machine),
    '',
    `${r.settings.rounds} rounds over ${r.settings.images.join(', ')}; configurations alternate within each round. ms per request are totals ÷ requests.`,
    '',
    '| models on | max batch | concurrency | req/s | p50 ms | p95 ms | main thread busy ms/req | main thread CPU ms/req | inference thread busy ms/req | CPU ms/req (all threads) | faces per run |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map(
      (w) =>
        `| ${w.thread} | ${w.maxBatch} | ${w.concurrency} | ${fmt(w.throughput, 2)} | ${fmt(w.latency.p50)} | ${fmt(w.latency.p95)} | ${fmt(w.mainBusyMsPerRequest)} | ${w.mainCpuMsPerRequest === null ? '—' : fmt(w.mainCpuMsPerRequest)} | ${w.inferenceBusyMsPerRequest === null ? '—' : fmt(w.inferenceBusyMsPerRequest)} | ${fmt(w.cpuMsPerRequest)} | ${fmt(w.facesPerRun, 2)} |`,
    ),
    '',
    'Decode alone (sharp: EXIF rotation, RGB, pixel limit), the same photos:',
    '',
    '| in flight | images/s | p50 ms | p95 ms | CPU ms/image |',
    '|---:|---:|---:|---:|---:|',
    ...r.decode.map((d) => `| ${d.inFlight} | ${fmt(d.imagesPerSecond, 1)} | ${fmt(d.latency.p50)} | ${fmt(d.latency.p95)} | ${fmt(d.cpuMsPerImage)} |`),
    '',
  ];
  return `${lines.join('\n')}\n`;
}
