/**
 * Benchmark CLI. `npm run bench -- liveness` calibrates and evaluates the liveness fusion (bench/liveness.ts).
 * `npm run bench -- models [--runs=N] [--warmup=N] [--threads=N] [--image=FILE] [--provider=cpu|cuda] [--batches=1,8,32,128]`
 * times one batch-1 inference of every model in models/manifest.json on a real photo (face-api's
 * demo/sample1.jpg by default), resized and normalised as each manifest entry says, and says where ORT ran
 * the nodes (its profiler: nodes per provider, ops that left the provider asked for). With `--batches`, every
 * model with a batch axis also runs the same input stacked B times: p50 per run and faces/s = B ÷ p50.
 * Prints a markdown table with the machine it ran on, ready for bench/RESULTS.md.
 *
 * Model latency only: decoding, detection post-processing and HTTP are measured by the end-to-end
 * benchmarks (issue #5):
 * `npm run bench -- speed [--runs=N] [--warmup=N] [--concurrency=N] [--batch=N] [--provider=cpu|cuda] [--packs=DIR] [--out=DIR]`
 *   per-stage and end-to-end latency/throughput of checkLiveness in process (bench/speed.ts);
 * `npm run bench -- peers [--rounds=N] [--images=a.jpg,b.jpg] [--out=DIR]` ours vs face-api and Human on
 *   tfjs-wasm, interleaved rounds, throughput ratios with their spread (bench/peers.ts);
 * `npm run bench -- http [--url=URL] [--connections=N] [--duration=S] [--out=DIR]` autocannon against a
 *   running (or freshly started) service: checkLiveness, matchFace, verifyVideo (bench/http.ts).
 * `npm run bench -- where [--rounds=N] [--concurrency=1,2,4] [--max-batch=1,8] [--threads=worker,main]` where the
 *   time of a checkLiveness request goes: main thread, inference thread, CPU, batching (bench/where.ts);
 * `npm run bench -- challenge [--runs=N]` the active liveness challenge: per-action detection on the dev clips, the
 *   test recordings, random challenges against unprompted clips, and the cost of a 10 s clip (bench/challenge.ts);
 * `npm run bench -- replay [--runs=N] [--trials=N]` the replayed-recording fingerprint: re-uses of a recording
 *   (re-encoded, rescaled, trimmed, transcoded) against other recordings and other moments of one, and its cost
 *   (bench/replay.ts);
 * Reports go to bench/out/<mode>.{json,md} (+ SVG plots). Also runnable as the package bin (bench/bin.mjs).
 */
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { acceptsBatch } from '../src/inference/batcher.js';
import { concreteInputShape, type TensorInputSpec } from '../src/inference/manifest.js';
import { ortVersion, type Tensor } from '../src/inference/session.js';
import { packageDir } from '../scripts/convert/recipe.js';
import { benchCheckLiveness } from './check-liveness.js';
import { benchLiveness } from './liveness.js';
import { benchQuality } from './quality.js';
import { loadBenchRegistry } from './registry.js';


function option(name: string, fallback: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}

