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

/** A tfjs graph model (Human's models/<name>.json + .bin) loaded from disk through tf.io.fromMemory. */
export async function humanGraphModel(name: string) {
  const tf = await tfWasm();
  const dir = path.join(packageDir('@vladmandic/human'), 'models');
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
