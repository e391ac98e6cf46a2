/**
 * The labelled liveness dev set (issue #12), one list for every liveness bench and signal measurement.
 *
 * Full-frame captures, the case `checkLiveness` is built for (a phone or webcam picture with context around
 * the face):
 * - attacks: liveness/silent_face/spoof (F1 print, F2 tablet replay), liveness/mdoru/spoof (a phone held up
 *   with fingers on its edges; a screen recapture), frames of videos/liveness_tranvanluyt/fake.mp4 (the face
 *   replayed on a monitor and re-filmed) sampled at `fps`;
 * - bona fide: liveness/silent_face/live, liveness/mdoru/live, frames of videos/liveness_tranvanluyt/real.mp4,
 *   every photo of a real person in identity/ (except the tight bbt_faceapi crops) and attributes/ (except the
 *   pictures with no human face, a cartoon and a blank), and the six face-api demo photos
 *   (node_modules/@vladmandic/face-api/demo/sample*.jpg).
 *
 * Tight face crops, a separate case (the face fills the frame, no context): liveness/tranvanluyt/{live,spoof},
 * identity/bbt_faceapi.
 *
 * `subject` is the leave-one-subject-out group: the person in the picture, or the capture session where one
 * person appears both live and attacked (mdoru, tranvanluyt), so a fold never trains on the other half of the
 * same scene. Attack types come from labels/liveness.csv and what the picture shows (cited per sample).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { packageDir } from '../scripts/convert/recipe.js';
import { decodeImage } from '../src/imaging/decode.js';
import type { RgbImage } from '../src/imaging/image.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DATA_ROOT = path.resolve(repoRoot, '..', 'shared', 'data');

/** How the attack was presented; `undefined` for bona fide samples. */
export type DevAttackType = 'print' | 'screen';

export type DevSetName = 'silent_face' | 'mdoru' | 'tranvanluyt_video' | 'identity' | 'attributes' | 'faceapi_demo' | 'tranvanluyt_crop' | 'bbt_crop';

export interface DevSample {
  /** Path under ../shared/data (or the package path), `#<frame>` appended for video frames. */
  id: string;
  set: DevSetName;
  live: boolean;
  attackType?: DevAttackType;
  /** Leave-one-subject-out group. */
  subject: string;
  /** `full-frame`: context around the face; `tight-crop`: the face fills the picture. */
  framing: 'full-frame' | 'tight-crop';
  /** The file to decode (a video frame is extracted to a temp PNG first). */
  file: string;
}

/** Attack type per spoof still, from labels/liveness.csv and the picture. */
const STILL_ATTACKS: Record<string, DevAttackType> = {
  // labels/liveness.csv: "print attack (photo)".
  'liveness/silent_face/spoof/image_F1.jpg': 'print',
  // labels/liveness.csv: "replay on tablet screen".
  'liveness/silent_face/spoof/image_F2.jpg': 'screen',
  // labels/liveness.csv: "a phone held by fingers showing subject A" (screen replay).
  'liveness/mdoru/spoof/spoofFace.jpg': 'screen',
  // labels/liveness.csv: "re-capture from a screen/print ... screen edge at top": counted as a screen.
  'liveness/mdoru/spoof/spoofFace2.jpg': 'screen',
};

/** attributes/ pictures that are not a photo of a real person's face (labels/attributes.csv). */
const NOT_A_PERSON = new Set(['no_face', 'no_face_blank', 'no_human_face', 'cartoon_not_real_face']);

function csvRows(file: string): string[][] {
  // The label files quote only the last (free-text) column; the first columns never hold commas.
  return readFileSync(file, 'utf8').trim().split('\n').slice(1).map((line) => line.split(','));
}