/** Builds a batch-1 input from a real image, following the manifest's layout, colour order and mean/std. */
async function inputFromImage(file: string, spec: TensorInputSpec): Promise<Tensor> {
  const shape = concreteInputShape(spec);
  if (!shape || shape.length !== 4) throw new Error(`input ${spec.name}: no concrete 4-D shape (declare typicalShape in the manifest)`);
  const [, a, b, c] = shape as [number, number, number, number];
  const [height, width] = spec.layout === 'NCHW' ? [b, c] : [a, b];
  const { data } = await sharp(file).rotate().removeAlpha().resize(width, height, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let ch = 0; ch < 3; ch++) {
      const source = spec.colorOrder === 'RGB' ? ch : 2 - ch;
      const value = (data[i * 3 + source]! - spec.mean[ch]!) / spec.std[ch]!;
      out[spec.layout === 'NCHW' ? ch * plane + i : i * 3 + ch] = value;
    }
  }
  return { data: out, dims: shape };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function benchModels(): Promise<void> {
  const runs = Number(option('runs', '30'));
  const warmup = Number(option('warmup', '3'));
  const threads = Number(option('threads', '0'));
  const provider = option('provider', 'cpu');
  if (provider !== 'cpu' && provider !== 'cuda') throw new Error(`--provider: expected cpu or cuda, got ${provider}`);
  const image = option('image', path.join(packageDir('@vladmandic/face-api'), 'demo', 'sample1.jpg'));
  const batches = option('batches', '1').split(',').map(Number);
  if (batches.some((b) => !Number.isInteger(b) || b < 1)) throw new Error(`--batches: expected positive integers, got ${option('batches', '1')}`);
  const loadStart = performance.now();
  const registry = await loadBenchRegistry({ provider, intraOpThreads: threads });
  const loadMs = performance.now() - loadStart;
  const warmStart = performance.now();
  await registry.warmUp();
  const warmMs = performance.now() - warmStart;
  // On another provider, the same inputs also run on the CPU: cuDNN may pick other convolution algorithms, so the
  // outputs are compared (largest |difference| over every output value, in the output's own units).
  const reference = provider === 'cpu' ? undefined : await loadBenchRegistry({ provider: 'cpu', intraOpThreads: threads });
  const cpus = os.cpus();
  console.log(`# models bench: ${new Date().toISOString()}`);
  console.log(`machine: ${cpus.length} cores, ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.versions.node}; onnxruntime-node ${ortVersion()} (${provider}, intra-op threads ${threads || 'ORT default'})`);
  console.log(
    `first call: sessions created in ${(loadMs / 1000).toFixed(1)} s, every model's first run (registry.warmUp) ${(warmMs / 1000).toFixed(1)} s\n` +
    `command: npm run bench -- models --runs=${runs} --warmup=${warmup}${threads ? ` --threads=${threads}` : ''}${provider !== 'cpu' ? ` --provider=${provider}` : ''}${batches.length > 1 || batches[0] !== 1 ? ` --batches=${batches.join(',')}` : ''}; input: ${path.basename(image)}\n`,
  );
  const time = async (run: () => Promise<unknown>) => {
    for (let i = 0; i < warmup; i++) await run();
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      await run();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return { sorted: [...times].sort((x, y) => x - y), mean: times.reduce((s, t) => s + t, 0) / times.length };
  };
  const batchedRows: string[] = [];
  console.log(`| model | task | input | mean ms | p50 ms | p95 ms | nodes per provider (first run) | ops off the provider asked for |${reference ? ' max abs diff vs CPU |' : ''}`);
  console.log(`|---|---|---|---:|---:|---:|---|---|${reference ? '---:|' : ''}`);
  for (const { entry, session } of registry.list()) {
    const feeds: Record<string, Tensor> = {};
    for (const spec of entry.inputs) feeds[spec.name] = await inputFromImage(image, spec);
    const { sorted, mean } = await time(() => session.run(feeds));
    const dims = Object.values(feeds).map((f) => f.dims.join('×')).join(', ');
    const placed = session.placement;
    const nodes = placed ? Object.entries(placed.nodes).map(([p, n]) => `${p.replace('ExecutionProvider', '')} ${n}`).join(', ') : `not measured (${session.placementProblem ?? 'no run'})`;
    let parity = '';
    if (reference) {
      const [ours, cpu] = [await session.run(feeds), await reference.get(entry.id).session.run(feeds)];
      let worst = 0;
      for (const [name, tensor] of Object.entries(ours)) {
        const other = cpu[name]!.data;
        for (let i = 0; i < tensor.data.length; i++) worst = Math.max(worst, Math.abs(tensor.data[i]! - other[i]!));
      }
      parity = ` ${worst.toExponential(1)} |`;
    }
    console.log(
      `| ${entry.id} | ${entry.task} | ${dims} | ${mean.toFixed(2)} | ${percentile(sorted, 50).toFixed(2)} | ${percentile(sorted, 95).toFixed(2)} | ${nodes} | ${placed?.otherProviderOps.join(', ') || '—'} |${parity}`,
    );
    const batchable = acceptsBatch(session);
    for (const b of batches.length > 1 || batches[0] !== 1 ? batches : []) {
      if (b === 1) {
        batchedRows.push(`| ${entry.id} | 1 | ${percentile(sorted, 50).toFixed(2)} | ${((1 / percentile(sorted, 50)) * 1000).toFixed(0)} |`);
        continue;
      }
      if (!batchable) {
        batchedRows.push(`| ${entry.id} | ${b} | fixed batch 1 | — |`);
        continue;
      }
      const stacked = Object.fromEntries(
        Object.entries(feeds).map(([name, t]) => {
          const data = new Float32Array(t.data.length * b);
          for (let k = 0; k < b; k++) data.set(t.data, k * t.data.length);
          return [name, { data, dims: [b, ...t.dims.slice(1)] }];
        }),
      );
      const run = await time(() => session.run(stacked));
      const p50 = percentile(run.sorted, 50);
      batchedRows.push(`| ${entry.id} | ${b} | ${p50.toFixed(2)} | ${((b / p50) * 1000).toFixed(0)} |`);
    }
  }
  if (batchedRows.length > 0) {
    console.log('\n| model | batch | p50 ms per run | faces/s |');
    console.log('|---|---:|---:|---:|');
    for (const row of batchedRows) console.log(row);
  }
  await registry.dispose();
  await reference?.dispose();
}

