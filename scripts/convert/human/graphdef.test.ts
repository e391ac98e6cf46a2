import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelSession } from '../../../src/inference/session.js';
import { maxAbsDiff, tfWasm } from '../../../test/helpers/reference.js';
import type { WeightSpec } from '../tfjs-weights.js';
import {
  type TfNode,
  type TfjsGraphModelJson,
  attrInts,
  attrString,
  attrStrings,
  broadcastConstantToNchw,
  convertGraphModel,
  defaultOutputs,
  nhwcAxisToNchw,
  nhwcPaddingsToOnnxPads,
  nhwcToNchwData,
} from './graphdef.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const ints = (v: number[]) => ({ list: { i: v.map(String) } });
const seq = (n: number, scale = 0.3) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.3 + 0.2) * scale);

describe('tfjs attribute decoding', () => {
  const node: TfNode = {
    name: 'n',
    op: '_FusedConv2D',
    attr: { padding: { s: 'U0FNRQ==' }, strides: { list: { i: ['1', '2', '2', '1'] } }, fused_ops: { list: { s: [b64('BiasAdd'), b64('Prelu')] } } },
  };
  it('decodes base64 strings, string lists and int64 lists', () => {
    expect(attrString(node, 'padding')).toBe('SAME');
    expect(attrStrings(node, 'fused_ops')).toEqual(['BiasAdd', 'Prelu']);
    expect(attrInts(node, 'strides')).toEqual([1, 2, 2, 1]);
    expect(attrString(node, 'data_format', 'NHWC')).toBe('NHWC');
    expect(() => attrInts(node, 'dilations')).toThrow(/dilations missing/);
  });
});

describe('NHWC → NCHW layout helpers', () => {
  it('maps axes and paddings', () => {
    expect([0, 1, 2, 3, -1].map(nhwcAxisToNchw)).toEqual([0, 2, 3, 1, 1]);
    // [[n0,n1],[h0,h1],[w0,w1],[c0,c1]] → [n0,c0,h0,w0, n1,c1,h1,w1]
    expect(nhwcPaddingsToOnnxPads([0, 0, 1, 2, 3, 4, 5, 6])).toEqual([0, 5, 1, 3, 0, 6, 2, 4]);
  });
  it('reshapes per-channel constants to [C,1,1] and transposes full 4-D ones', () => {
    const c = Float32Array.from([1, 2, 3]);
    expect(broadcastConstantToNchw(c, [3]).dims).toEqual([3, 1, 1]);
    expect(broadcastConstantToNchw(c, [1, 1, 3]).dims).toEqual([3, 1, 1]);
    expect(broadcastConstantToNchw(c, [1, 1, 1, 3]).dims).toEqual([3, 1, 1]);
    expect(broadcastConstantToNchw(Float32Array.from([2]), []).dims).toEqual([]);
    const full = broadcastConstantToNchw(Float32Array.from([1, 2, 3, 4, 5, 6]), [1, 1, 2, 3]);
    expect(full.dims).toEqual([1, 3, 1, 2]);
    expect(Array.from(full.data)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(nhwcToNchwData(Float32Array.from([1, 2, 3, 4]), [1, 2, 1, 2]))).toEqual([1, 3, 2, 4]);
  });
});

/**
 * A synthetic graph covering the layout-sensitive ops the six Human models use only lightly or not
 * at all (EXPLICIT padding, fused Prelu/Relu6, depthwise with multiplier, 4-D constant Mul, ConcatV2
 * on channels, channel Pad, 4-D Softmax, Mean with and without keep_dims, Reshape, _FusedMatMul),
 * run through tfjs-wasm and through the converted ONNX model.
 */
