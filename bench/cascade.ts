/**
 * `npm run bench -- cascade [--data=DIR] [--packs=DIR]`: the detector cascade (src/pipeline/analyze.ts, issue #17) against the SSD
 * alone (the detector before the cascade), on every image of the shared data (labels/files.tsv), per source set:
 * - images where each finds no face (the 422 NO_FACE_DETECTED rate), and where they disagree on face / no face;
 * - how often BlazeFace decides alone (a request without the multipleFaces check; with it, see the YuNet table below);
 * - where BlazeFace decided alone and the SSD also found a face, the IoU of the cascade's box with the SSD's primary box;
 * - mean detection time of each path (this machine, sequential, one request at a time);
 * - the two box fits analyze.ts uses (BLAZEFACE_TO_SSD_BOX, LANDMARKS_TO_SSD_BOX), as medians over the dev faces.
 * Faces are counted at the service's confidence (DETECTION_MIN_CONFIDENCE, 0.5). Nothing is asserted: the table is
 * the evidence for bench/RESULTS.md "Detector cascade".
 *
 * With `--packs=DIR` holding YuNet packs (`npm run models:fetch -- --only=yunet-n-320,yunet-n-dynamic,yunet-s-dynamic
 * --dir=DIR`), a second table: YuNet as the face counter of a request with the multipleFaces check (yunetCounterRows).
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
import { planYunetInput, type YunetFace, YunetDetector } from '../src/inference/yunet.js';
import {
  blazeFaceVerdict,
  CASCADE_DOUBT_SCORE,
  CASCADE_MIN_FACE_SIDE,
  DETECTION_MIN_CONFIDENCE,
  FaceAnalyzer,
  faceCounterConfirms,
  pickPrimaryFace,
} from '../src/pipeline/analyze.js';
import type { Box } from '../src/imaging/geometry.js';
import { multipleFacesVerdict } from '../src/quality/multiple-faces.js';
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
  const packsDir = option('packs');
  const registry = await loadBenchRegistry(packsDir ? { packsDir } : {});
  const installed = new Set(registry.packs.filter((p) => p.state === 'installed').map((p) => p.id));
  const counters = YUNET_VARIANTS.filter((v) => installed.has(v.pack)).map((v) => {
    const { runner } = registry.get(v.pack);
    return { ...v, detector: new YunetDetector(runner), shape: runner.inputs[0]!.shape };
  });
  const counted: CountRecord[] = [];
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
    if (counters.length > 0) {
      const primary = ssdPrimary && multipleFacesVerdict(ssdFaces, ssdPrimary);
      const record: CountRecord = {
        file,
        set,
        ssd: primary ? { value: primary.value, confidence: primary.confidence, otherFaces: primary.basis.measurements['otherFaces'] ?? 0 } : undefined,
        ssdPrimary: ssdPrimary?.box,
        blazeFace: blazeFaceVerdict(await blazeFace.detect(image, { minConfidence: CASCADE_DOUBT_SCORE }), image.width, image.height)?.[0]?.box,
        longerSide: longer,
        yunet: [],
      };
      for (const counter of counters) {
        t0 = performance.now();
        const faces = await counter.detector.detect(image, { scoreThreshold: Math.min(...YUNET_SCORE_THRESHOLDS), maxSide: counter.maxSide });
        const ms = performance.now() - t0;
        record.yunet.push({ ms, faces, scale: planYunetInput(image.width, image.height, counter.shape, counter.maxSide).scale });
      }
      counted.push(record);
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
  if (counters.length > 0) lines.push('', ...yunetCounterRows(counters, counted));
  console.log(lines.join('\n'));
}

/** The YuNet variants compared as face counters: pack and, for the dynamic exports, the longer side they see (pixels). */
const YUNET_VARIANTS = [
  { pack: 'yunet-n-320', maxSide: 320 },
  { pack: 'yunet-n-dynamic', maxSide: 320 },
  { pack: 'yunet-n-dynamic', maxSide: 480 },
  { pack: 'yunet-n-dynamic', maxSide: 640 },
  { pack: 'yunet-s-dynamic', maxSide: 320 },
  { pack: 'yunet-s-dynamic', maxSide: 640 },
] as const;
/** YuNet scores (0–1) from which a YuNet face is taken as a face: 0.5 … OpenCV FaceDetectorYN's default 0.9. */
const YUNET_SCORE_THRESHOLDS = [0.5, 0.6, 0.7, 0.9];
/**
 * Smallest primary face side (√area) in YuNet input pixels for YuNet to count (analyze.ts FACE_COUNTER_MIN_PRIMARY_SIDE):
 * 48 px: a near miss (0.21 × 48 ≈ 10 px) at YuNet's ≈ 10 px floor; 67 px: a counted face (0.3 × 67 ≈ 20 px) at twice
 * the floor; 95 px: a near miss (0.21 × 95 ≈ 20 px) at twice the floor.
 */
const PRIMARY_INPUT_SIDES = [48, 67, 95];

interface CountRecord {
  file: string;
  set: string;
  /** multipleFaces from the SSD's faces (today's path with the check); undefined: the SSD found no face (422). */
  ssd: { value: boolean; confidence: string; otherFaces: number } | undefined;
  /** BlazeFace's face where blazeFaceVerdict lets it answer alone, else undefined. */
  blazeFace: Box | undefined;
  /** The SSD's primary face (undefined: none). */
  ssdPrimary: Box | undefined;
  longerSide: number;
  /** Per YUNET_VARIANTS entry: time, faces at the lowest threshold, input pixels per image pixel. */
  yunet: { ms: number; faces: YunetFace[]; scale: number }[];
}

/**
 * The labelled multipleFaces set of `npm run bench -- quality` (bench/quality.ts cases(): labels/attributes.csv face
 * counts and the portraits looked at): 10 photos with a second face, 29 with one face.
 */