const commands: Record<string, () => Promise<void>> = {
  models: benchModels,
  liveness: benchLiveness,
  quality: benchQuality,
  'check-liveness': benchCheckLiveness,
  match: async () => (await import('./match.js')).benchMatch(),
  'face-search': async () => (await import('./face-search.js')).benchFaceSearch(),
  cascade: async () => (await import('./cascade.js')).benchCascade(),
  'verify-video': async () => (await import('./verify-video.js')).benchVerifyVideo(),
  challenge: async () => (await import('./challenge.js')).benchChallenge(),
  replay: async () => (await import('./replay.js')).benchReplay(),
  accuracy: async () => (await import('./accuracy.js')).benchAccuracy(),
  speed: async () => void (await (await import('./speed.js')).benchSpeed()),
  peers: async () => void (await (await import('./peers.js')).benchPeers()),
  http: async () => void (await (await import('./http.js')).benchHttp()),
  batching: async () => void (await (await import('./batching.js')).benchBatching()),
  where: async () => void (await (await import('./where.js')).benchWhere()),
  soak: async () => void (await (await import('./soak.js')).benchSoak()),
  'job-queue': async () => (await import('./job-queue.js')).benchJobQueue(),
  replicas: async () => (await import('./replicas.js')).benchReplicas(),
};
/**
 * What `npm run bench -- --help` (or `help`, `-h`) prints: every mode, what it measures and the options its file reads
 * (test/bench/cli-help.test.ts checks that each option listed is read by that mode's file, and that every mode is here).
 */
