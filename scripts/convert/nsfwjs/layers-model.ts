/**
 * A tfjs LAYERS model (a Keras `Model` config, as written by tensorflowjs_converter from Keras 2.x) to ONNX.
 *
 * Covers the layer classes of the Keras applications CNNs that nsfwjs ships (MobileNetV2 head + a dense
 * classifier): InputLayer, ZeroPadding2D, Conv2D, DepthwiseConv2D, BatchNormalization, ReLU, Activation,
 * Add, AveragePooling2D, MaxPooling2D, GlobalAveragePooling2D, Flatten, Dense, Dropout. Any other class, or an
 * option of a known class that this converter does not implement, throws with the layer's name: a silent
 * approximation would only show up as a parity failure much later.
 *
 * Layout: Keras tensors are NHWC (`data_format: channels_last`); every tensor in the emitted graph is NCHW,
 * so kernels are transposed once (HWIO → OIHW) and Flatten transposes back to NHWC first so that the
 * following Dense kernel sees features in Keras order.
 *
 * Weight names follow tfjs-layers (`<layer name>/<weight>`, e.g. `Conv1/kernel`, `bn_Conv1/moving_mean`).
 */
import { type Dim, GraphBuilder, depthwiseToOihw, f, hwioToOihw, tfPaddingAttrs } from '../onnx-builder.js';
import { type WeightMap, floatWeight, weight } from '../tfjs-weights.js';

/** One layer of a Keras functional `Model` config (keras/engine/network.py `get_config`). */
export interface KerasLayer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  /** [[ [inboundLayer, nodeIndex, tensorIndex, kwargs], ... ]] — one entry per call of the layer. */
  inbound_nodes: [string, number, number, unknown?][][];
}

export interface KerasModelTopology {
  keras_version?: string;
  backend?: string;
  model_config: {
    class_name: string;
    config: { name: string; layers: KerasLayer[]; input_layers: [string, number, number][]; output_layers: [string, number, number][] };
  };
}

export interface LayersModelOptions {
  /** ONNX input name (the project convention is `input`). */
  inputName: string;
  /** ONNX output names, one per Keras output layer, in `output_layers` order. */
  outputNames: string[];
  /** Graph name stored in the ONNX file. */
  graphName: string;
}

export interface ConvertedLayersModel {
  bytes: Uint8Array;
  /** Declared NCHW input shape (batch symbolic). */
  inputShape: Dim[];
  /** Declared output shapes, in `outputNames` order. */
  outputShapes: Dim[][];
}

/** NHWC tensor shape tracked during conversion (batch excluded), for declared output shapes and Flatten. */
interface Value {
  name: string;
  /** [H, W, C] for feature maps, [C] for vectors. */
  shape: number[];
}

const get = <T>(layer: KerasLayer, key: string): T => {
  const v = layer.config[key];
  if (v === undefined) throw new Error(`layer ${layer.name} (${layer.class_name}): config.${key} missing`);
  return v as T;
};

function pair(layer: KerasLayer, key: string): [number, number] {
  const v = get<number | number[]>(layer, key);
  const p = typeof v === 'number' ? [v, v] : v;
  if (p.length !== 2) throw new Error(`layer ${layer.name}: config.${key} expected 2 values, got ${JSON.stringify(v)}`);
  return [p[0]!, p[1]!];
}

function requireChannelsLast(layer: KerasLayer): void {
  const format = layer.config.data_format;
  if (format !== undefined && format !== 'channels_last') {
    throw new Error(`layer ${layer.name} (${layer.class_name}): data_format ${String(format)} not supported (expected channels_last)`);
  }
}

function requireUnitDilation(layer: KerasLayer): void {
  const d = layer.config.dilation_rate;
  if (d !== undefined && pair(layer, 'dilation_rate').some((v) => v !== 1)) {
    throw new Error(`layer ${layer.name}: dilation_rate ${JSON.stringify(d)} not supported`);
  }
}

/** Output size of a conv/pool along one axis, as TF computes it (tf.nn.conv2d padding rules). */
function outSize(size: number, kernel: number, stride: number, padding: string): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - kernel) / stride) + 1;
}

