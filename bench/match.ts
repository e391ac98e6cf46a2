/**
 * Face match evaluation: `npm run bench -- match [--verbose]`.
 *
 * Every image of ../shared/data/identity (labels/identity.csv) goes through the matchFace face search
 * (src/pipeline/match-face.ts findFace: original → padded → contrast-stretched → tiles) and gets
 * face-api's 128-d descriptor on its dlib-aligned box (FaceEmbedder, what the service uses). Pairs are all
 * pairs of images within each source set: same identity folder = genuine, different = impostor (sets are
 * never mixed: their photos differ in kind, e.g. bbt_faceapi are 150² grey tight crops).
 *
 * Prints, per embedding variant, TAR at FAR 1 % and 0.1 %, the EER, the distance distributions, and the
 * counts at the service's threshold (MATCH_DISTANCE_THRESHOLD). Variants:
 *  - `dlib box` (the service): face-api's own alignment (landmarks → dlib box, no rotation);
 *  - `roll-corrected`: the same dlib box computed in the upright aligned crop of analyze.ts (roll removed).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../src/imaging/decode.js';
import { FaceApiFaceRecognition } from '../src/inference/faceapi-face-recognition.js';
import { ortVersion } from '../src/inference/session.js';
import { dlibAlignedBox, euclideanDistance } from '../src/pipeline/face-embedding.js';
import {
  MATCH_DISTANCE_THRESHOLD,
  MATCH_LOW_CONFIDENCE_BAND,
  MatchFaceDescriber,
  matchScore,
  type FaceSearchAttempt,
} from '../src/pipeline/match-face.js';
import type { FaceAnalysis, Point } from '../src/pipeline/types.js';
import { loadBenchRegistry } from './registry.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataRoot = path.resolve(repoRoot, '..', 'shared', 'data');

export interface IdentityImage {
  /** Path relative to ../shared/data. */
  path: string;
  /** `<set>/<person>`: same key = same person. */
  identity: string;
  set: string;
}

/** labels/identity.csv → images (path,identity_key,identity,source_set,source_repo). */
export function readIdentityLabels(root = dataRoot): IdentityImage[] {
  const lines = readFileSync(path.join(root, 'labels', 'identity.csv'), 'utf8').trim().split('\n').slice(1);
  return lines.map((line) => {
    const [file, identity, , set] = line.split(',');
    if (!file || !identity || !set) throw new Error(`labels/identity.csv: malformed line "${line}"`);
    return { path: file, identity, set };
  });
}

export interface Pair {
  a: number;
  b: number;
  genuine: boolean;
}

/** All pairs within each source set (indices into `images`). */
export function identityPairs(images: readonly IdentityImage[]): Pair[] {
  const pairs: Pair[] = [];
  for (let a = 0; a < images.length; a++) {
    for (let b = a + 1; b < images.length; b++) {
      if (images[a]!.set !== images[b]!.set) continue;
      pairs.push({ a, b, genuine: images[a]!.identity === images[b]!.identity });
    }
  }
  return pairs;
}

export interface VerificationRates {
  /** Highest TAR (genuine accepted, 0–1) with FAR ≤ the target, and the distance threshold giving it (accept when < threshold). */
  tarAtFar(targetFar: number): { tar: number; far: number; threshold: number };
  /** Equal error rate (0–1): where FAR = FRR, averaged at the crossing, and its threshold. */
  eer: { rate: number; threshold: number };
}

/** ROC over distance thresholds (accept = distance < threshold): every midpoint between sorted distances is tried. */
export function verificationRates(genuine: readonly number[], impostor: readonly number[]): VerificationRates {
  const all = [...genuine, ...impostor].sort((x, y) => x - y);
  const thresholds = [all[0]! - 1e-6, ...all.slice(1).map((d, i) => (d + all[i]!) / 2), all.at(-1)! + 1e-6];
  const rate = (values: readonly number[], t: number) => values.filter((d) => d < t).length / values.length;
  const points = thresholds.map((t) => ({ threshold: t, tar: rate(genuine, t), far: rate(impostor, t) }));
  let eer = { rate: 1, threshold: 0, gap: Infinity };
  for (const p of points) {
    const frr = 1 - p.tar;
    const gap = Math.abs(frr - p.far);
    if (gap < eer.gap) eer = { rate: (frr + p.far) / 2, threshold: p.threshold, gap };
  }
  return {
    tarAtFar(targetFar) {
      let best = { tar: 0, far: 0, threshold: thresholds[0]! };
      for (const p of points) if (p.far <= targetFar && p.tar > best.tar) best = p;
      return best;
    },
    eer: { rate: eer.rate, threshold: eer.threshold },
  };
}

/** Landmarks in the upright aligned crop's pixels: crop = R(−roll)·(image − origin) / scale. */
function landmarksInAlignedCrop(analysis: FaceAnalysis): Point[] {
  const { origin, scale } = analysis.alignedFace;
  const cos = Math.cos(-analysis.roll);
  const sin = Math.sin(-analysis.roll);
  return analysis.landmarks68.map((p) => {
    const x = p.x - origin.x;
    const y = p.y - origin.y;
    return { x: (cos * x - sin * y) / scale, y: (sin * x + cos * y) / scale };
  });
}