describe('convertGraphModel on a synthetic graph', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'graphdef-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const specs: WeightSpec[] = [];
  const buffers: Buffer[] = [];
  const nodes: TfNode[] = [];
  const constant = (name: string, shape: number[], data: Float32Array | Int32Array) => {
    specs.push({ name, shape, dtype: data instanceof Int32Array ? 'int32' : 'float32' });
    buffers.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    nodes.push({ name, op: 'Const', attr: { dtype: { type: data instanceof Int32Array ? 'DT_INT32' : 'DT_FLOAT' } } });
  };
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const op = (name: string, opName: string, input: string[], attr: TfNode['attr'] = {}) => nodes.push({ name, op: opName, input, attr: { T: { type: 'DT_FLOAT' }, ...attr } });

  nodes.push({ name: 'x', op: 'Placeholder', attr: { shape: { shape: { dim: [{ size: '-1' }, { size: '6' }, { size: '5' }, { size: '3' }] } } } });
  constant('k1', [3, 3, 3, 4], seq(size([3, 3, 3, 4])));
  constant('b1', [4], seq(4, 0.1));
  constant('a1', [4], Float32Array.from([0.1, 0.2, -0.3, 0.5]));
  op('conv1', '_FusedConv2D', ['x', 'k1', 'b1', 'a1'], {
    padding: { s: b64('EXPLICIT') },
    explicit_paddings: ints([0, 0, 1, 2, 2, 1, 0, 0]),
    strides: ints([1, 1, 1, 1]),
    dilations: ints([1, 1, 1, 1]),
    data_format: { s: b64('NHWC') },
    fused_ops: { list: { s: [b64('BiasAdd'), b64('Prelu')] } },
    num_args: { i: '2' },
  }); // [b,7,6,4]
  constant('k2', [3, 3, 4, 2], seq(size([3, 3, 4, 2]), 0.5));
  constant('b2', [8], seq(8, 0.2));
  op('dw', 'FusedDepthwiseConv2dNative', ['conv1', 'k2', 'b2'], {
    padding: { s: b64('SAME') },
    strides: ints([1, 2, 2, 1]),
    dilations: ints([1, 1, 1, 1]),
    data_format: { s: b64('NHWC') },
    fused_ops: { list: { s: [b64('BiasAdd'), b64('Relu6')] } },
    num_args: { i: '1' },
  }); // [b,4,3,8]
  constant('scale', [1, 4, 3, 8], seq(96, 1));
  op('mul', 'Mul', ['dw', 'scale']);
  constant('axis', [], Int32Array.from([-1]));
  op('cat', 'ConcatV2', ['dw', 'mul', 'axis'], { N: { i: '2' } }); // [b,4,3,16]
  constant('paddings', [4, 2], Int32Array.from([0, 0, 1, 0, 0, 1, 0, 2]));
  op('pad', 'Pad', ['cat', 'paddings']); // [b,5,4,18]
  op('soft', 'Softmax', ['pad']);
  constant('meanAxes', [1], Int32Array.from([2]));
  op('meanW', 'Mean', ['soft', 'meanAxes'], { keep_dims: { b: false } }); // [b,5,18]: order differs from NCHW
  constant('meanHW', [2], Int32Array.from([1, 2]));
  op('meanKeep', 'Mean', ['pad', 'meanHW'], { keep_dims: { b: true } }); // [b,1,1,18]
  constant('flat', [2], Int32Array.from([-1, 360]));
  op('reshape', 'Reshape', ['soft', 'flat']);
  constant('w', [360, 3], seq(1080, 0.5));
  constant('wb', [3], seq(3, 0.1));
  op('dense', '_FusedMatMul', ['reshape', 'w', 'wb'], { fused_ops: { list: { s: [b64('BiasAdd'), b64('Relu')] } }, num_args: { i: '1' }, transpose_a: { b: false }, transpose_b: { b: false } });
  op('Identity', 'Identity', ['meanW']);
  op('Identity_1', 'Identity', ['meanKeep']);
  op('Identity_2', 'Identity', ['dense']);
  op('Identity_3', 'Identity', ['reshape']);
  writeFileSync(path.join(dir, 'synthetic.bin'), Buffer.concat(buffers));
  const json: TfjsGraphModelJson = { format: 'graph-model', modelTopology: { node: nodes }, weightsManifest: [{ paths: ['synthetic.bin'], weights: specs }] };

  it('lists the Identity* nodes as outputs when there is no signature', () => {
    expect(defaultOutputs(json)).toEqual(['Identity', 'Identity_1', 'Identity_2', 'Identity_3']);
  });

  it('matches tfjs-wasm on every output: |Δ| ≤ 1e-4', async () => {
    const tf = await tfWasm();
    const converted = convertGraphModel(json, dir, { modelName: 'synthetic', outputs: { Identity: 'mean_w', Identity_1: 'mean_hw', Identity_2: 'dense', Identity_3: 'flat' } });
    expect(converted.outputs.map((o) => o.shape)).toEqual([
      ['batch', 5, 18],
      ['batch', 1, 1, 18],
      ['batch', 3],
      ['batch', 360],
    ]);
    const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: { ...json.modelTopology, versions: { producer: 1 } }, weightSpecs: specs as never, weightData: new Uint8Array(Buffer.concat(buffers)).buffer }));
    const batch = 2;
    const nhwc = seq(batch * 6 * 5 * 3, 1);
    const nchw = new Float32Array(nhwc.length);
    for (let b = 0; b < batch; b++) nchw.set(nhwcToNchwData(nhwc.subarray(b * 90, b * 90 + 90), [1, 6, 5, 3]), b * 90);
    const x = tf.tensor4d(nhwc, [batch, 6, 5, 3]);
    const expected = model.execute(x, ['Identity', 'Identity_1', 'Identity_2', 'Identity_3']) as import('@tensorflow/tfjs').Tensor[];
    const session = await ModelSession.create('synthetic', converted.bytes);
    const actual = await session.run({ input: { data: nchw, dims: [batch, 3, 6, 5] } });
    for (const [i, name] of ['mean_w', 'mean_hw', 'dense', 'flat'].entries()) {
      expect(actual[name]!.dims).toEqual(expected[i]!.shape);
      expect(maxAbsDiff(actual[name]!.data, expected[i]!.dataSync()), name).toBeLessThanOrEqual(1e-4);
    }
    await session.release();
    tf.dispose([x, ...expected]);
  });

  it('rejects unknown ops by name', () => {
    const bad: TfjsGraphModelJson = { ...json, modelTopology: { node: [...nodes, { name: 'weird', op: 'Erf', input: ['dense'] }] } };
    expect(() => convertGraphModel(bad, dir, { modelName: 'synthetic', outputs: { Identity: 'a', Identity_1: 'b', Identity_2: 'c', Identity_3: 'd' } })).toThrow(
      'unsupported op Erf in synthetic',
    );
  });

  it('refuses a recipe that leaves a graph output unnamed', () => {
    expect(() => convertGraphModel(json, dir, { modelName: 'synthetic', outputs: { Identity: 'a' } })).toThrow(/Identity_1, Identity_2, Identity_3 of the graph have no ONNX name/);
  });
});
