import { describe, expect, it } from 'vitest';
import { ModelSession } from '../../../src/inference/session.js';
import { maxAbsDiff, tfWasm } from '../../../test/helpers/reference.js';
import type { NamedWeight, WeightMap } from '../tfjs-weights.js';
import { type KerasLayer, type KerasModelTopology, convertLayersModel } from './layers-model.js';

const layer = (name: string, className: string, config: Record<string, unknown>, inbound: string[]): KerasLayer => ({
  name,
  class_name: className,
  config: { name, ...config },
  inbound_nodes: inbound.length ? [inbound.map((n) => [n, 0, 0, {}] as [string, number, number, unknown])] : [],
});

/** A small model that exercises what MobileNetV2 does not: Flatten over a 2×3 map, biases, 'same' stride-2 conv, max pooling. */
function topology(extra: KerasLayer[] = []): KerasModelTopology {
  const layers = [
    layer('in', 'InputLayer', { batch_input_shape: [null, 7, 9, 3] }, []),
    layer('pad', 'ZeroPadding2D', { padding: [[1, 0], [0, 2]], data_format: 'channels_last' }, ['in']),
    layer('conv', 'Conv2D', { filters: 4, kernel_size: [3, 3], strides: [2, 2], padding: 'same', activation: 'relu', use_bias: true }, ['pad']),
    layer('bn', 'BatchNormalization', { axis: -1, epsilon: 1e-3, center: true, scale: true }, ['conv']),
    layer('dw', 'DepthwiseConv2D', { kernel_size: [3, 3], strides: [1, 1], padding: 'same', activation: 'linear', use_bias: true, depth_multiplier: 1 }, ['bn']),
    layer('add', 'Add', {}, ['bn', 'dw']),
    layer('relu6', 'ReLU', { max_value: 6, negative_slope: 0, threshold: 0 }, ['add']),
    layer('pool', 'MaxPooling2D', { pool_size: [2, 2], strides: [2, 2], padding: 'valid' }, ['relu6']),
    layer('flat', 'Flatten', {}, ['pool']),
    layer('drop', 'Dropout', { rate: 0.5 }, ['flat']),
    layer('fc', 'Dense', { units: 3, activation: 'softmax', use_bias: true }, ['drop']),
    ...extra,
  ];
  return { keras_version: '2.2.4', model_config: { class_name: 'Model', config: { name: 'tiny', layers, input_layers: [['in', 0, 0]], output_layers: [['fc', 0, 0]] } } };
}

const shapes: Record<string, number[]> = {
  'conv/kernel': [3, 3, 3, 4],
  'conv/bias': [4],
  'bn/gamma': [4],
  'bn/beta': [4],
  'bn/moving_mean': [4],
  'bn/moving_variance': [4],
  'dw/depthwise_kernel': [3, 3, 4, 1],
  'dw/bias': [4],
  'fc/kernel': [24, 3], // pool output 2×3×4 (pad → 8×11, conv stride 2 same → 4×6, pool → 2×3)
  'fc/bias': [3],
};

function weights(): WeightMap {
  const map: WeightMap = new Map();
  let seed = 1;
  for (const [name, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, () => {
      seed = (seed * 16807) % 2147483647;
      const r = seed / 2147483647;
      return name.endsWith('variance') ? 0.5 + r : r - 0.5;
    });
    map.set(name, { name, shape, dtype: 'float32', data } satisfies NamedWeight);
  }
  return map;
}

const options = { inputName: 'input', outputNames: ['probabilities'], graphName: 'tiny' };

describe('convertLayersModel', () => {
  it('matches tfjs-layers on a model with Flatten over a 2×3 map (max abs diff ≤ 1e-5)', async () => {
    const tf = await tfWasm();
    const w = weights();
    const { bytes, inputShape, outputShapes } = convertLayersModel(topology(), w, options);
    expect(inputShape).toEqual(['batch', 3, 7, 9]);
    expect(outputShapes).toEqual([['batch', 3]]);
    const specs = [...w.values()].map((v) => ({ name: v.name, shape: v.shape, dtype: 'float32' as const }));
    const data = new Uint8Array(specs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0));
    let at = 0;
    for (const v of w.values()) {
      data.set(new Uint8Array(v.data.buffer), at);
      at += v.data.byteLength;
    }
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topology() as never, weightSpecs: specs, weightData: data.buffer }));
    const nhwc = Float32Array.from({ length: 7 * 9 * 3 }, (_, i) => Math.sin(i * 0.37) * 2);
    const expected = (model.predict(tf.tensor4d(nhwc, [1, 7, 9, 3])) as import('@tensorflow/tfjs').Tensor).dataSync();
    const nchw = new Float32Array(nhwc.length);
    for (let c = 0; c < 3; c++) for (let i = 0; i < 63; i++) nchw[c * 63 + i] = nhwc[i * 3 + c]!;
    const session = await ModelSession.create('tiny', bytes);
    const { probabilities } = await session.run({ input: { data: nchw, dims: [1, 3, 7, 9] } });
    expect(maxAbsDiff(probabilities!.data, expected)).toBeLessThanOrEqual(1e-5);
    await session.release();
    model.dispose();
  });

  it('throws on an unknown layer class, naming the layer', () => {
    const bad = topology([layer('lstm', 'LSTM', { units: 4 }, ['fc'])]);
    expect(() => convertLayersModel(bad, weights(), options)).toThrow('layer lstm: class LSTM not supported by the layers converter');
  });

  it('throws on weights no layer uses', () => {
    const w = weights();
    w.set('ghost/kernel', { name: 'ghost/kernel', shape: [1], dtype: 'float32', data: new Float32Array(1) });
    expect(() => convertLayersModel(topology(), w, options)).toThrow('weights not used by any layer: ghost/kernel');
  });
});