const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)} %`;
const quantiles = (values: number[]) => {
  const s = [...values].sort((x, y) => x - y);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `min ${s[0]!.toFixed(3)}, p5 ${q(0.05).toFixed(3)}, median ${q(0.5).toFixed(3)}, p95 ${q(0.95).toFixed(3)}, max ${s.at(-1)!.toFixed(3)}`;
};

export async function benchMatch(): Promise<void> {
  const verbose = process.argv.includes('--verbose');
  const registry = await loadBenchRegistry();
  const describer = new MatchFaceDescriber(registry);
  const recognition = new FaceApiFaceRecognition(registry.get('faceapi-face-recognition').session);
  const images = readIdentityLabels();
  const started = Date.now();

  const service: (Float32Array | undefined)[] = [];
  const rolled: (Float32Array | undefined)[] = [];
  const attempts = new Map<FaceSearchAttempt | 'none', string[]>();
  for (const image of images) {
    const rgb = await decodeImage(readFileSync(path.join(dataRoot, image.path)), { maxPixels: 50_000_000 });
    const described = await describer.describe(rgb);
    const attempt = described?.found.attempt ?? 'none';
    attempts.set(attempt, [...(attempts.get(attempt) ?? []), image.path]);
    service.push(described?.descriptor);
    if (described) {
      const { analysis } = described.found;
      rolled.push(await recognition.describe(analysis.alignedFace.image, dlibAlignedBox(landmarksInAlignedCrop(analysis))));
    } else {
      rolled.push(undefined);
    }
  }

  const pairs = identityPairs(images);
  const cpus = os.cpus();
  console.log(`# matchFace bench: ${new Date().toISOString()}`);
  console.log(`machine: ${cpus.length} cores, ${cpus[0]?.model ?? 'unknown CPU'}; node ${process.versions.node}; onnxruntime-node ${ortVersion()} (cpu)`);
  console.log(`command: npm run bench -- match; ${images.length} images in ${new Set(images.map((i) => i.set)).size} sets, ${new Set(images.map((i) => i.identity)).size} identities; ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  console.log(`face found by attempt: ${[...attempts].map(([a, files]) => `${a} ${files.length}`).join(', ')}`);
  if (attempts.has('none')) console.log(`no face (excluded, failure to enrol): ${attempts.get('none')!.join(', ')}`);
  const genuineTotal = pairs.filter((p) => p.genuine).length;
  console.log(`pairs (within each set): ${genuineTotal} genuine, ${pairs.length - genuineTotal} impostor\n`);

  console.log('| embedding | genuine / impostor pairs scored | TAR @ FAR 1 % | TAR @ FAR 0.1 % | EER (threshold) |');
  console.log('|---|---|---:|---:|---:|');
  const results: { name: string; genuine: number[]; impostor: number[]; pairs: (Pair & { distance: number })[] }[] = [];
  for (const [name, descriptors] of [['dlib box (service)', service], ['roll-corrected', rolled]] as const) {
    const scored = pairs
      .filter((p) => descriptors[p.a] && descriptors[p.b])
      .map((p) => ({ ...p, distance: euclideanDistance(descriptors[p.a]!, descriptors[p.b]!) }));
    const genuine = scored.filter((p) => p.genuine).map((p) => p.distance);
    const impostor = scored.filter((p) => !p.genuine).map((p) => p.distance);
    const rates = verificationRates(genuine, impostor);
    const at = (far: number) => {
      const r = rates.tarAtFar(far);
      return `${pct(r.tar)} (d < ${r.threshold.toFixed(3)})`;
    };
    console.log(`| ${name} | ${genuine.length} / ${impostor.length} | ${at(0.01)} | ${at(0.001)} | ${pct(rates.eer.rate)} (${rates.eer.threshold.toFixed(3)}) |`);
    results.push({ name, genuine, impostor, pairs: scored });
  }

  const chosen = results[0]!;
  const t = MATCH_DISTANCE_THRESHOLD;
  console.log(`\nservice distances: genuine ${quantiles(chosen.genuine)}; impostor ${quantiles(chosen.impostor)}`);
  console.log(`at the service threshold d < ${t}: genuine ${chosen.genuine.filter((d) => d < t).length}/${chosen.genuine.length} accepted, impostor ${chosen.impostor.filter((d) => d >= t).length}/${chosen.impostor.length} rejected`);
  const band = (values: number[]) => values.filter((d) => Math.abs(d - t) < MATCH_LOW_CONFIDENCE_BAND).length;
  console.log(`low confidence (|d − ${t}| < ${MATCH_LOW_CONFIDENCE_BAND}): genuine ${band(chosen.genuine)}, impostor ${band(chosen.impostor)}`);
  for (const threshold of [0.45, 0.5, 0.55, 0.6]) {
    const tar = chosen.genuine.filter((d) => d < threshold).length / chosen.genuine.length;
    const far = chosen.impostor.filter((d) => d < threshold).length / chosen.impostor.length;
    console.log(`  threshold ${threshold}: TAR ${pct(tar)}, FAR ${pct(far, 2)}`);
  }
  const worst = [...chosen.pairs].sort((x, y) => (x.genuine === y.genuine ? 0 : x.genuine ? -1 : 1) || (x.genuine ? y.distance - x.distance : x.distance - y.distance));
  const show = (p: Pair & { distance: number }) => `${images[p.a]!.path} ↔ ${images[p.b]!.path}: d ${p.distance.toFixed(3)}, score ${matchScore(p.distance).toFixed(1)}`;
  console.log(`hardest genuine: ${worst.filter((p) => p.genuine).slice(0, verbose ? 20 : 3).map(show).join('; ')}`);
  console.log(`hardest impostor: ${worst.filter((p) => !p.genuine).slice(0, verbose ? 20 : 3).map(show).join('; ')}`);
  await registry.dispose();
}