/** Keras activation names → ONNX nodes (keras/activations.py). */
function activation(g: GraphBuilder, x: string, name: string, layer: KerasLayer): string {
  switch (name) {
    case 'linear':
      return x;
    case 'relu':
      return g.node('Relu', [x], {}, `${layer.name}/relu`);
    case 'relu6':
      return g.node('Clip', [x, g.floats([0], []), g.floats([6], [])], {}, `${layer.name}/relu6`);
    case 'sigmoid':
      return g.node('Sigmoid', [x], {}, `${layer.name}/sigmoid`);
    case 'tanh':
      return g.node('Tanh', [x], {}, `${layer.name}/tanh`);
    case 'softmax':
      // Keras softmax is over the last axis; used here on [batch, units] only (checked by the caller).
      return g.node('Softmax', [x], { axis: -1 }, `${layer.name}/softmax`);
    default:
      throw new Error(`layer ${layer.name}: activation ${name} not supported`);
  }
}

/** Converts a Keras functional model with the given weights; unknown layer classes throw. */
export function convertLayersModel(topology: KerasModelTopology, weights: WeightMap, options: LayersModelOptions): ConvertedLayersModel {
  const modelConfig = topology.model_config;
  if (modelConfig.class_name !== 'Model' && modelConfig.class_name !== 'Functional') {
    throw new Error(`model class ${modelConfig.class_name} not supported (expected a functional Model)`);
  }
  const { layers, input_layers: inputLayers, output_layers: outputLayers } = modelConfig.config;
  if (inputLayers.length !== 1) throw new Error(`expected one input layer, got ${inputLayers.length}`);
  if (outputLayers.length !== options.outputNames.length) {
    throw new Error(`expected ${options.outputNames.length} output layers, got ${outputLayers.length}`);
  }

  const g = new GraphBuilder(options.graphName);
  const values = new Map<string, Value>();
  const used = new Set<string>();
  let inputShape: Dim[] = [];

  const inboundOf = (layer: KerasLayer): Value[] => {
    if (layer.inbound_nodes.length !== 1) {
      throw new Error(`layer ${layer.name}: called ${layer.inbound_nodes.length} times; shared layers are not supported`);
    }
    return layer.inbound_nodes[0]!.map(([name, nodeIndex, tensorIndex]) => {
      if (nodeIndex !== 0 || tensorIndex !== 0) throw new Error(`layer ${layer.name}: inbound ${name}[${nodeIndex}][${tensorIndex}] not supported`);
      const v = values.get(name);
      if (!v) throw new Error(`layer ${layer.name}: inbound layer ${name} not converted yet (layers out of order?)`);
      return v;
    });
  };
  const single = (layer: KerasLayer): Value => {
    const inbound = inboundOf(layer);
    if (inbound.length !== 1) throw new Error(`layer ${layer.name} (${layer.class_name}): expected one input, got ${inbound.length}`);
    return inbound[0]!;
  };
  const featureMap = (layer: KerasLayer, v: Value): [number, number, number] => {
    if (v.shape.length !== 3) throw new Error(`layer ${layer.name} (${layer.class_name}): expected an H×W×C input, got shape ${JSON.stringify(v.shape)}`);
    return v.shape as [number, number, number];
  };
  /** Weight `<layer>/<suffix>`, marked as used so leftover weights can be reported. */
  const w = (layer: KerasLayer, suffix: string, shape?: number[]): Float32Array => {
    const name = `${layer.name}/${suffix}`;
    used.add(name);
    return floatWeight(weights, name, shape);
  };

  for (const layer of layers) {
    let out: Value;
    switch (layer.class_name) {
      case 'InputLayer': {
        const shape = get<(number | null)[]>(layer, 'batch_input_shape');
        if (shape.length !== 4 || shape.slice(1).some((d) => d === null)) {
          throw new Error(`layer ${layer.name}: batch_input_shape ${JSON.stringify(shape)} not supported (expected [batch, H, W, C] with fixed H, W, C)`);
        }
        const [, h, wd, c] = shape as [null, number, number, number];
        inputShape = ['batch', c, h, wd];
        out = { name: g.input(options.inputName, inputShape), shape: [h, wd, c] };
        break;
      }
      case 'ZeroPadding2D': {
        requireChannelsLast(layer);
        const x = single(layer);
        const [h, wd, c] = featureMap(layer, x);
        const p = get<number | number[] | number[][]>(layer, 'padding');
        // keras/layers/convolutional.py ZeroPadding2D: int, (symmetric_h, symmetric_w) or ((top, bottom), (left, right)).
        let top: number, bottom: number, left: number, right: number;
        if (typeof p === 'number') [top, bottom, left, right] = [p, p, p, p];
        else if (typeof p[0] === 'number') [top, bottom, left, right] = [p[0], p[0], p[1] as number, p[1] as number];
        else [[top, bottom], [left, right]] = p as [[number, number], [number, number]];
        const pads = g.int64s([0, 0, top, left, 0, 0, bottom, right]);
        out = { name: g.node('Pad', [x.name, pads], { mode: 'constant' }, layer.name), shape: [h + top + bottom, wd + left + right, c] };
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        requireChannelsLast(layer);
        requireUnitDilation(layer);
        const x = single(layer);
        const [h, wd] = featureMap(layer, x);
        const [sh, sw] = pair(layer, 'strides');
        const padding = get<string>(layer, 'padding');
        const depthwise = layer.class_name === 'DepthwiseConv2D';
        const suffix = depthwise ? 'depthwise_kernel' : 'kernel';
        const kernelName = `${layer.name}/${suffix}`;
        used.add(kernelName);
        const kernel = weight(weights, kernelName);
        const converted: { data: Float32Array; dims: number[]; group?: number } = depthwise
          ? depthwiseToOihw(kernel.data as Float32Array, kernel.shape)
          : hwioToOihw(kernel.data as Float32Array, kernel.shape);
        const [cout, , kh, kw] = converted.dims as [number, number, number, number];
        const inputs = [x.name, g.constant(kernelName, converted.data, converted.dims)];
        if (get<boolean>(layer, 'use_bias')) inputs.push(g.constant(`${layer.name}/bias`, w(layer, 'bias', [cout]), [cout]));
        const attrs = { kernel_shape: [kh, kw], strides: [sh, sw], ...tfPaddingAttrs(padding), ...(converted.group !== undefined ? { group: converted.group } : {}) };
        const conv = g.node('Conv', inputs, attrs, layer.name);
        out = { name: activation(g, conv, get<string>(layer, 'activation'), layer), shape: [outSize(h, kh, sh, padding), outSize(wd, kw, sw, padding), cout] };
        break;
      }
      case 'BatchNormalization': {
        const x = single(layer);
        const axis = get<number | number[]>(layer, 'axis');
        const rank = x.shape.length + 1;
        const axisValue = Array.isArray(axis) ? axis[0] : axis;
        if ((Array.isArray(axis) && axis.length !== 1) || (axisValue !== -1 && axisValue !== rank - 1)) {
          throw new Error(`layer ${layer.name}: BatchNormalization axis ${JSON.stringify(axis)} not supported (expected the channel axis)`);
        }
        const c = x.shape[x.shape.length - 1]!;
        // tfjs-layers normalization.ts batchNormalization: (x − mean) · gamma / sqrt(var + epsilon) + beta,
        // gamma = 1 when scale is false, beta = 0 when center is false.
        const gamma = get<boolean>(layer, 'scale') ? w(layer, 'gamma', [c]) : new Float32Array(c).fill(1);
        const beta = get<boolean>(layer, 'center') ? w(layer, 'beta', [c]) : new Float32Array(c);
        const inputs = [
          x.name,
          g.constant(`${layer.name}/gamma`, gamma, [c]),
          g.constant(`${layer.name}/beta`, beta, [c]),
          g.constant(`${layer.name}/moving_mean`, w(layer, 'moving_mean', [c]), [c]),
          g.constant(`${layer.name}/moving_variance`, w(layer, 'moving_variance', [c]), [c]),
        ];
        out = { name: g.node('BatchNormalization', inputs, { epsilon: f(get<number>(layer, 'epsilon')) }, layer.name), shape: x.shape };
        break;
      }
      case 'ReLU': {
        const x = single(layer);
        const maxValue = layer.config.max_value as number | null | undefined;
        const slope = (layer.config.negative_slope as number | undefined) ?? 0;
        const threshold = (layer.config.threshold as number | undefined) ?? 0;
        if (slope !== 0 || threshold !== 0) throw new Error(`layer ${layer.name}: ReLU with negative_slope ${slope} / threshold ${threshold} not supported`);
        const name =
          maxValue === null || maxValue === undefined
            ? g.node('Relu', [x.name], {}, layer.name)
            : g.node('Clip', [x.name, g.floats([0], []), g.floats([maxValue], [])], {}, layer.name);
        out = { name, shape: x.shape };
        break;
      }
      case 'Activation': {
        const x = single(layer);
        const fn = get<string>(layer, 'activation');
        if (fn === 'softmax' && x.shape.length !== 1) throw new Error(`layer ${layer.name}: softmax over a feature map not supported`);
        out = { name: activation(g, x.name, fn, layer), shape: x.shape };
        break;
      }
      case 'Add': {
        const inbound = inboundOf(layer);
        if (inbound.length < 2) throw new Error(`layer ${layer.name}: Add needs at least 2 inputs, got ${inbound.length}`);
        let sum = inbound[0]!.name;
        for (const [i, v] of inbound.slice(1).entries()) sum = g.node('Add', [sum, v.name], {}, i === inbound.length - 2 ? layer.name : `${layer.name}/${i}`);
        out = { name: sum, shape: inbound[0]!.shape };
        break;
      }
      case 'AveragePooling2D':
      case 'MaxPooling2D': {
        requireChannelsLast(layer);
        const x = single(layer);
        const [h, wd, c] = featureMap(layer, x);
        const [kh, kw] = pair(layer, 'pool_size');
        const strides = layer.config.strides === null ? [kh, kw] : pair(layer, 'strides');
        const padding = get<string>(layer, 'padding');
        // TF 'same' average pooling divides by the count of real pixels: ONNX count_include_pad = 0 (the default).
        const op = layer.class_name === 'AveragePooling2D' ? 'AveragePool' : 'MaxPool';
        const name = g.node(op, [x.name], { kernel_shape: [kh, kw], strides, ...tfPaddingAttrs(padding) }, layer.name);
        out = { name, shape: [outSize(h, kh, strides[0]!, padding), outSize(wd, kw, strides[1]!, padding), c] };
        break;
      }
      case 'GlobalAveragePooling2D': {
        requireChannelsLast(layer);
        const x = single(layer);
        const [, , c] = featureMap(layer, x);
        const pooled = g.node('GlobalAveragePool', [x.name], {}, layer.name);
        out = { name: g.node('Flatten', [pooled], { axis: 1 }, `${layer.name}/flatten`), shape: [c] };
        break;
      }
      case 'Flatten': {
        requireChannelsLast(layer);
        const x = single(layer);
        // Back to NHWC before flattening so features come out in Keras (H, W, C) order for the next Dense.
        const source = x.shape.length === 3 ? g.node('Transpose', [x.name], { perm: [0, 2, 3, 1] }, `${layer.name}/nhwc`) : x.name;
        out = { name: g.node('Flatten', [source], { axis: 1 }, layer.name), shape: [x.shape.reduce((a, b) => a * b, 1)] };
        break;
      }
      case 'Dense': {
        const x = single(layer);
        if (x.shape.length !== 1) throw new Error(`layer ${layer.name}: Dense on a ${x.shape.length + 1}-D tensor not supported (Flatten first)`);
        const units = get<number>(layer, 'units');
        // Keras Dense kernel is [in, out]: y = x · kernel + bias, which is Gemm without transposes.
        const kernel = g.constant(`${layer.name}/kernel`, w(layer, 'kernel', [x.shape[0]!, units]), [x.shape[0]!, units]);
        const inputs = [x.name, kernel];
        if (get<boolean>(layer, 'use_bias')) inputs.push(g.constant(`${layer.name}/bias`, w(layer, 'bias', [units]), [units]));
        const gemm = g.node('Gemm', inputs, {}, layer.name);
        out = { name: activation(g, gemm, get<string>(layer, 'activation'), layer), shape: [units] };
        break;
      }
      case 'Dropout':
        // Inference: identity (keras Dropout only acts when training).
        out = single(layer);
        break;
      default:
        throw new Error(`layer ${layer.name}: class ${layer.class_name} not supported by the layers converter`);
    }
    values.set(layer.name, out);
  }

  const unused = [...weights.keys()].filter((name) => !used.has(name));
  if (unused.length > 0) throw new Error(`weights not used by any layer: ${unused.join(', ')}`);

  const outputShapes: Dim[][] = [];
  outputLayers.forEach(([layerName], i) => {
    const v = values.get(layerName);
    if (!v) throw new Error(`output layer ${layerName} not found`);
    const shape: Dim[] = v.shape.length === 3 ? ['batch', v.shape[2]!, v.shape[0]!, v.shape[1]!] : ['batch', ...v.shape];
    g.output(options.outputNames[i]!, v.name, shape);
    outputShapes.push(shape);
  });
  return { bytes: g.toBytes(`converted from a Keras ${topology.keras_version ?? ''} layers model`), inputShape, outputShapes };
}
