/**
 * face-api's shared layers (node_modules/@vladmandic/face-api/src/common/*.ts) as ONNX nodes.
 * Tensors are NCHW inside every converted graph; weights are read from face-api's manifests by name.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GraphBuilder, depthwiseToOihw, hwioToOihw, tfPaddingAttrs } from '../onnx-builder.js';
import type { TensorInputSpec } from '../../../src/inference/manifest.js';
import { packageDir } from '../recipe.js';
import { type WeightGroup, type WeightMap, floatWeight, loadWeights, weight } from '../tfjs-weights.js';

export type Padding = 'same' | 'valid';

/** Conv2D with a TF HWIO kernel and optional bias (ONNX Conv's third input). */
export function conv2d(
  g: GraphBuilder,
  x: string,
  weights: WeightMap,
  kernelName: string,
  biasName: string | undefined,
  options: { stride?: number; padding?: Padding; hint?: string } = {},
): string {
  const kernel = weight(weights, kernelName);
  const { data, dims } = hwioToOihw(kernel.data as Float32Array, kernel.shape);
  const inputs = [x, g.constant(kernelName, data, dims)];
  if (biasName) inputs.push(g.constant(biasName, floatWeight(weights, biasName, [dims[0]!]), [dims[0]!]));
  const stride = options.stride ?? 1;
  return g.node(
    'Conv',
    inputs,
    { kernel_shape: [dims[2]!, dims[3]!], strides: [stride, stride], ...tfPaddingAttrs(options.padding ?? 'same') },
    options.hint ?? kernelName,
  );
}

/** Depthwise Conv2D (TF depthwise kernel [kh, kw, in, multiplier]) as a grouped ONNX Conv, no bias. */
export function depthwiseConv2d(
  g: GraphBuilder,
  x: string,
  weights: WeightMap,
  kernelName: string,
  options: { stride?: number; padding?: Padding; hint?: string; biasName?: string } = {},
): string {
  const kernel = weight(weights, kernelName);
  const { data, dims, group } = depthwiseToOihw(kernel.data as Float32Array, kernel.shape);
  const inputs = [x, g.constant(kernelName, data, dims)];
  if (options.biasName) inputs.push(g.constant(options.biasName, floatWeight(weights, options.biasName, [dims[0]!]), [dims[0]!]));
  const stride = options.stride ?? 1;
  return g.node(
    'Conv',
    inputs,
    { kernel_shape: [dims[2]!, dims[3]!], strides: [stride, stride], group, ...tfPaddingAttrs(options.padding ?? 'same') },
    options.hint ?? kernelName,
  );
}

/**
 * face-api `depthwiseSeparableConv` (src/common/depthwiseSeparableConv.ts): tf.separableConv2d with
 * 'same' padding (depthwise with stride, then 1×1 pointwise), plus bias. Weights `<prefix>/depthwise_filter`,
 * `<prefix>/pointwise_filter`, `<prefix>/bias`.
 */
export function separableConv(g: GraphBuilder, x: string, weights: WeightMap, prefix: string, stride = 1): string {
  const dw = depthwiseConv2d(g, x, weights, `${prefix}/depthwise_filter`, { stride, padding: 'same' });
  return conv2d(g, dw, weights, `${prefix}/pointwise_filter`, `${prefix}/bias`, { padding: 'valid', hint: prefix });
}

/** face-api `convLayer` (src/common/convLayer.ts): conv2d stride 1 + bias, optional ReLU. */
export function convLayer(g: GraphBuilder, x: string, weights: WeightMap, prefix: string, padding: Padding = 'same', withRelu = false): string {
  const out = conv2d(g, x, weights, `${prefix}/filters`, `${prefix}/bias`, { padding, hint: prefix });
  return withRelu ? g.node('Relu', [out]) : out;
}

/**
 * face-api `fullyConnectedLayer` (src/common/fullyConnectedLayer.ts): x·W + b with W [in, out].
 * Gemm with transB=0 takes W as stored by TF.
 */
export function fullyConnected(g: GraphBuilder, x: string, weights: WeightMap, prefix: string): string {
  const w = weight(weights, `${prefix}/weights`);
  const [inSize, outSize] = w.shape as [number, number];
  const wName = g.constant(`${prefix}/weights`, w.data as Float32Array, [inSize, outSize]);
  const bName = g.constant(`${prefix}/bias`, floatWeight(weights, `${prefix}/bias`, [outSize]), [outSize]);
  return g.node('Gemm', [x, wName, bName], {}, prefix);
}

// ---------------------------------------------------------------------------------------------
// Added for the per-face networks (landmarks, recognition, age/gender).
// ---------------------------------------------------------------------------------------------

/**
 * face-api's per-face input normalisation, `normalize(batchTensor, meanRgb).div(255)` with
 * meanRgb = [122.782, 117.001, 104.298] (src/faceFeatureExtractor/FaceFeatureExtractor.ts,
 * src/faceRecognitionNet/FaceRecognitionNet.ts, src/xception/TinyXception.ts; normalize() in
 * src/ops/normalize.ts subtracts the per-channel mean). Kept as Sub then Div, the order tfjs runs.
 */
export const FACEAPI_MEAN_RGB = [122.782, 117.001, 104.298] as const;

export function faceApiMeanRgbNormalize(g: GraphBuilder, x: string): string {
  const centred = g.node('Sub', [x, g.floats([...FACEAPI_MEAN_RGB], [1, 3, 1, 1])], {}, 'normalize/sub_mean');
  return g.node('Div', [centred, g.floats([255], [])], {}, 'normalize/div_255');
}

/**
 * Manifest input of a face-api per-face net: a square RGB 0–255 crop, batch axis dynamic, with the
 * normalisation of {@link faceApiMeanRgbNormalize} inside the graph (so mean 0 / std 1 for the caller).
 */
export function faceApiFaceInput(size: number, netSource: string, preprocessing: string): TensorInputSpec {
  return {
    name: 'input',
    shape: ['batch', 3, size, size],
    dtype: 'float32',
    layout: 'NCHW',
    colorOrder: 'RGB',
    mean: [0, 0, 0],
    std: [1, 1, 1],
    inGraphNormalization:
      `(pixel − [${FACEAPI_MEAN_RGB.join(', ')}]) / 255 per RGB channel, as face-api's forwardInput does ` +
      `(face-api ${netSource}, src/ops/normalize.ts); feed raw 0–255 RGB`,
    preprocessing,
  };
}

/** The files of one face-api weights-only model (`model/<name>-weights_manifest.json` + its shards). */
export function faceApiModelFiles(name: string): { modelDir: string; relative: string[]; absolute: string[] } {
  const packageRoot = packageDir('@vladmandic/face-api');
  const modelDir = path.join(packageRoot, 'model');
  const manifest = `model/${name}-weights_manifest.json`;
  const groups = JSON.parse(readFileSync(path.join(packageRoot, manifest), 'utf8')) as WeightGroup[];
  const relative = [manifest, ...groups.flatMap((group) => group.paths.map((p) => `model/${p}`))];
  return { modelDir, relative, absolute: relative.map((p) => path.join(packageRoot, p)) };
}

/** Decodes a face-api weights-only model by name (e.g. `face_landmark_68_model`), dequantising as tfjs does. */
export function loadFaceApiModelWeights(name: string): WeightMap {
  const { modelDir } = faceApiModelFiles(name);
  const groups = JSON.parse(readFileSync(path.join(modelDir, `${name}-weights_manifest.json`), 'utf8')) as WeightGroup[];
  return loadWeights(groups, modelDir);
}
