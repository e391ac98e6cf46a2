/**
 * `npm run bench -- cascade [--data=DIR]`: the detector cascade (src/pipeline/analyze.ts, issue #17) against the SSD
 * alone (the detector before the cascade), on every image of the shared data (labels/files.tsv), per source set:
 * - images where each finds no face (the 422 NO_FACE_DETECTED rate), and where they disagree on face / no face;
 * - how often BlazeFace decides alone (a request without the multipleFaces check: with it, the SSD counts the faces);
 * - where BlazeFace decided alone and the SSD also found a face, the IoU of the cascade's box with the SSD's primary box;
 * - mean detection time of each path (this machine, sequential, one request at a time);
 * - the two box fits analyze.ts uses (BLAZEFACE_TO_SSD_BOX, LANDMARKS_TO_SSD_BOX), as medians over the dev faces.
 * Faces are counted at the service's confidence (DETECTION_MIN_CONFIDENCE, 0.5). Nothing is asserted: the table is
 * the evidence for bench/RESULTS.md "Detector cascade".
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage, JPEG_PNG_WEBP } from '../src/imaging/decode.js';
import { iou } from '../src/imaging/geometry.js';
import { FaceApiLandmarks68 } from '../src/inference/faceapi-face-landmark-68.js';
import { FaceApiSsdMobilenetv1 } from '../src/inference/faceapi-ssd-mobilenetv1.js';
import { HumanBlazeFaceFront } from '../src/inference/human-blazeface-front.js';
import { ortVersion } from '../src/inference/session.js';
import { CASCADE_MIN_FACE_SIDE, DETECTION_MIN_CONFIDENCE, FaceAnalyzer, pickPrimaryFace } from '../src/pipeline/analyze.js';
import { loadBenchRegistry } from './registry.js';
import { option, percentile } from './stats.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface SetRow {
  images: number;
  ssdNone: number;
  cascadeNone: number;
  /** Cascade found a face where the SSD found none. */
  gained: number;
  /** Cascade found none where the SSD found one. */
  lost: number;
  fast: number;
  ious: number[];
  ssdMs: number[];
  cascadeMs: number[];
}

