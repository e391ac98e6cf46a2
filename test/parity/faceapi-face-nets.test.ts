/**
 * Parity of the converted face-api per-face networks (landmarks, recognition, age/gender) with
 * face-api itself on tfjs-wasm: the same face crops, as the same 0–255 RGB tensor, go through both.
 *
 * Faces: two tight crops from face-api.js' own examples (identity/bbt_faceapi, 150×150) and faces
 * found by face-api's TinyFaceDetector in its demo samples and in identity/face_recognition_ageitgey photos.
 * Every crop is made at exactly the net's input size, so face-api's toBatchTensor neither pads nor resizes.
 */
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { ageGenderRecipe } from '../../scripts/convert/faceapi/age-gender.js';
import { faceLandmark68Recipe } from '../../scripts/convert/faceapi/face-landmark-68.js';
import { faceRecognitionRecipe } from '../../scripts/convert/faceapi/face-recognition.js';
import type { ModelRecipe } from '../../scripts/convert/recipe.js';
import { ModelSession } from '../../src/inference/session.js';
import { type FaceApi, type RgbImage, cosine, faceApi, faceApiSamples, maxAbsDiff, readRgb, sharedData, tfWasm, toNchw, toNhwc } from '../helpers/reference.js';

/** A face: an image file and the square region (pixels) holding the face; no region = the file is a face crop. */
interface FaceSource {
  label: string;
  file: string;
  region?: { left: number; top: number; size: number };
}

const BBT_CROPS = ['identity/bbt_faceapi/sheldon/sheldon1.png', 'identity/bbt_faceapi/penny/penny1.png'];
const DETECTED_PHOTOS = [faceApiSamples()[1]!, sharedData('identity/face_recognition_ageitgey/obama/obama.jpg')];

/** The largest face TinyFaceDetector finds in `file`, as a square region around the box centre, inside the image. */
async function detectLargestFace(api: FaceApi, file: string): Promise<FaceSource['region']> {
  const tf = await tfWasm();
  const image = await readRgb(file);
  const tensor = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  const detections = (await api.detectAllFaces(tensor, new api.TinyFaceDetectorOptions())) as { box: { x: number; y: number; width: number; height: number } }[];
  tensor.dispose();
  if (detections.length === 0) throw new Error(`${file}: expected a face, TinyFaceDetector found none`);
  const { box } = detections.reduce((a, b) => (b.box.width * b.box.height > a.box.width * a.box.height ? b : a));
  const size = Math.min(Math.round(Math.max(box.width, box.height)), image.width, image.height);
  const clamp = (v: number, max: number) => Math.max(0, Math.min(Math.round(v), max - size));
  return { left: clamp(box.x + box.width / 2 - size / 2, image.width), top: clamp(box.y + box.height / 2 - size / 2, image.height), size };
}

