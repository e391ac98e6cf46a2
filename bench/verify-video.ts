/**
 * `npm run bench -- verify-video [--runs=N] [--packs=DIR]`: cost of the verifyVideo use case on the 10 s
 * Hamilton clip (640×360 H.264, 40 frames sampled at 4 fps), in process, no HTTP: probe + frame decoding
 * alone, then the whole use case (selfie + video). With --packs=DIR the optional packs installed there
 * are used (MiniFASNet adds two models per frame).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ortVersion } from '../src/inference/session.js';
import { createVerifyVideo } from '../src/pipeline/verify-video.js';
import { videoBinaries } from '../src/video/binaries.js';
import { createVideoReader } from '../src/video/read-video.js';
import { loadBenchRegistry } from './registry.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.resolve(repoRoot, '..', 'shared', 'data');

function option(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function time(runs: number, work: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  await work(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await work();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const sorted = times.sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
}

export async function benchVerifyVideo(): Promise<void> {
  const runs = Number(option('runs') ?? '5');
  const packsDir = option('packs');
  const registry = await loadBenchRegistry(packsDir ? { packsDir } : {});
  const readVideo = createVideoReader({
    binaries: videoBinaries(),
    tempDir: path.join(os.tmpdir(), 'face-liveness-service', 'bench-video'),
    timeoutMs: 60_000,
    maxDurationSeconds: 60,
    maxPixels: 3840 * 2160,
    fps: 4,
    maxFrames: 40,
    maxSide: 640,
  });
  const verify = createVerifyVideo(registry, { maxImagePixels: 25_000_000, readVideo });
  const video = new Uint8Array(readFileSync(path.join(dataDir, 'videos/face_recognition_ageitgey/short_hamilton_clip.mp4')));
  const selfie = new Uint8Array(readFileSync(path.join(dataDir, 'identity/face_recognition_ageitgey/lin_manuel_miranda/lin-manuel-miranda.png')));
  const cpus = os.cpus();
  const packs = registry.packs.filter((p) => p.state === 'installed').map((p) => p.id);
  console.log(`# verifyVideo use-case cost: ${new Date().toISOString()}`);
  console.log(`machine: ${cpus.length} cores, ${cpus[0]?.model ?? 'unknown CPU'}; node ${process.versions.node}; onnxruntime-node ${ortVersion()} (cpu)`);
  console.log(`command: npm run bench -- verify-video --runs=${runs}${packsDir ? ` --packs=${packsDir}` : ''}; packs: ${packs.join(', ') || 'none'}`);
  console.log('input: short_hamilton_clip.mp4 (10.0 s, 640×360 H.264, 40 frames at 4 fps) + lin-manuel-miranda.png\n');
  console.log('| stage | p50 ms | p95 ms | per frame (p50) |');
  console.log('|---|---:|---:|---:|');
  const decode = await time(runs, () => readVideo(video));
  console.log(`| probe + decode 40 frames (ffprobe, ffmpeg → raw RGB pipe) | ${decode.p50.toFixed(0)} | ${decode.p95.toFixed(0)} | ${(decode.p50 / 40).toFixed(1)} |`);
  const whole = await time(runs, () => verify({ video, selfie }));
  console.log(`| whole use case (selfie + video: 40 frames analysed) | ${whole.p50.toFixed(0)} | ${whole.p95.toFixed(0)} | ${(whole.p50 / 40).toFixed(1)} |`);
  await registry.dispose();
}
