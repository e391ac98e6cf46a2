/**
 * Optional model packs end to end: models/packs.json against the upstream files (../shared/data/models),
 * the fetch script with a local mirror, and the YuNet / MiniFASNet wrappers on real images.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchPacks } from '../../scripts/fetch-models.js';
import { type Box, iou } from '../../src/imaging/geometry.js';
import { MiniFasnet, averageRealProbability } from '../../src/inference/minifasnet.js';
import { type PackEntry, type PackList, installedPacks, packStatuses, rawGithubUrl, readPacks, sha256OfFile } from '../../src/inference/packs.js';
import { ModelSession } from '../../src/inference/session.js';
import { YunetDetector } from '../../src/inference/yunet.js';
import { readRgb, repoRoot, sharedData } from '../helpers/reference.js';

const packsFile = path.join(repoRoot, 'models', 'packs.json');
const list = readPacks(packsFile);
const pack = (id: string): PackEntry => {
  const p = list.packs.find((x) => x.id === id);
  if (!p) throw new Error(`pack ${id} not in models/packs.json`);
  return p;
};
const mirror = () => path.dirname(path.dirname(path.dirname(sharedData('models/detection/yunet/yunet_n_320_320.onnx'))));
const session = (id: string) => ModelSession.create(id, sharedData(path.join('models', pack(id).mirrorPath)));

describe('models/packs.json', () => {
  it('lists MiniFASNet V2 + V1SE and every YuNet variant, matching the shared files and labels/files.tsv', () => {
    expect(list.packs.map((p) => p.id)).toEqual(['minifasnet-v2', 'minifasnet-v1se', 'yunet-n-320', 'yunet-n-640', 'yunet-n-dynamic', 'yunet-s-dynamic', 'ultraface-masked-640']);
    const rows = readFileSync(sharedData('labels/files.tsv'), 'utf8').split('\n').map((line) => line.split('\t'));
    const header = rows[0]!;
    const col = (name: string) => header.indexOf(name);
    for (const p of list.packs) {
      const file = sharedData(path.join('models', p.mirrorPath));
      expect(sha256OfFile(file), p.id).toBe(p.sha256);
      expect(readFileSync(file).byteLength, p.id).toBe(p.bytes);
      const row = rows.find((r) => r[col('path')] === `models/${p.mirrorPath}`);
      expect(row, `files.tsv row for ${p.mirrorPath}`).toBeDefined();
      expect(p.source).toMatchObject({ repository: row![col('source_repo')], commit: row![col('commit')], path: row![col('source_path')] });
      expect(p.url).toBe(rawGithubUrl(p.source));
    }
  });
});

describe('fetch-models with MODELS_MIRROR', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'packs-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('installs from the mirror with verified sha256, then skips what is present', async () => {
    const lines: string[] = [];
    const first = await fetchPacks({ list, dir, mirror: mirror(), log: (l) => lines.push(l) });
    expect(first.map((r) => r.outcome)).toEqual(list.packs.map(() => 'installed'));
    expect(installedPacks(dir, list).map((s) => s.pack.id)).toEqual(list.packs.map((p) => p.id));
    const second = await fetchPacks({ list, dir, mirror: mirror(), only: ['yunet-n-320'], log: () => {} });
    expect(second).toEqual([{ id: 'yunet-n-320', outcome: 'present' }]);
    expect(readdirSync(dir).sort()).toEqual(list.packs.map((p) => p.file).sort());
  });

  it('reports a changed file as corrupt and replaces it', async () => {
    const target = path.join(dir, 'yunet-n-320.onnx');
    writeFileSync(target, 'not a model');
    expect(packStatuses(dir, list).find((s) => s.pack.id === 'yunet-n-320')!.state).toBe('corrupt');
    expect(installedPacks(dir, list).map((s) => s.pack.id)).not.toContain('yunet-n-320');
    const [result] = await fetchPacks({ list, dir, mirror: mirror(), only: ['yunet-n-320'], log: () => {} });
    expect(result!.outcome).toBe('installed');
    expect(sha256OfFile(target)).toBe(pack('yunet-n-320').sha256);
  });

  it('fails on a wrong sha256 with "expected X, got Y" and leaves nothing behind', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'packs-bad-'));
    try {
      const wrong = 'f'.repeat(64);
      const bad: PackList = { schemaVersion: 1, packs: [{ ...pack('minifasnet-v2'), sha256: wrong }] };
      const [result] = await fetchPacks({ list: bad, dir: empty, mirror: mirror(), log: () => {} });
      expect(result!.outcome).toBe('failed');
      expect(result!.error).toContain(`expected ${wrong}, got ${pack('minifasnet-v2').sha256}`);
      expect(readdirSync(empty)).toEqual([]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('runs as `npm run models:fetch` (tsx scripts/fetch-models.ts) with --dir and --only', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'packs-cli-'));
    try {
      const run = spawnSync(path.join(repoRoot, 'node_modules', '.bin', 'tsx'), ['scripts/fetch-models.ts', `--dir=${out}`, '--only=yunet-n-320,minifasnet-v1se'], {
        cwd: repoRoot,
        env: { ...process.env, MODELS_MIRROR: mirror() },
        encoding: 'utf8',
      });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain('packs: done (2 installed, 0 already present)');
      expect(readdirSync(out).sort()).toEqual(['minifasnet-v1se.onnx', 'yunet-n-320.onnx']);
      const unknown = spawnSync(path.join(repoRoot, 'node_modules', '.bin', 'tsx'), ['scripts/fetch-models.ts', `--dir=${out}`, '--only=nope'], {
        cwd: repoRoot,
        env: { ...process.env, MODELS_MIRROR: mirror() },
        encoding: 'utf8',
      });
      expect(unknown.status).toBe(1);
      expect(unknown.stderr).toContain('unknown pack id(s) nope');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

/** dlib's face boxes (attributes/dlib_faces/{training,testing}.xml), per image file. */
function dlibBoxes(): Map<string, Box[]> {
  const xml = ['training.xml', 'testing.xml'].map((f) => readFileSync(sharedData(`attributes/dlib_faces/${f}`), 'utf8')).join('\n');
  const labels = new Map<string, Box[]>();
  for (const image of xml.matchAll(/<image file='([^']+)'[^>]*>([\s\S]*?)<\/image>/g)) {
    const boxes = [...image[2]!.matchAll(/<box top='(\d+)' left='(\d+)' width='(\d+)' height='(\d+)'/g)];
    labels.set(image[1]!, boxes.map((b) => ({ x: Number(b[2]), y: Number(b[1]), width: Number(b[3]), height: Number(b[4]) })));
  }
  return labels;
}

