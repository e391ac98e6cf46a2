/**
 * Face match evaluation: `npm run bench -- match [--verbose]`.
 *
 * Every image of ../shared/data/identity (labels/identity.csv) goes through the matchFace face search
 * (src/pipeline/match-face.ts findFace: original → padded → contrast-stretched → tiles) and gets a descriptor from
 * each embedding variant. Pairs are all pairs of images within each source set: same identity folder = genuine,
 * different = impostor (sets are never mixed: their photos differ in kind, e.g. bbt_faceapi are 150² grey tight crops).
 *
 * ID-card stand-ins (ID_CARD_VARIANTS): each image also rescaled, low-contrast and JPEG-compressed, and every image
 * as sent paired with every *other* image of its set so degraded (a selfie against a card photo made from another
 * photo; never an image against its own copy), both ways round.
 *
 * Prints, per embedding variant and per condition, TAR at FAR 1 % and 0.1 %, the EER, the distance distributions,
 * the counts at the service's threshold (MATCH_DISTANCE_THRESHOLD), and the descriptor's cost. Variants:
 *  - `similarity-aligned (service)`: FaceEmbedder, face-api's dlib box rotated so the eyes are level;
 *  - `dlib box`: face-api's own alignment (landmarks → axis-aligned dlib box), the service until 2026-12-01;
 *  - `similarity-aligned + flip`: the mean of the descriptors of the aligned crop and its mirror image;
 *  - `Human faceres`: Human's 1024-d descriptor on Human's face crop, cosine distance (1 − cos);
 *  - `fusion`: service distance and faceres distance, each z-normalised with the mean and standard deviation of
 *    its own impostor distances as sent, summed (faceres weighted 1 and ½).
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../src/imaging/decode.js';
import type { RgbImage } from '../src/imaging/image.js';
import { FACE_RECOGNITION_INPUT_SIZE, FaceApiFaceRecognition } from '../src/inference/faceapi-face-recognition.js';
import { landmarkExtent } from '../src/inference/human-face-crop.js';
import { HumanFaceRes } from '../src/inference/human-faceres.js';
import { ortVersion } from '../src/inference/session.js';
import { dlibAlignedBox, euclideanDistance, FaceEmbedder, similarityAlignedFace } from '../src/pipeline/face-embedding.js';
import {
  MATCH_DISTANCE_THRESHOLD,
  MATCH_LOW_CONFIDENCE_BAND,
  MATCH_SCORE_SCALE,
  MatchFaceDescriber,
  matchScore,
} from '../src/pipeline/match-face.js';
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

const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)} %`;
const quantiles = (values: number[]) => {
  const s = [...values].sort((x, y) => x - y);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `min ${s[0]!.toFixed(3)}, p5 ${q(0.05).toFixed(3)}, median ${q(0.5).toFixed(3)}, p95 ${q(0.95).toFixed(3)}, max ${s.at(-1)!.toFixed(3)}`;
};

/**
 * ID-card stand-ins made from the dev identities (issue #18: card photos are reprinted, rescaled, washed out and
 * compressed). Each is applied to the encoded file, EXIF rotation first:
 *  - `rescaled`: half the width and height (bicubic), a card photo's face being a fraction of a selfie's pixels;
 *  - `low-contrast`: every channel mapped to 0.4 × v + 0.6 × 128, 40 % of its contrast around mid-grey (a faded print);
 *  - `jpeg`: re-encoded at JPEG quality 20 (libjpeg scale, 4:2:0), the blocking of a heavily compressed scan.
 */
export const ID_CARD_VARIANTS: Record<string, (bytes: Buffer) => Promise<Buffer>> = {
  rescaled: async (bytes) => {
    const { width } = await sharp(bytes).rotate().toBuffer({ resolveWithObject: true }).then((r) => r.info);
    return sharp(bytes).rotate().resize(Math.round(width / 2), null, { kernel: 'cubic' }).png().toBuffer();
  },
  'low-contrast': async (bytes) => sharp(bytes).rotate().linear(0.4, 0.6 * 128).png().toBuffer(),
  jpeg: async (bytes) => sharp(bytes).rotate().jpeg({ quality: 20 }).toBuffer(),
};