/** Every still of the dev set (no video frames); throws naming the folder when ../shared/data is missing. */
export function devStills(): DevSample[] {
  if (!existsSync(DATA_ROOT)) throw new Error(`liveness dev set: ${DATA_ROOT} not found (the shared test data set must sit beside the repository)`);
  const out: DevSample[] = [];
  const at = (rel: string) => path.join(DATA_ROOT, rel);
  for (const [rel, label, modality, set] of csvRows(at('labels/liveness.csv'))) {
    if (modality !== 'rgb_image') continue;
    const live = label === 'live';
    if (set === 'silent_face') {
      // Three different people (one live, a printed model, a woman on a tablet): one subject each.
      out.push({ id: rel!, set: 'silent_face', live, attackType: live ? undefined : STILL_ATTACKS[rel!], subject: `silent_face:${path.basename(rel!)}`, framing: 'full-frame', file: at(rel!) });
    } else if (set === 'mdoru') {
      out.push({ id: rel!, set: 'mdoru', live, attackType: live ? undefined : STILL_ATTACKS[rel!], subject: 'mdoru', framing: 'full-frame', file: at(rel!) });
    } else if (set === 'tranvanluyt') {
      out.push({ id: rel!, set: 'tranvanluyt_crop', live, attackType: live ? undefined : 'screen', subject: 'tranvanluyt', framing: 'tight-crop', file: at(rel!) });
    }
  }
  for (const [rel, key, , set] of csvRows(at('labels/identity.csv'))) {
    const tight = set === 'bbt_faceapi';
    out.push({ id: rel!, set: tight ? 'bbt_crop' : 'identity', live: true, subject: `person:${key!.split('/').pop()}`, framing: tight ? 'tight-crop' : 'full-frame', file: at(rel!) });
  }
  for (const [rel, attributes] of csvRows(at('labels/attributes.csv'))) {
    if (attributes!.split(';').some((a) => NOT_A_PERSON.has(a))) continue;
    // Obama's resolution ladder and partial crops are one person, as in identity/.
    const obama = /\/obama[-_]/.test(rel!);
    out.push({ id: rel!, set: 'attributes', live: true, subject: obama ? 'person:obama' : `photo:${rel}`, framing: 'full-frame', file: at(rel!) });
  }
  const demo = path.join(packageDir('@vladmandic/face-api'), 'demo');
  for (const name of readdirSync(demo).filter((f) => /^sample\d+\.jpg$/.test(f)).sort()) {
    out.push({ id: `@vladmandic/face-api/demo/${name}`, set: 'faceapi_demo', live: true, subject: `photo:faceapi-${name}`, framing: 'full-frame', file: path.join(demo, name) });
  }
  return out;
}

/**
 * Frames of the tranvanluyt live and replay recordings at `fps` frames per second (issue #12: at least 1 fps),
 * extracted with ffmpeg into `dir` (the caller removes it).
 */
export function devVideoFrames(dir: string, fps = 1): DevSample[] {
  const ffmpeg = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  const out: DevSample[] = [];
  for (const [name, live] of [
    ['real.mp4', true],
    ['fake.mp4', false],
  ] as const) {
    const rel = `videos/liveness_tranvanluyt/${name}`;
    const target = mkdtempSync(path.join(dir, `${name}-`));
    execFileSync(ffmpeg, ['-v', 'error', '-i', path.join(DATA_ROOT, rel), '-vf', `fps=${fps}`, path.join(target, '%04d.png')]);
    const frames = readdirSync(target).filter((f) => f.endsWith('.png')).sort();
    for (const [i, frame] of frames.entries()) {
      // labels/videos.csv: fake.mp4 is the recording replayed on a screen and re-filmed.
      out.push({ id: `${rel}#${(i / fps).toFixed(1)}s`, set: 'tranvanluyt_video', live, attackType: live ? undefined : 'screen', subject: 'tranvanluyt', framing: 'full-frame', file: path.join(target, frame) });
    }
  }
  return out;
}

/** The whole dev set: stills plus video frames (extracted under a temp folder removed by `dispose`). */
export function devSet(fps = 1): { samples: DevSample[]; dispose: () => void } {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'liveness-dev-'));
  try {
    return { samples: [...devStills(), ...devVideoFrames(tmp, fps)], dispose: () => rmSync(tmp, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Decodes a sample like the service does (EXIF rotation applied; large pixel limit, the dev photos are all
 * small). The three WebP pictures of attributes/ulfd_masked are re-encoded as PNG first: the service's
 * decoder takes JPEG and PNG only (HyperVerge's checkLiveness contract).
 */
export async function loadSample(sample: DevSample): Promise<RgbImage> {
  let bytes: Uint8Array = readFileSync(sample.file);
  if ((await sharp(bytes).metadata()).format === 'webp') bytes = await sharp(bytes).png().toBuffer();
  return decodeImage(bytes, { maxPixels: 50_000_000 });
}