/** A detection matches a labelled face at IoU ≥ 0.3: dlib boxes are tight squares, YuNet boxes include forehead and chin. */
const MATCH_IOU = 0.3;

describe('YuNet packs on real images (OpenCV defaults: score ≥ 0.9, NMS IoU 0.3)', () => {
  const labels = dlibBoxes();

  it.each(['yunet-n-dynamic', 'yunet-n-640'])('%s finds the 43 labelled dlib faces (misses at most one, no unlabelled detections)', async (id) => {
    const detector = new YunetDetector(await session(id));
    let labelled = 0;
    let matched = 0;
    const report: string[] = [];
    for (const [file, boxes] of labels) {
      const faces = await detector.detect(await readRgb(sharedData(`attributes/dlib_faces/${file}`)));
      const found = boxes.filter((b) => faces.some((f) => iou(f.box, b) >= MATCH_IOU)).length;
      const unlabelled = faces.filter((f) => !boxes.some((b) => iou(f.box, b) >= MATCH_IOU)).length;
      report.push(`${file} ${faces.length}/${boxes.length}`);
      expect(unlabelled, `${file}: detections matching no labelled face`).toBe(0);
      labelled += boxes.length;
      matched += found;
    }
    console.log(`${id}: detected/labelled ${report.join(', ')}; recall ${matched}/${labelled}`);
    expect(labelled).toBe(43);
    expect(matched).toBeGreaterThanOrEqual(labelled - 1);
  });

  it.each(['yunet-n-320', 'yunet-n-640', 'yunet-n-dynamic', 'yunet-s-dynamic'])('%s: one face in single-person photos, none on dogs, several on bald_guys', async (id) => {
    const detector = new YunetDetector(await session(id));
    const counts: Record<string, number> = {};
    for (const rel of ['attributes/dlib_faces/Tom_Cruise_avp_2014_4.jpg', 'liveness/silent_face/live/image_T1.jpg', 'attributes/dlib_faces/dogs.jpg', 'attributes/dlib_faces/bald_guys.jpg']) {
      const image = await readRgb(sharedData(rel));
      const faces = await detector.detect(image);
      counts[path.basename(rel)] = faces.length;
      for (const f of faces) {
        expect(f.score).toBeGreaterThanOrEqual(0.9);
        expect(f.box.x + f.box.width).toBeLessThanOrEqual(image.width);
        expect(f.landmarks).toHaveLength(5);
      }
    }
    console.log(`${id}: ${JSON.stringify(counts)}`);
    expect(counts['Tom_Cruise_avp_2014_4.jpg']).toBe(1);
    expect(counts['image_T1.jpg']).toBe(1);
    expect(counts['dogs.jpg']).toBe(0);
    expect(counts['bald_guys.jpg']).toBeGreaterThan(10);
  });

  it('puts the 5 landmarks inside the face box in anatomical order (eyes above nose above mouth)', async () => {
    const detector = new YunetDetector(await session('yunet-n-dynamic'));
    const [face] = await detector.detect(await readRgb(sharedData('attributes/dlib_faces/Tom_Cruise_avp_2014_4.jpg')));
    const [rightEye, leftEye, nose, rightMouth, leftMouth] = face!.landmarks;
    for (const p of face!.landmarks) {
      expect(p.x).toBeGreaterThan(face!.box.x);
      expect(p.x).toBeLessThan(face!.box.x + face!.box.width);
    }
    expect(rightEye!.x).toBeLessThan(leftEye!.x); // subject's right eye is on the image's left
    expect(nose!.y).toBeGreaterThan(Math.max(rightEye!.y, leftEye!.y));
    expect(Math.min(rightMouth!.y, leftMouth!.y)).toBeGreaterThan(nose!.y);
  });
});