const LABELLED_MULTIPLE = new Set(
  ['inspireface/attribute_7242.jpg', 'face_recognition_ageitgey/two_people.jpg', 'face_recognition_ageitgey/obama_and_biden.jpg', 'face_recognition_ageitgey/kit_with_rose.jpg', 'dlib_faces/bald_guys.jpg', ...[1, 2, 3, 4, 5].map((n) => `faceapi/bbt${n}.jpg`)].map((f) => `attributes/${f}`),
);
const LABELLED_SINGLE = new Set(
  [
    ...['angry', 'disgusted', 'fearful', 'happy', 'neutral', 'sad', 'surprised'].map((n) => `faceapi/${n}.jpg`),
    'faceonnx_eyeblink/open_open.jpg',
    'faceonnx_eyeblink/closed_closed.jpg',
    'faceonnx_eyeblink/closed_open.jpg',
    'inspireface/reaction_open_eyes.png',
    'inspireface/emotion_sad.png',
    'inspireface/reaction_close_eyes.jpeg',
    'inspireface/reaction_close_open_eyes.jpeg',
    'inspireface/pose_left_face.jpeg',
    'inspireface/pose_right_face.png',
    'inspireface/pose_rise_face.jpeg',
    'inspireface/pose_lower_face.jpeg',
    'inspireface/bulk_yifei.jpg',
    'inspireface/bulk_mask.png',
    'inspireface/bulk_mask2.jpg',
    'inspireface/attribute_1423.jpg',
    'dlib_faces/Tom_Cruise_avp_2014_4.jpg',
    ...['240p', '480p', '720p', '1080p'].map((r) => `face_recognition_ageitgey/obama-${r}.jpg`),
    'face_recognition_ageitgey/obama_partial_face.jpg',
    'face_recognition_ageitgey/32bit.png',
  ].map((f) => `attributes/${f}`),
);

/**
 * YuNet as the face counter where BlazeFace answers alone (analyze.ts faceCounterConfirms, at each score threshold and
 * primary side): where it confirms, the SSD is skipped and the answer is "no second face" (high). Disagreements with
 * the SSD's answer:
 * `yes→no` (the SSD counts a second face), `low→high` (the SSD has a near miss), `422→face` (the SSD finds no face).
 * `SSD yes, YuNet one face`: the same rule on the SSD's primary face, on every image where the SSD counts a second face
 * (BlazeFace sends most of these to the SSD anyway: this tests YuNet's counting where BlazeFace does not).
 */
function yunetCounterRows(variants: readonly { pack: string; maxSide: number }[], records: readonly CountRecord[]): string[] {
  const lines = [
    `YuNet as the face counter with multipleFaces (${records.length} images; ${records.filter((r) => r.blazeFace).length} where BlazeFace answers alone; labelled: ${LABELLED_MULTIPLE.size} multiple, ${LABELLED_SINGLE.size} single)`,
    '',
    '| YuNet | score ≥ | primary ≥ px | SSD skipped | yes→no | low→high | 422→face | SSD yes, YuNet one face | labelled wrong (SSD, YuNet path) | ms YuNet (mean, p90) | disagreements |',
    '|---|---:|---:|---:|---:|---:|---:|---|---|---|---|',
  ];
  variants.forEach((variant, v) => {
    const ms = records.map((r) => r.yunet[v]!.ms);
    for (const threshold of YUNET_SCORE_THRESHOLDS) {
      for (const minSide of PRIMARY_INPUT_SIDES) {
        let [skipped, yesToNo, lowToHigh, noneToFace, ssdWrong, yunetWrong, ssdMultiple, missed] = [0, 0, 0, 0, 0, 0, 0, 0];
        const differ: string[] = [];
        for (const r of records) {
          const labelled = LABELLED_MULTIPLE.has(r.file) ? true : LABELLED_SINGLE.has(r.file) ? false : undefined;
          const ssdValue = r.ssd?.value;
          let answer = ssdValue;
          const { faces, scale } = r.yunet[v]!;
          // The rule's test of the SSD's own primary face on every image where the SSD counts a second face.
          if (r.ssd?.value && r.ssdPrimary) {
            ssdMultiple++;
            if (faceCounterConfirms(faces, r.ssdPrimary, scale, { minScore: threshold, minPrimarySide: minSide })) (missed++, differ.push(`${r.file.replace(/^[^/]+\//, '')} SSD yes, YuNet one face`));
          }
          if (r.blazeFace && faceCounterConfirms(faces, r.blazeFace, scale, { minScore: threshold, minPrimarySide: minSide })) {
            skipped++;
            answer = false;
            const name = r.file.replace(/^[^/]+\//, '');
            if (!r.ssd) (noneToFace++, differ.push(`${name} 422→face`));
            else if (r.ssd.value) (yesToNo++, differ.push(`${name} yes→no`));
            else if (r.ssd.confidence === 'low') (lowToHigh++, differ.push(`${name} low→high`));
          }
          if (labelled !== undefined && (ssdValue ?? false) !== labelled) ssdWrong++;
          if (labelled !== undefined && (answer ?? false) !== labelled) yunetWrong++;
        }
        const label = variant.pack.endsWith('dynamic') ? `${variant.pack} ≤ ${variant.maxSide}` : variant.pack;
        lines.push(
          `| ${label} | ${threshold} | ${minSide} | ${skipped} | ${yesToNo} | ${lowToHigh} | ${noneToFace} | ${missed} of ${ssdMultiple} | ${ssdWrong}, ${yunetWrong} | ${(ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(1)}, ${percentile(ms, 90).toFixed(1)} | ${differ.join('; ') || '—'} |`,
        );
      }
    }
  });
  return lines;
}
