/**
 * face-api's shared layers (node_modules/@vladmandic/face-api/src/common/*.ts) as ONNX nodes.
 * Tensors are NCHW inside every converted graph; weights are read from face-api's manifests by name.
 */
import { GraphBuilder, depthwiseToOihw, hwioToOihw, tfPaddingAttrs } from '../onnx-builder.js';
import { type WeightMap, floatWeight, weight } from '../tfjs-weights.js';

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