export async function benchCascade(): Promise<void> {
  const dataDir = path.resolve(option('data') ?? path.join(repoRoot, '..', 'shared', 'data'));
  const files = readFileSync(path.join(dataDir, 'labels', 'files.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t')[0]!)
    .filter((p) => /\.(jpe?g|png|webp)$/i.test(p));
  const registry = await loadBenchRegistry();
  const ssd = new FaceApiSsdMobilenetv1(registry.get('faceapi-ssd-mobilenetv1').runner);
  const analyzer = new FaceAnalyzer(registry);
  const blazeFace = new HumanBlazeFaceFront(registry.get('human-blazeface-front').runner);
  const landmarker = new FaceApiLandmarks68(registry.get('faceapi-face-landmark-68').runner);
  /** BLAZEFACE_TO_SSD_BOX samples: SSD box relative to the BlazeFace box it overlaps, in BlazeFace box sides. */
  const boxFit = { dx: [] as number[], dy: [] as number[], width: [] as number[], height: [] as number[] };
  /** LANDMARKS_TO_SSD_BOX samples: SSD box edges relative to its landmarks' extent. */
  const landmarkFit = { left: [] as number[], top: [] as number[], right: [] as number[], bottom: [] as number[] };
  const sets = new Map<string, SetRow>();
  let skipped = 0;
  for (const file of files) {
    let image;
    try {
      image = await decodeImage(new Uint8Array(readFileSync(path.join(dataDir, file))), { maxPixels: 50e6, formats: JPEG_PNG_WEBP });
    } catch {
      skipped++;
      continue;
    }
    const set = file.split('/').slice(0, 2).join('/');
    const row = sets.get(set) ?? { images: 0, ssdNone: 0, cascadeNone: 0, gained: 0, lost: 0, fast: 0, ious: [], ssdMs: [], cascadeMs: [] };
    sets.set(set, row);
    let t0 = performance.now();
    const ssdFaces = await ssd.detect(image, { minConfidence: DETECTION_MIN_CONFIDENCE });
    row.ssdMs.push(performance.now() - t0);
    t0 = performance.now();
    const plain = await analyzer.detect(image);
    row.cascadeMs.push(performance.now() - t0);
    row.images++;
    if (ssdFaces.length === 0) row.ssdNone++;
    if (plain.faces.length === 0) row.cascadeNone++;
    if (ssdFaces.length === 0 && plain.faces.length > 0) row.gained++;
    if (ssdFaces.length > 0 && plain.faces.length === 0) row.lost++;
    if (plain.detector === 'blazeface') row.fast++;
    const ssdPrimary = pickPrimaryFace(ssdFaces);
    if (plain.detector === 'blazeface' && ssdPrimary) row.ious.push(iou(plain.faces[0]!.box, ssdPrimary.box));
    // The fits: every SSD face with a BlazeFace face of the size the cascade uses overlapping it (IoU > 0.3).
    const longer = Math.max(image.width, image.height);
    const raw = (await blazeFace.detect(image, { minConfidence: DETECTION_MIN_CONFIDENCE })).filter((d) => d.box.width >= CASCADE_MIN_FACE_SIDE * longer);
    for (const face of ssdFaces) {
      const match = raw.find((d) => iou(d.box, face.box) > 0.3);
      if (!match) continue;
      const side = match.box.width;
      boxFit.dx.push((face.box.x + face.box.width / 2 - (match.box.x + side / 2)) / side);
      boxFit.dy.push((face.box.y + face.box.height / 2 - (match.box.y + match.box.height / 2)) / side);
      boxFit.width.push(face.box.width / side);
      boxFit.height.push(face.box.height / side);
    }
    if (plain.detector === 'blazeface' && ssdPrimary) {
      const points = await landmarker.detect(image, ssdPrimary.box);
      const [x0, x1] = [Math.min(...points.map((p) => p.x)), Math.max(...points.map((p) => p.x))];
      const [y0, y1] = [Math.min(...points.map((p) => p.y)), Math.max(...points.map((p) => p.y))];
      const b = ssdPrimary.box;
      landmarkFit.left.push((b.x - x0) / (x1 - x0));
      landmarkFit.top.push((b.y - y0) / (y1 - y0));
      landmarkFit.right.push((b.x + b.width - x1) / (x1 - x0));
      landmarkFit.bottom.push((b.y + b.height - y1) / (y1 - y0));
    }
  }
  await registry.dispose();

  const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);
  const all: SetRow = { images: 0, ssdNone: 0, cascadeNone: 0, gained: 0, lost: 0, fast: 0, ious: [], ssdMs: [], cascadeMs: [] };
  const lines = [
    `command: npm run bench -- cascade; ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, onnxruntime-node ${ortVersion()}, ${new Date().toISOString().slice(0, 10)}; ${skipped} files not decodable as images skipped`,
    '',
    '| set | images | no face: SSD | no face: cascade | gained | lost | BlazeFace alone | IoU with the SSD box (median, min) | ms SSD | ms cascade |',
    '|---|---:|---:|---:|---:|---:|---:|---|---:|---:|',
  ];
  const format = (name: string, r: SetRow) =>
    `| ${name} | ${r.images} | ${r.ssdNone} | ${r.cascadeNone} | ${r.gained} | ${r.lost} | ${r.fast} | ${
      r.ious.length ? `${percentile(r.ious, 50).toFixed(2)}, ${Math.min(...r.ious).toFixed(2)}` : '—'
    } | ${mean(r.ssdMs).toFixed(1)} | ${mean(r.cascadeMs).toFixed(1)} |`;
  for (const [name, r] of [...sets.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(format(name, r));
    for (const key of ['images', 'ssdNone', 'cascadeNone', 'gained', 'lost', 'fast'] as const) all[key] += r[key];
    all.ious.push(...r.ious);
    all.ssdMs.push(...r.ssdMs);
    all.cascadeMs.push(...r.cascadeMs);
  }
  lines.push(format('**all**', all));
  const medians = (fit: Record<string, number[]>) =>
    Object.entries(fit)
      .map(([k, v]) => `${k} ${percentile(v, 50).toFixed(3)}`)
      .join(', ');
  lines.push('', `BLAZEFACE_TO_SSD_BOX fit (${boxFit.dx.length} faces): ${medians(boxFit)}`);
  lines.push(`LANDMARKS_TO_SSD_BOX fit (${landmarkFit.left.length} faces): ${medians(landmarkFit)}`);
  console.log(lines.join('\n'));
}