const MODE_HELP: Record<keyof typeof commands, { summary: string; options: string[] }> = {
  models: { summary: 'one batch-1 inference of every model in models/manifest.json on a real photo; where ORT ran the nodes', options: ['runs=N', 'warmup=N', 'threads=N', 'image=FILE', 'provider=cpu|cuda', 'batches=1,8,32'] },
  liveness: { summary: 'calibrates and evaluates the liveness fusion on the labelled liveness sets', options: ['include=SETS', 'exclude=SETS', 'lambda=X', 'fps=N', 'scores=FILE'] },
  quality: { summary: 'the 14 quality checks on the labelled attribute sets: counts per check', options: ['verbose', 'no-pack', 'brisque'] },
  'check-liveness': { summary: 'checkLiveness p50/p95 per image, in process', options: ['runs=N', 'packs=DIR', 'threads=worker|main'] },
  match: { summary: 'matchFace accuracy on the identity sets (TAR at FAR, EER)', options: [] },
  'face-search': { summary: 'the face search for small and hard-to-find faces: detector runs and hits', options: ['runs=N'] },
  cascade: { summary: 'the detector cascade against the SSD alone on every image set (with YuNet packs: YuNet as the face counter)', options: ['data=DIR', 'packs=DIR'] },
  'verify-video': { summary: 'verifyVideo on the dev clips, with and without a challenge: time per stage', options: ['runs=N', 'packs=DIR'] },
  challenge: { summary: 'the active liveness challenge: per-action detection, test recordings, random challenges, cost of a 10 s clip', options: ['runs=N'] },
  replay: { summary: 'the replayed-recording fingerprint: re-uses against other recordings, thresholds, cost', options: ['runs=N', 'trials=N'] },
  accuracy: { summary: 'matchFace / verifyVideo accuracy on the labelled dev data, in process or over HTTP', options: ['data=DIR', 'packs=DIR', 'max-impostors=N', 'http=URL', 'app-id=ID', 'app-key=KEY', 'out=DIR'] },
  speed: { summary: 'per-stage and end-to-end latency and throughput of checkLiveness, in process', options: ['runs=N', 'warmup=N', 'concurrency=N', 'batch=N', 'provider=cpu|cuda', 'packs=DIR', 'out=DIR'] },
  peers: { summary: 'ours against face-api and Human on tfjs-wasm, interleaved rounds, throughput ratios', options: ['rounds=N', 'warmup=N', 'images=a.jpg,b.jpg', 'ort-threads=N', 'out=DIR'] },
  http: { summary: 'autocannon against a running (or freshly started) service', options: ['url=URL', 'connections=N', 'duration=S', 'concurrency=N', 'queue=N', 'rate-limit=N', 'video=FILE', 'app-id=ID', 'app-key=KEY', 'out=DIR'] },
  batching: { summary: 'dynamic batching: callers, batch sizes and waits', options: ['runs=N', 'warmup=N', 'callers=N', 'max-batch=N', 'delay=MS', 'threads=worker|main', 'out=DIR'] },
  where: { summary: 'where the time of a checkLiveness request goes: main thread, inference thread, CPU, batching', options: ['rounds=N', 'concurrency=1,2,4', 'max-batch=1,8', 'threads=worker,main', 'provider=cpu|cuda', 'out=DIR'] },
  soak: { summary: 'a long run against a listening service: memory and latency over time', options: ['requests=N', 'concurrency=N', 'endpoint=NAME', 'image=FILE', 'id-image=FILE', 'every=N', 'out=DIR'] },
  'job-queue': { summary: 'the PostgreSQL job queue with 1 and 2 replicas on one database: jobs/s with a fixed-cost handler', options: ['jobs=N', 'handler-ms=200,0', 'replicas=1,2', 'concurrency=N', 'database-url=URL', 'out=DIR'] },
  replicas: { summary: 'real sessions (selfie + 10 s clip, the real models) on 1 and 2 service processes sharing PostgreSQL and S3: sessions/min, p50 per session', options: ['sessions=N', 'replicas=1,2', 'out=DIR'] },
};

function printHelp(): void {
  console.log('Usage: npm run bench -- <mode> [--option=value …]   (default mode: models)\n');
  console.log('Reports go to bench/out/<mode>.{json,md}; results worth keeping are recorded in bench/RESULTS.md.\n');
  for (const [mode, help] of Object.entries(MODE_HELP)) {
    console.log(`  ${mode}`);
    console.log(`      ${help.summary}`);
    if (help.options.length > 0) console.log(`      options: ${help.options.map((o) => `--${o}`).join(' ')}`);
  }
}

const command = process.argv[2] ?? 'models';
if (command === '--help' || command === '-h' || command === 'help') {
  printHelp();
  process.exit(0);
}
const run = commands[command];
if (!run) {
  console.error(`unknown bench command ${command}: expected one of ${Object.keys(commands).join(', ')} (npm run bench -- --help)`);
  process.exit(2);
}
if (process.argv.includes('--help')) {
  const help = MODE_HELP[command as keyof typeof commands]!;
  console.log(`npm run bench -- ${command} ${help.options.map((o) => `[--${o}]`).join(' ')}\n  ${help.summary}`);
  process.exit(0);
}
run().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