/** The face as a size×size RGB crop (sharp bilinear resize, EXIF-rotated). */
async function faceCrop(face: FaceSource, size: number): Promise<RgbImage> {
  if (!face.region) return readRgb(face.file, { width: size, height: size });
  const { data, info } = await sharp(face.file)
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .extract({ left: face.region.left, top: face.region.top, width: face.region.size, height: face.region.size })
    .resize(size, size, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** NCHW batch of the crops, as the ONNX model takes them (raw 0–255 RGB). */
function nchwBatch(crops: RgbImage[]): { data: Float32Array; dims: number[] } {
  const { width, height } = crops[0]!;
  const data = new Float32Array(crops.length * 3 * width * height);
  crops.forEach((crop, i) => data.set(toNchw(crop), i * 3 * width * height));
  return { data, dims: [crops.length, 3, height, width] };
}

async function buildSession(recipe: ModelRecipe): Promise<ModelSession> {
  const { bytes } = await recipe.build();
  return ModelSession.create(recipe.id, bytes);
}

/** Runs face-api's net on each crop alone (a [size, size, 3] float tensor) and returns `read(output)` per crop. */
async function faceApiPerCrop<T>(crops: RgbImage[], forward: (input: unknown) => Promise<T>, read: (out: T) => Float32Array[]): Promise<Float32Array[][]> {
  const tf = await tfWasm();
  const results: Float32Array[][] = [];
  for (const crop of crops) {
    const tensor = tf.tensor3d(toNhwc(crop), [crop.height, crop.width, 3], 'float32');
    results.push(read(await forward(tensor)));
    tensor.dispose();
  }
  return results;
}

/** Row `i` of a [batch, n] output. */
const row = (t: { data: Float32Array; dims: readonly number[] }, i: number) => {
  const n = t.dims.length > 1 ? t.dims[1]! : 1;
  return t.data.subarray(i * n, (i + 1) * n);
};

type TfTensor = { dataSync(): Float32Array; dispose(): void };
const take = (t: TfTensor) => {
  const data = Float32Array.from(t.dataSync());
  t.dispose();
  return data;
};

describe('face-api per-face networks: ONNX vs face-api on tfjs-wasm', () => {
  let api: FaceApi;
  const faces: FaceSource[] = [];

  beforeAll(async () => {
    api = await faceApi();
    for (const rel of BBT_CROPS) faces.push({ label: rel.split('/').pop()!, file: sharedData(rel) });
    for (const file of DETECTED_PHOTOS) faces.push({ label: file.split('/').pop()!, file, region: await detectLargestFace(api, file) });
  });

  it('faceapi-face-landmark-68: landmarks max abs diff ≤ 1e-4 (normalised 0–1 coordinates; measured ~1e-7), 4 faces in one batch', async () => {
    const crops = await Promise.all(faces.map((face) => faceCrop(face, 112)));
    const session = await buildSession(faceLandmark68Recipe);
    const onnx = (await session.run({ input: nchwBatch(crops) })).landmarks!;
    expect(onnx.dims).toEqual([faces.length, 136]);
    const reference = await faceApiPerCrop(crops, (t) => api.nets.faceLandmark68Net.forward(t) as Promise<TfTensor>, (out) => [take(out)]);
    const diffs = faces.map((_, i) => maxAbsDiff(row(onnx, i), reference[i]![0]!));
    console.log('landmarks max abs diff per face:', Object.fromEntries(faces.map((f, i) => [f.label, diffs[i]!.toExponential(2)])));
    // Meaning: normalised coordinates of a face filling the crop lie well inside [-0.2, 1.2].
    expect(Math.min(...onnx.data)).toBeGreaterThan(-0.2);
    expect(Math.max(...onnx.data)).toBeLessThan(1.2);
    for (const d of diffs) expect(d).toBeLessThanOrEqual(1e-4);
    await session.release();
  });

  it('faceapi-face-recognition: embedding cosine ≥ 0.99999 and max abs diff ≤ 1e-4 (measured ~3e-7), 4 faces in one batch', async () => {
    const crops = await Promise.all(faces.map((face) => faceCrop(face, 150)));
    const session = await buildSession(faceRecognitionRecipe);
    const onnx = (await session.run({ input: nchwBatch(crops) })).embedding!;
    expect(onnx.dims).toEqual([faces.length, 128]);
    const reference = await faceApiPerCrop(crops, (t) => api.nets.faceRecognitionNet.forward(t) as Promise<TfTensor>, (out) => [take(out)]);
    const stats = faces.map((_, i) => ({
      cosine: cosine(row(onnx, i), reference[i]![0]!),
      maxAbsDiff: maxAbsDiff(row(onnx, i), reference[i]![0]!),
      norm: Math.hypot(...row(onnx, i)),
    }));
    console.log('recognition per face:', Object.fromEntries(faces.map((f, i) => [f.label, stats[i]])));
    for (const s of stats) {
      expect(s.cosine).toBeGreaterThanOrEqual(0.99999);
      expect(s.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    }
    await session.release();
  });

  it('faceapi-age-gender: age max abs diff ≤ 1e-2 years, gender probabilities ≤ 1e-3, 4 faces in one batch', async () => {
    const crops = await Promise.all(faces.map((face) => faceCrop(face, 112)));
    const session = await buildSession(ageGenderRecipe);
    const out = await session.run({ input: nchwBatch(crops) });
    const age = out.age!;
    const gender = out.gender!;
    expect(age.dims).toEqual([faces.length]);
    expect(gender.dims).toEqual([faces.length, 2]);
    const reference = await faceApiPerCrop(
      crops,
      (t) => api.nets.ageGenderNet.forward(t) as Promise<{ age: TfTensor; gender: TfTensor }>,
      (o) => [take(o.age), take(o.gender)],
    );
    const stats = faces.map((_, i) => ({
      age: age.data[i]!,
      ageDiff: Math.abs(age.data[i]! - reference[i]![0]![0]!),
      male: row(gender, i)[0]!,
      genderDiff: maxAbsDiff(row(gender, i), reference[i]![1]!),
    }));
    console.log('age/gender per face:', Object.fromEntries(faces.map((f, i) => [f.label, stats[i]])));
    for (const s of stats) {
      expect(s.ageDiff).toBeLessThanOrEqual(1e-2);
      expect(s.genderDiff).toBeLessThanOrEqual(1e-3);
    }
    // Meaning: index 0 is male. sheldon1 is a man, penny1 a woman (face-api.js' example data).
    expect(stats[0]!.male).toBeGreaterThan(0.5);
    expect(stats[1]!.male).toBeLessThan(0.5);
    await session.release();
  });

  it('faceapi-face-recognition: same person is closer than different people (euclidean, face-api threshold 0.6)', async () => {
    const session = await buildSession(faceRecognitionRecipe);
    const pairsOf = async (sources: FaceSource[]) => {
      const crops = await Promise.all(sources.map((face) => faceCrop(face, 150)));
      const embedding = (await session.run({ input: nchwBatch(crops) })).embedding!;
      return sources.map((_, i) => row(embedding, i));
    };
    const distance = (a: Float32Array, b: Float32Array) => Math.hypot(...a.map((v, i) => v - b[i]!));
    const bbt = (rel: string): FaceSource => ({ label: rel, file: sharedData(`identity/bbt_faceapi/${rel}`) });
    const [sheldon1, sheldon2, penny1] = await pairsOf([bbt('sheldon/sheldon1.png'), bbt('sheldon/sheldon2.png'), bbt('penny/penny1.png')]);
    const photo = async (rel: string): Promise<FaceSource> => {
      const file = sharedData(`identity/face_recognition_ageitgey/${rel}`);
      return { label: rel, file, region: await detectLargestFace(api, file) };
    };
    const [obama1, obama2, biden] = await pairsOf([await photo('obama/obama.jpg'), await photo('obama/obama2.jpg'), await photo('biden/biden2.jpg')]);
    const same = [distance(sheldon1!, sheldon2!), distance(obama1!, obama2!)];
    const different = [distance(sheldon1!, penny1!), distance(sheldon2!, penny1!), distance(obama1!, biden!), distance(obama2!, biden!)];
    console.log('euclidean distances — same person:', same, 'different people:', different);
    expect(Math.max(...same)).toBeLessThan(0.6);
    expect(Math.min(...different)).toBeGreaterThan(0.6);
    await session.release();
  });
});
