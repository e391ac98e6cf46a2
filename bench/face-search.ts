/**
 * `npm run bench -- face-search [--runs=3]`: what the matchFace face search costs on uploads where it finds nothing
 * (every retry runs) and on a normal selfie: wall time, the longest event-loop stall, peak RSS, and the work
 * (detector runs, pixels of the views). Issue #13: a 24 KB PNG of 5000 × 5000 zeros took 20–24 s, 2 GB and stalled
 * the event loop for up to 6.7 s before its 422. The uploads are made here (sharp), nothing is read from disk but the
 * selfie.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { decodeImage } from '../src/imaging/decode.js';
import { ortVersion } from '../src/inference/session.js';
import { FaceAnalyzer } from '../src/pipeline/analyze.js';
import { type FaceSearchWork, findFace } from '../src/pipeline/match-face.js';
import { loadBenchRegistry } from './registry.js';

const dataDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data');

function option(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

const blank = (side: number) => sharp({ create: { width: side, height: side, channels: 3, background: '#000000' } }).png().toBuffer();

export async function benchFaceSearch(): Promise<void> {
  const runs = Number(option('runs') ?? '3');
  const registry = await loadBenchRegistry();
  const analyzer = new FaceAnalyzer(registry);
  const cpus = os.cpus();
  const cases: [string, Uint8Array][] = [
    ['5000 × 5000 zeros (PNG, 24 KB)', new Uint8Array(await blank(5000))],
    ['2000 × 2000 zeros (PNG)', new Uint8Array(await blank(2000))],
    ['obama 1080p selfie (JPEG)', new Uint8Array(readFileSync(path.join(dataDir, 'attributes/face_recognition_ageitgey/obama-1080p.jpg')))],
  ];
  console.log(`# matchFace face search: ${new Date().toISOString()}`);
  console.log(`machine: ${cpus.length} cores, ${cpus[0]?.model ?? 'unknown CPU'}; node ${process.versions.node}; onnxruntime-node ${ortVersion()} (cpu)`);
  console.log(`command: npm run bench -- face-search --runs=${runs}\n`);
  console.log('| upload | found | wall ms (median) | longest event-loop stall ms | peak RSS MB | detector runs | view pixels (M) |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const [label, bytes] of cases) {
    const times: number[] = [];
    let stall = 0;
    let found = false;
    const work: FaceSearchWork = { detectorRuns: 0, pixels: 0 };
    for (let i = 0; i < runs; i++) {
      const delay = monitorEventLoopDelay({ resolution: 5 });
      delay.enable();
      const t0 = performance.now();
      const image = await decodeImage(bytes, { maxPixels: 25_000_000 });
      const run: FaceSearchWork = { detectorRuns: 0, pixels: 0 };
      found = (await findFace(analyzer, image, run)) !== undefined;
      times.push(performance.now() - t0);
      delay.disable();
      stall = Math.max(stall, delay.max / 1e6);
      Object.assign(work, run);
    }
    times.sort((a, b) => a - b);
    const rss = process.resourceUsage().maxRSS / 1024;
    console.log(`| ${label} | ${found ? 'yes' : 'no'} | ${times[Math.floor(times.length / 2)]!.toFixed(0)} | ${stall.toFixed(0)} | ${rss.toFixed(0)} | ${work.detectorRuns} | ${(work.pixels / 1e6).toFixed(1)} |`);
  }
  console.log('\nPeak RSS is the process peak so far (it only grows): read each row as "at most".');
  await registry.dispose();
}
