/**
 * `npm run bench -- check-liveness [--runs=N] [--packs=DIR] [--threads=main|worker]`: latency of the whole
 * checkLiveness use case (decode → detect → landmarks → liveness → checks → age/gender → crop), in process, no HTTP,
 * on real photos of different sizes; once with no quality checks and once with all 14 plus ageRange, gender and the
 * crop. With --packs=DIR the packs installed there are used (MiniFASNet, masked-face detector). `--threads=main`
 * (default, as this bench always ran) runs the models on this thread; `worker` on an inference thread, as the
 * service does by default (INFERENCE_THREAD=worker), so model runs and this thread's work overlap.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceThread } from '../src/inference/inference-thread.js';
import { ortVersion } from '../src/inference/session.js';
import { createCheckLiveness } from '../src/pipeline/check-liveness.js';
import { type LivenessOptions, QUALITY_CHECKS } from '../src/pipeline/types.js';
import { packageDir } from '../scripts/convert/recipe.js';
import { loadBenchRegistry } from './registry.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.resolve(repoRoot, '..', 'shared', 'data');

function option(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

const IMAGES = [
  ['face-api sample2 (3 faces)', path.join(packageDir('@vladmandic/face-api'), 'demo', 'sample2.jpg')],
  ['obama 480p', path.join(dataDir, 'attributes/face_recognition_ageitgey/obama-480p.jpg')],
  ['obama 1080p', path.join(dataDir, 'attributes/face_recognition_ageitgey/obama-1080p.jpg')],
  ['silent_face live (EXIF 6)', path.join(dataDir, 'liveness/silent_face/live/image_T1.jpg')],
] as const;

const PLANS: [string, LivenessOptions][] = [
  ['liveness only', { qualityChecks: [], ageRange: false, gender: false, croppedImage: false }],
  ['everything', { qualityChecks: QUALITY_CHECKS, ageRange: true, gender: true, croppedImage: true }],
];

export async function benchCheckLiveness(): Promise<void> {
  const runs = Number(option('runs') ?? '10');
  const packsDir = option('packs');
  const threads = option('threads') ?? 'main';
  if (threads !== 'main' && threads !== 'worker') throw new Error(`--threads: expected main or worker, got ${threads}`);
  const registry = await loadBenchRegistry({ ...(packsDir ? { packsDir } : {}), ...(threads === 'worker' ? { host: await InferenceThread.start() } : {}) });
  const check = createCheckLiveness(registry, { maxPixels: 25_000_000 });
  const cpus = os.cpus();
  const packs = registry.packs.filter((p) => p.state === 'installed').map((p) => p.id);
  console.log(`# checkLiveness use-case latency: ${new Date().toISOString()}`);
  console.log(`machine: ${cpus.length} cores, ${cpus[0]?.model ?? 'unknown CPU'}; node ${process.versions.node}; onnxruntime-node ${ortVersion()} (cpu)`);
  console.log(`command: npm run bench -- check-liveness --runs=${runs}${packsDir ? ` --packs=${packsDir}` : ''} --threads=${threads}; packs: ${packs.join(', ') || 'none'}\n`);
  console.log('| image | plan | p50 ms | p95 ms |');
  console.log('|---|---|---:|---:|');
  for (const [label, file] of IMAGES) {
    const bytes = new Uint8Array(readFileSync(file));
    for (const [plan, options] of PLANS) {
      await check(bytes, options); // warm-up
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = process.hrtime.bigint();
        await check(bytes, options);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      times.sort((a, b) => a - b);
      const at = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!.toFixed(0);
      console.log(`| ${label} | ${plan} | ${at(50)} | ${at(95)} |`);
    }
  }
  await registry.dispose();
}