/** Mirror image of an RGB image (left ↔ right). */
function mirror(image: RgbImage): RgbImage {
  const data = new Uint8Array(image.data.length);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) data.set(image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3), (y * image.width + image.width - 1 - x) * 3);
  }
  return { data, width: image.width, height: image.height };
}

const cosineDistance = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let [dot, na, nb] = [0, 0, 0];
  for (let i = 0; i < a.length; i++) [dot, na, nb] = [dot + a[i]! * b[i]!, na + a[i]! ** 2, nb + b[i]! ** 2];
  return 1 - dot / Math.sqrt(na * nb);
};

interface Described {
  service: Float32Array;
  dlib: Float32Array;
  flipped: Float32Array;
  faceres: Float32Array;
}

/** Pair of (image as sent, image in `condition`); for `as sent`, each unordered pair once. */
interface ScoredPair extends Pair {
  condition: string;
}

export async function benchMatch(): Promise<void> {
  const verbose = process.argv.includes('--verbose');
  const registry = await loadBenchRegistry();
  const describer = new MatchFaceDescriber(registry);
  const embedder = new FaceEmbedder(registry);
  const recognition = new FaceApiFaceRecognition(registry.get('faceapi-face-recognition').session);
  const faceres = new HumanFaceRes(registry.get('human-faceres').session);
  const images = readIdentityLabels();
  const started = Date.now();
  const size = FACE_RECOGNITION_INPUT_SIZE;
  const whole = { x: 0, y: 0, width: size, height: size };

  const conditions = ['as sent', ...Object.keys(ID_CARD_VARIANTS)];
  const described = new Map<string, (Described | undefined)[]>();
  const attempts = new Map<string, string[]>();
  const cost = { service: [] as number[], dlib: [] as number[], search: [] as number[] };
  const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;
  for (const condition of conditions) {
    const list: (Described | undefined)[] = [];
    for (const image of images) {
      const bytes = readFileSync(path.join(dataRoot, image.path));
      const rgb = await decodeImage(condition === 'as sent' ? bytes : await ID_CARD_VARIANTS[condition]!(bytes), { maxPixels: 50_000_000 });
      let t0 = process.hrtime.bigint();
      const found = await describer.describe(rgb);
      const searchMs = ms(t0);
      const attempt = found?.found.attempt ?? 'none';
      attempts.set(`${condition}: ${attempt}`, [...(attempts.get(`${condition}: ${attempt}`) ?? []), image.path]);
      if (!found) {
        list.push(undefined);
        continue;
      }
      const { analysis } = found.found;
      // The two alignments timed one after the other on the same face, which goes first alternating from image to
      // image (the machine's load, and any warm cache, hit both alike).
      const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
        const from = process.hrtime.bigint();
        return [await work(), ms(from)];
      };
      const embedService = () => timed(() => embedder.embed(analysis));
      const embedDlib = () => timed(() => recognition.describe(analysis.image, dlibAlignedBox(analysis.landmarks68)));
      const serviceFirst = list.length % 2 === 0;
      let serviceRun: [Float32Array, number];
      let dlibRun: [Float32Array, number];
      if (serviceFirst) {
        serviceRun = await embedService();
        dlibRun = await embedDlib();
      } else {
        dlibRun = await embedDlib();
        serviceRun = await embedService();
      }
      const [[service, serviceMs], [dlib, dlibMs]] = [serviceRun, dlibRun];
      if (condition === 'as sent') [cost.search, cost.service, cost.dlib].forEach((c, i) => c.push([searchMs - serviceMs, serviceMs, dlibMs][i]!));
      const mirrored = await recognition.describe(mirror(similarityAlignedFace(analysis.image, analysis.landmarks68, size)), whole);
      const flipped = service.map((v, i) => (v + mirrored[i]!) / 2);
      list.push({ service, dlib, flipped, faceres: await faceres.describe(analysis.image, landmarkExtent(analysis.landmarks68)) });
    }
    described.set(condition, list);
  }

  const base = identityPairs(images);
  const pairs: ScoredPair[] = [...base.map((p) => ({ ...p, condition: 'as sent' }))];
  for (const condition of conditions.slice(1)) {
    for (const p of base) pairs.push({ ...p, condition }, { a: p.b, b: p.a, genuine: p.genuine, condition });
  }
  const cpus = os.cpus();
  console.log(`# matchFace bench: ${new Date().toISOString()}`);
  console.log(`machine: ${cpus.length} cores, ${cpus[0]?.model ?? 'unknown CPU'}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; node ${process.versions.node}; onnxruntime-node ${ortVersion()} (cpu)`);
  console.log(`command: npm run bench -- match; ${images.length} images in ${new Set(images.map((i) => i.set)).size} sets, ${new Set(images.map((i) => i.identity)).size} identities, ${conditions.length} conditions; ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  console.log(`face found by attempt: ${[...attempts].map(([a, files]) => `${a} ${files.length}`).join(', ')}`);
  for (const [a, files] of attempts) if (a.endsWith(': none')) console.log(`no face (${a}; pairs with it excluded, failure to enrol): ${files.join(', ')}`);

  type Distance = (a: Described, b: Described) => number;
  const single: [string, Distance][] = [
    ['similarity-aligned (service)', (a, b) => euclideanDistance(a.service, b.service)],
    ['dlib box (service until 2026-12-01)', (a, b) => euclideanDistance(a.dlib, b.dlib)],
    ['similarity-aligned + flip', (a, b) => euclideanDistance(a.flipped, b.flipped)],
    ['Human faceres (1 − cos)', (a, b) => cosineDistance(a.faceres, b.faceres)],
  ];
  const pairOf = (p: ScoredPair): [Described, Described] | undefined => {
    const a = described.get('as sent')![p.a];
    const b = described.get(p.condition)![p.b];
    return a && b ? [a, b] : undefined;
  };
  // z-normalisation of each distance by its impostor distances as sent (mean, standard deviation).
  const impostorStats = (distance: Distance) => {
    const values = pairs.filter((p) => p.condition === 'as sent' && !p.genuine).flatMap((p) => (pairOf(p) ? [distance(...pairOf(p)!)] : []));
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    return { mean, sd: Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length) };
  };
  const [faceApiStats, faceresStats] = [impostorStats(single[0]![1]), impostorStats(single[3]![1])];
  const fused = (weight: number): Distance => (a, b) =>
    (single[0]![1](a, b) - faceApiStats.mean) / faceApiStats.sd + (weight * (single[3]![1](a, b) - faceresStats.mean)) / faceresStats.sd;
  const variants: [string, Distance][] = [...single, ['fusion service + faceres (weights 1, 1)', fused(1)], ['fusion service + faceres (weights 1, ½)', fused(0.5)]];

  console.log('\n| embedding | condition | genuine / impostor pairs scored | TAR @ FAR 1 % | TAR @ FAR 0.1 % | EER (threshold) |');
  console.log('|---|---|---|---:|---:|---:|');
  let service: { genuine: number[]; impostor: number[]; pairs: (ScoredPair & { distance: number })[] } | undefined;
  for (const [name, distance] of variants) {
    for (const condition of [...conditions, 'all']) {
      const scored = pairs
        .filter((p) => (condition === 'all' || p.condition === condition) && pairOf(p))
        .map((p) => ({ ...p, distance: distance(...pairOf(p)!) }));
      const genuine = scored.filter((p) => p.genuine).map((p) => p.distance);
      const impostor = scored.filter((p) => !p.genuine).map((p) => p.distance);
      const rates = verificationRates(genuine, impostor);
      const at = (far: number) => {
        const r = rates.tarAtFar(far);
        return `${pct(r.tar)} (d < ${r.threshold.toFixed(3)})`;
      };
      console.log(`| ${name} | ${condition} | ${genuine.length} / ${impostor.length} | ${at(0.01)} | ${at(0.001)} | ${pct(rates.eer.rate, 2)} (${rates.eer.threshold.toFixed(3)}) |`);
      if (!service && condition === 'all') service = { genuine, impostor, pairs: scored };
    }
  }

  const chosen = service!;
  const t = MATCH_DISTANCE_THRESHOLD;
  const p50 = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
  console.log(`\ncost per image as sent, p50 over ${cost.service.length} (ms): face search ${p50(cost.search).toFixed(1)}; descriptor similarity-aligned ${p50(cost.service).toFixed(2)}, dlib box ${p50(cost.dlib).toFixed(2)}`);
  console.log(`service distances, all conditions: genuine ${quantiles(chosen.genuine)}; impostor ${quantiles(chosen.impostor)}`);
  for (const condition of conditions) {
    const own = chosen.pairs.filter((p) => p.condition === condition);
    const genuine = own.filter((p) => p.genuine).map((p) => p.distance);
    const impostor = own.filter((p) => !p.genuine).map((p) => p.distance);
    console.log(`  ${condition}: at d < ${t} genuine ${genuine.filter((d) => d < t).length}/${genuine.length} accepted, impostor ${impostor.filter((d) => d >= t).length}/${impostor.length} rejected; closest impostor ${Math.min(...impostor).toFixed(3)}`);
  }
  console.log(`at the service threshold d < ${t}, all conditions: genuine ${chosen.genuine.filter((d) => d < t).length}/${chosen.genuine.length} accepted, impostor ${chosen.impostor.filter((d) => d >= t).length}/${chosen.impostor.length} rejected`);
  const band = (values: number[]) => values.filter((d) => Math.abs(d - t) < MATCH_LOW_CONFIDENCE_BAND).length;
  console.log(`low confidence (|d − ${t}| < ${MATCH_LOW_CONFIDENCE_BAND}): genuine ${band(chosen.genuine)}, impostor ${band(chosen.impostor)}`);
  for (const threshold of [0.45, 0.5, 0.55, 0.6]) {
    const tar = chosen.genuine.filter((d) => d < threshold).length / chosen.genuine.length;
    const far = chosen.impostor.filter((d) => d < threshold).length / chosen.impostor.length;
    console.log(`  threshold ${threshold}: TAR ${pct(tar)}, FAR ${pct(far, 2)}`);
  }
  // What the documented score thresholds mean (README "matchFace API"): score s ⇔ distance MATCH_DISTANCE_THRESHOLD +
  // MATCH_SCORE_SCALE · ln((100 − s) / s). 73 and 27: the low-confidence band's edges; 70 and 40: the verifyVideo rules'
  // approve and decline scores; 50: `value` yes.
  console.log('\n| score ≥ (distance <) | similarity-aligned (service): TAR / FAR, all conditions | dlib box (before): TAR / FAR |');
  console.log('|---|---:|---:|');
  const dlibPairs = pairs.filter((p) => pairOf(p)).map((p) => ({ genuine: p.genuine, distance: euclideanDistance(pairOf(p)![0].dlib, pairOf(p)![1].dlib) }));
  const rate = (values: { genuine: boolean; distance: number }[], below: number) => {
    const genuine = values.filter((v) => v.genuine);
    const impostor = values.filter((v) => !v.genuine);
    const far = impostor.filter((v) => v.distance < below).length;
    return `${pct(genuine.filter((v) => v.distance < below).length / genuine.length)} / ${far} of ${impostor.length} (${pct(far / impostor.length, 2)})`;
  };
  for (const score of [73, 70, 50, 40, 27]) {
    const below = MATCH_DISTANCE_THRESHOLD + MATCH_SCORE_SCALE * Math.log((100 - score) / score);
    console.log(`| ${score} (${below.toFixed(3)}) | ${rate(chosen.pairs, below)} | ${rate(dlibPairs, below)} |`);
  }
  const worst = [...chosen.pairs].sort((x, y) => (x.genuine === y.genuine ? 0 : x.genuine ? -1 : 1) || (x.genuine ? y.distance - x.distance : x.distance - y.distance));
  const show = (p: ScoredPair & { distance: number }) => `${images[p.a]!.path} ↔ ${images[p.b]!.path}${p.condition === 'as sent' ? '' : ` (${p.condition})`}: d ${p.distance.toFixed(3)}, score ${matchScore(p.distance).toFixed(1)}`;
  console.log(`hardest genuine: ${worst.filter((p) => p.genuine).slice(0, verbose ? 20 : 3).map(show).join('; ')}`);
  console.log(`hardest impostor: ${worst.filter((p) => !p.genuine).slice(0, verbose ? 20 : 3).map(show).join('; ')}`);
  await registry.dispose();
}