describe('MiniFASNet V2 (×2.7) + V1SE (×4.0), averaged, on Silent-Face samples (face box from YuNet)', () => {
  let detector: YunetDetector;
  let models: MiniFasnet[];
  beforeAll(async () => {
    detector = new YunetDetector(await session('yunet-n-dynamic'));
    models = await Promise.all(['minifasnet-v2', 'minifasnet-v1se'].map(async (id) => new MiniFasnet(await session(id), pack(id).faceCropScale!)));
  });

  it.each([
    ['liveness/silent_face/live/image_T1.jpg', 'real'],
    ['liveness/silent_face/spoof/image_F1.jpg', 'fake'],
    ['liveness/silent_face/spoof/image_F2.jpg', 'fake'],
  ])('%s is %s', async (rel, expected) => {
    // readRgb applies EXIF orientation 6 (these photos are stored rotated).
    const image = await readRgb(sharedData(rel));
    expect([image.width, image.height]).toEqual([480, 640]);
    const faces = await detector.detect(image);
    expect(faces).toHaveLength(1);
    const perModel = await Promise.all(models.map((m) => m.realProbability(image, faces[0]!.box)));
    const average = await averageRealProbability(models, image, faces[0]!.box);
    console.log(`${path.basename(rel)}: real probability V2 ${perModel[0]!.toFixed(4)}, V1SE ${perModel[1]!.toFixed(4)}, mean ${average.toFixed(4)}`);
    if (expected === 'real') expect(average).toBeGreaterThan(0.5);
    else expect(average).toBeLessThan(0.5);
  });
});

it('installedPacks defaults to the packs.json beside the folder', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'packs-root-'));
  try {
    writeFileSync(path.join(root, 'packs.json'), readFileSync(packsFile));
    expect(installedPacks(path.join(root, 'packs'))).toEqual([]);
    expect(existsSync(path.join(root, 'packs'))).toBe(false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
