/**
 * Generic converter from a tfjs graph model (`format: "graph-model"`: a TF GraphDef as JSON plus weight
 * shards) to an ONNX graph.
 *
 * TensorFlow graphs are NHWC; the ONNX graph is NCHW. Every 4-D activation is kept NCHW inside the ONNX
 * graph, and each op that names axes (ConcatV2, Mean, Pad, Softmax) or depends on element order
 * (Reshape) is remapped; constants that broadcast against a 4-D activation are transposed to NCHW.
 * Shapes are tracked in TF (NHWC) terms so that output shapes and Reshape's -1 can be stated exactly.
 *
 * Op semantics follow tfjs-converter 4.22 (`operations/executors/*`), which is what Human runs:
 * `_FusedConv2D` / `_FusedDepthwiseConv2dNative` / `_FusedMatMul` = op + BiasAdd + optional activation
 * (Relu, Relu6, Prelu with the alpha as the 4th input), `Prelu(x, a)` = x ≥ 0 ? x : a·x.
 * Anything else fails with "unsupported op X in <model>" instead of being skipped.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type AttrValue, type Dim, GraphBuilder, depthwiseToOihw, hwioToOihw, tfPaddingAttrs } from '../onnx-builder.js';
import { type WeightGroup, type WeightMap, loadWeights } from '../tfjs-weights.js';

// ---------------------------------------------------------------------------------------------
// tfjs model JSON
// ---------------------------------------------------------------------------------------------

/** An attribute value as tfjs' JSON encodes it (protobuf JSON of tensorflow.AttrValue). */
export interface TfAttr {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  list?: { s?: string[]; i?: (string | number)[]; f?: number[]; b?: boolean[] };
  shape?: { dim?: { size: string | number }[]; unknownRank?: boolean };
  tensor?: unknown;
}

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

interface SignatureTensor {
  name: string;
}

export interface TfjsGraphModelJson {
  format?: string;
  modelTopology: { node: TfNode[] };
  weightsManifest: WeightGroup[];
  signature?: { outputs?: Record<string, SignatureTensor> };
  userDefinedMetadata?: { signature?: { outputs?: Record<string, SignatureTensor> } };
}

// ---------------------------------------------------------------------------------------------
// Attribute decoding (exported for unit tests)
// ---------------------------------------------------------------------------------------------

function attrOf(node: TfNode, key: string): TfAttr | undefined {
  return node.attr?.[key];
}

/** A string attribute (`{"s": base64}`), e.g. padding "U0FNRQ==" → "SAME". */
export function attrString(node: TfNode, key: string, fallback?: string): string {
  const a = attrOf(node, key);
  if (a?.s === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`node ${node.name} (${node.op}): string attribute ${key} missing`);
  }
  return Buffer.from(a.s, 'base64').toString('utf8');
}

/** A list of strings (`{"list": {"s": [base64…]}}`), e.g. fused_ops → ["BiasAdd", "Relu"]. */
export function attrStrings(node: TfNode, key: string): string[] {
  return (attrOf(node, key)?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString('utf8'));
}

/** A list of ints (`{"list": {"i": ["1", "2", "2", "1"]}}`; int64 travels as decimal strings). */
export function attrInts(node: TfNode, key: string, fallback?: number[]): number[] {
  const list = attrOf(node, key)?.list?.i;
  if (list === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`node ${node.name} (${node.op}): int list attribute ${key} missing`);
  }
  return list.map((v) => Number(v));
}

export function attrInt(node: TfNode, key: string, fallback?: number): number {
  const v = attrOf(node, key)?.i;
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`node ${node.name} (${node.op}): int attribute ${key} missing`);
  }
  return Number(v);
}

export function attrBool(node: TfNode, key: string, fallback = false): boolean {
  return attrOf(node, key)?.b ?? fallback;
}

export function attrFloat(node: TfNode, key: string, fallback?: number): number {
  const v = attrOf(node, key)?.f;
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`node ${node.name} (${node.op}): float attribute ${key} missing`);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Layout helpers (exported for unit tests)
// ---------------------------------------------------------------------------------------------

/** NHWC axis → NCHW axis (for a 4-D tensor); negative axes count from the end as in TF. */
export function nhwcAxisToNchw(axis: number): number {
  const a = axis < 0 ? axis + 4 : axis;
  const map = [0, 2, 3, 1];
  const out = map[a];
  if (out === undefined) throw new Error(`axis ${axis} out of range for a 4-D tensor`);
  return out;
}

/** TF paddings [[n0,n1],[h0,h1],[w0,w1],[c0,c1]] (NHWC, flat) → ONNX Pad pads for NCHW [n0,c0,h0,w0,n1,c1,h1,w1]. */
export function nhwcPaddingsToOnnxPads(paddings: ArrayLike<number>): number[] {
  if (paddings.length !== 8) throw new Error(`expected 4×2 paddings, got ${paddings.length} values`);
  const p = Array.from(paddings);
  const begin = (axis: number) => p[axis * 2]!;
  const end = (axis: number) => p[axis * 2 + 1]!;
  const order = [0, 3, 1, 2]; // NCHW axis i is NHWC axis order[i]
  return [...order.map(begin), ...order.map(end)];
}

/** Reorders an NHWC-shaped array ([n,h,w,c]) to NCHW ([n,c,h,w]). */
export function nhwcToNchwData(data: Float32Array, [n, h, w, c]: [number, number, number, number]): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) out[((b * c + ch) * h + y) * w + x] = data[((b * h + y) * w + x) * c + ch]!;
  return out;
}

/**
 * A constant that broadcasts against a 4-D NCHW activation: its TF shape is right-aligned to NHWC
 * ([C] = [1,1,1,C], [1,1,C] = [1,1,1,C]), then transposed. Returns [C,1,1]-style dims when N, H and
 * W are 1 (what ONNX PRelu's slope and per-channel Add/Mul want) and a scalar stays a scalar.
 */
export function broadcastConstantToNchw(data: Float32Array, shape: number[]): { data: Float32Array; dims: number[] } {
  if (data.length === 1) return { data, dims: shape.length === 0 ? [] : shape.map(() => 1) };
  if (shape.length > 4) throw new Error(`constant of rank ${shape.length} cannot broadcast against a 4-D tensor`);
  const full = [...Array<number>(4 - shape.length).fill(1), ...shape] as [number, number, number, number];
  const [n, h, w, c] = full;
  const nchw = nhwcToNchwData(data, full);
  if (n === 1 && h === 1 && w === 1) return { data: nchw, dims: [c, 1, 1] };
  return { data: nchw, dims: [n, c, h, w] };
}

// ---------------------------------------------------------------------------------------------
// The converter
// ---------------------------------------------------------------------------------------------

/** A TF tensor as the converter sees it: its ONNX name, TF (NHWC) shape, and whether it is stored NCHW. */
interface Value {
  onnx: string;
  /** TF shape (NHWC for 4-D tensors); 'batch' for the dynamic batch dimension. */
  shape: Dim[];
  /** True when a 4-D tensor is stored NCHW in the ONNX graph (all 4-D activations). */
  nchw: boolean;
}

/** A Const node's value, kept as data so it can be folded into attributes or transposed. */
interface ConstValue {
  data: Float32Array | Int32Array;
  shape: number[];
}

export interface ConvertOptions {
  /** Model name used in error messages and as the ONNX graph name (e.g. "blazeface"). */
  modelName: string;
  /** TF output tensor name (node name, ":0" optional) → ONNX output name, in output order. */
  outputs: Record<string, string>;
  /** ONNX input name (default "input"). */
  inputName?: string;
  docString?: string;
}

export interface ConvertedGraph {
  bytes: Uint8Array;
  input: { name: string; tfName: string; shape: Dim[] };
  outputs: { name: string; tfName: string; shape: Dim[] }[];
}

/** Reads models/<name>.json of a tfjs graph model from `dir`. */
export function readGraphModelJson(dir: string, name: string): TfjsGraphModelJson {
  const json = JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')) as TfjsGraphModelJson;
  if (json.format !== 'graph-model') throw new Error(`${name}.json: expected format "graph-model", got ${JSON.stringify(json.format)}`);
  return json;
}

/** The weight shard files (relative to the model directory) a model JSON names. */
export function shardPaths(json: TfjsGraphModelJson): string[] {
  return json.weightsManifest.flatMap((g) => g.paths);
}

const stripPort = (name: string): string => name.replace(/:0$/, '');

/**
 * The graph's outputs: the signature's outputs when the JSON has one (top level, or under
 * userDefinedMetadata as older converters wrote it), else the Identity* nodes sorted by name.
 */
export function defaultOutputs(json: TfjsGraphModelJson): string[] {
  const signature = json.signature ?? json.userDefinedMetadata?.signature;
  const fromSignature = Object.values(signature?.outputs ?? {}).map((o) => stripPort(o.name));
  if (fromSignature.length > 0) return [...fromSignature].sort();
  return json.modelTopology.node
    .filter((n) => n.op === 'Identity' && /^Identity(_\d+)?$/.test(n.name))
    .map((n) => n.name)
    .sort();
}

const product = (dims: Dim[]): number | undefined =>
  dims.every((d) => typeof d === 'number') ? (dims as number[]).reduce((a, b) => a * b, 1) : undefined;

/** Output size of a TF window op along one spatial axis (tf.nn conv/pool shape rules). */
function windowOutput(size: Dim, kernel: number, stride: number, dilation: number, padding: string, padBefore = 0, padAfter = 0): Dim {
  if (typeof size !== 'number') return size;
  const effective = (kernel - 1) * dilation + 1;
  if (padding === 'SAME') return Math.ceil(size / stride);
  if (padding === 'VALID') return Math.floor((size - effective) / stride) + 1;
  return Math.floor((size + padBefore + padAfter - effective) / stride) + 1;
}

function broadcastShapes(a: Dim[], b: Dim[]): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

export function convertGraphModel(json: TfjsGraphModelJson, dir: string, options: ConvertOptions): ConvertedGraph {
  const { modelName } = options;
  const nodes = json.modelTopology.node;
  const weights: WeightMap = loadWeights(json.weightsManifest, dir);
  const g = new GraphBuilder(modelName);
  const values = new Map<string, Value>();
  const consts = new Map<string, ConstValue>();
  /** Initializers made from constants used as plain (TF-layout) operands, by TF name. */
  const constantInitializers = new Map<string, string>();
  const nodeByName = new Map(nodes.map((n) => [n.name, n]));
  let input: ConvertedGraph['input'] | undefined;

  const fail = (node: TfNode, message: string): never => {
    throw new Error(`${modelName}: node ${node.name} (${node.op}): ${message}`);
  };

  /** Data inputs (control inputs "^x" dropped, ":0" stripped; other ports are unsupported). */
  const dataInputs = (node: TfNode): string[] =>
    (node.input ?? [])
      .filter((i) => !i.startsWith('^'))
      .map((i) => {
        if (/:\d+$/.test(i) && !i.endsWith(':0')) fail(node, `input ${i} reads a secondary output, which no supported op has`);
        return stripPort(i);
      });

  const constOf = (node: TfNode, name: string): ConstValue => {
    const c = consts.get(name);
    if (!c) return fail(node, `input ${name} must be a constant`);
    return c;
  };
  const floatConst = (node: TfNode, name: string): Float32Array => {
    const c = constOf(node, name);
    if (!(c.data instanceof Float32Array)) return fail(node, `constant ${name} must be float32`);
    return c.data;
  };
  const intConst = (node: TfNode, name: string): number[] => Array.from(constOf(node, name).data);

  /** A tensor operand: an activation, or a constant materialised as an initializer in TF layout. */
  const valueOf = (node: TfNode, name: string): Value => {
    const v = values.get(name);
    if (v) return v;
    const c = consts.get(name);
    if (c) {
      if (!(c.data instanceof Float32Array)) return fail(node, `int32 constant ${name} used as a float tensor`);
      let onnx = constantInitializers.get(name);
      if (!onnx) {
        onnx = g.constant(name, c.data, c.shape);
        constantInitializers.set(name, onnx);
      }
      return { onnx, shape: c.shape, nchw: false };
    }
    return fail(node, `input ${name} is not produced by any converted node`);
  };

  /** A constant operand laid out to broadcast against a 4-D NCHW activation. */
  const nchwConstant = (node: TfNode, name: string): Value => {
    const c = constOf(node, name);
    if (!(c.data instanceof Float32Array)) return fail(node, `int32 constant ${name} used as a float tensor`);
    const b = broadcastConstantToNchw(c.data, c.shape);
    return { onnx: g.constant(`${name}_nchw`, b.data, b.dims), shape: c.shape, nchw: false };
  };

  const isNchw4d = (v: Value) => v.nchw && v.shape.length === 4;

  /** NCHW 4-D value → an NHWC tensor name (for element-order-sensitive ops and graph outputs). */
  const toNhwc = (v: Value, hint: string): string => (isNchw4d(v) ? g.node('Transpose', [v.onnx], { perm: [0, 2, 3, 1] }, hint) : v.onnx);

  const set = (node: TfNode, onnx: string, shape: Dim[], nchw: boolean) => values.set(node.name, { onnx, shape, nchw });

  /** Applies a fused activation (or none) after a conv/matmul. */
  const activation = (node: TfNode, x: string, op: string | undefined, alphaName: string | undefined, spatial: boolean): string => {
    const hint = node.name;
    if (op === undefined) return x;
    if (op === 'Relu') return g.node('Relu', [x], {}, hint);
    if (op === 'Relu6') return g.node('Clip', [x, g.floats([0], []), g.floats([6], [])], {}, hint);
    if (op === 'Prelu') {
      if (!alphaName) return fail(node, 'Prelu fused without an alpha input');
      const slope = spatial ? nchwConstant(node, alphaName).onnx : valueOf(node, alphaName).onnx;
      return g.node('PRelu', [x, slope], {}, hint);
    }
    return fail(node, `unsupported fused activation ${op} in ${modelName}`);
  };

  /** Splits fused_ops into [BiasAdd?, activation?], checking the order tfjs requires. */
  const fusedParts = (node: TfNode): { bias: boolean; act: string | undefined } => {
    const ops = attrStrings(node, 'fused_ops');
    const bias = ops[0] === 'BiasAdd';
    const rest = bias ? ops.slice(1) : ops;
    if (rest.length > 1 || (rest[0] !== undefined && !['Relu', 'Relu6', 'Prelu'].includes(rest[0]))) fail(node, `unsupported fused_ops ${JSON.stringify(ops)} in ${modelName}`);
    if (!bias && ops.length > 0) fail(node, `fused_ops ${JSON.stringify(ops)} without BiasAdd`);
    return { bias, act: rest[0] };
  };

  const convolution = (node: TfNode, depthwise: boolean, fused: boolean) => {
    const [xName, wName, ...extra] = dataInputs(node);
    const x = valueOf(node, xName!);
    if (!isNchw4d(x)) fail(node, 'expects a 4-D activation');
    if (attrString(node, 'data_format', 'NHWC') !== 'NHWC') fail(node, 'only NHWC data_format is supported');
    const kernel = constOf(node, wName!);
    const kernelData = floatConst(node, wName!);
    const strides = attrInts(node, 'strides', [1, 1, 1, 1]);
    const dilations = attrInts(node, 'dilations', [1, 1, 1, 1]);
    const padding = attrString(node, 'padding');
    const [kh, kw, cin, cm] = kernel.shape as [number, number, number, number];
    const w = depthwise ? depthwiseToOihw(kernelData, kernel.shape) : { ...hwioToOihw(kernelData, kernel.shape), group: 1 };
    const attrs: Record<string, AttrValue> = {
      kernel_shape: [kh, kw],
      strides: [strides[1]!, strides[2]!],
      dilations: [dilations[1]!, dilations[2]!],
      group: w.group,
    };
    let padBefore = [0, 0];
    let padAfter = [0, 0];
    if (padding === 'EXPLICIT') {
      const p = attrInts(node, 'explicit_paddings');
      if (p.length !== 8 || p[0] || p[1] || p[6] || p[7]) fail(node, `explicit_paddings ${JSON.stringify(p)} pad batch or channels`);
      padBefore = [p[2]!, p[4]!];
      padAfter = [p[3]!, p[5]!];
      attrs.pads = [...padBefore, ...padAfter];
    } else {
      Object.assign(attrs, tfPaddingAttrs(padding));
    }
    const inputs = [x.onnx, g.constant(`${wName}_oihw`, w.data, w.dims)];
    let act: string | undefined;
    let alphaName: string | undefined;
    if (fused) {
      const parts = fusedParts(node);
      const numArgs = attrInt(node, 'num_args', extra.length);
      if (numArgs !== extra.length) fail(node, `num_args ${numArgs} but ${extra.length} extra inputs`);
      if (parts.bias) inputs.push(g.constant(extra[0]!, floatConst(node, extra[0]!), constOf(node, extra[0]!).shape));
      act = parts.act;
      if (act === 'Prelu') alphaName = extra[1];
    } else if (extra.length > 0) {
      fail(node, `unexpected extra inputs ${extra.join(', ')}`);
    }
    const conv = g.node('Conv', inputs, attrs, act ? `${node.name}/conv` : node.name);
    const out = activation(node, conv, act, alphaName, true);
    const [n, h, wd] = x.shape as [Dim, Dim, Dim, Dim];
    const channels = depthwise ? cin * cm : cm;
    const shape: Dim[] = [
      n,
      windowOutput(h, kh, strides[1]!, dilations[1]!, padding, padBefore[0], padAfter[0]),
      windowOutput(wd, kw, strides[2]!, dilations[2]!, padding, padBefore[1], padAfter[1]),
      channels,
    ];
    set(node, out, shape, true);
  };

  const binary = (node: TfNode, onnxOp: string) => {
    const [aName, bName] = dataInputs(node);
    const aIsConst = consts.has(aName!);
    const bIsConst = consts.has(bName!);
    if (aIsConst && bIsConst) fail(node, 'both operands constant (constant folding is not implemented)');
    const activationName = aIsConst ? bName! : aName!;
    const act = valueOf(node, activationName);
    const operand = (name: string, isConst: boolean): Value => {
      if (!isConst) return valueOf(node, name);
      return isNchw4d(act) ? nchwConstant(node, name) : valueOf(node, name);
    };
    const a = operand(aName!, aIsConst);
    const b = operand(bName!, bIsConst);
    if (!aIsConst && !bIsConst && isNchw4d(a) !== isNchw4d(b)) fail(node, 'mixes a 4-D activation with a non-4-D activation');
    set(node, g.node(onnxOp, [a.onnx, b.onnx], {}, node.name), broadcastShapes(a.shape, b.shape), isNchw4d(act));
  };

  const unary = (node: TfNode, onnxOp: string, attrs: Record<string, AttrValue> = {}) => {
    const x = valueOf(node, dataInputs(node)[0]!);
    set(node, g.node(onnxOp, [x.onnx], attrs, node.name), x.shape, x.nchw);
  };

  for (const node of nodes) {
    switch (node.op) {
      case 'Const': {
        const w = weights.get(node.name);
        if (!w) fail(node, 'constant has no entry in the weights manifest');
        consts.set(node.name, { data: w!.data, shape: w!.shape });
        break;
      }
      case 'Placeholder': {
        if (input) fail(node, `a second input (first: ${input.tfName}); only single-input graphs are supported`);
        const dims = (node.attr?.shape?.shape?.dim ?? []).map((d) => Number(d.size));
        if (dims.length !== 4) fail(node, `input of rank ${dims.length}; only 4-D NHWC image inputs are supported`);
        const tfShape: Dim[] = dims.map((d, i) => (d < 0 ? (i === 0 ? 'batch' : fail(node, `dynamic spatial dim ${i}`)) : d));
        const name = g.input(options.inputName ?? 'input', [tfShape[0]!, tfShape[3]!, tfShape[1]!, tfShape[2]!]);
        input = { name, tfName: node.name, shape: [tfShape[0]!, tfShape[3]!, tfShape[1]!, tfShape[2]!] };
        values.set(node.name, { onnx: name, shape: tfShape, nchw: true });
        break;
      }
      case 'Identity': {
        const src = dataInputs(node)[0]!;
        const c = consts.get(src);
        if (c) consts.set(node.name, c);
        else values.set(node.name, valueOf(node, src));
        break;
      }
      case 'Conv2D':
        convolution(node, false, false);
        break;
      case '_FusedConv2D':
        convolution(node, false, true);
        break;
      case 'DepthwiseConv2dNative':
      case 'DepthwiseConv2d':
        convolution(node, true, false);
        break;
      // tfjs' converter writes the fused depthwise op without the leading underscore.
      case 'FusedDepthwiseConv2dNative':
      case '_FusedDepthwiseConv2dNative':
        convolution(node, true, true);
        break;
      case 'AddV2':
      case 'Add':
        binary(node, 'Add');
        break;
      case 'Mul':
        binary(node, 'Mul');
        break;
      case 'Minimum':
        binary(node, 'Min');
        break;
      case 'Maximum':
        binary(node, 'Max');
        break;
      case 'Relu':
        unary(node, 'Relu');
        break;
      case 'Relu6': {
        const x = valueOf(node, dataInputs(node)[0]!);
        set(node, g.node('Clip', [x.onnx, g.floats([0], []), g.floats([6], [])], {}, node.name), x.shape, x.nchw);
        break;
      }
      case 'Sigmoid':
        unary(node, 'Sigmoid');
        break;
      case 'Prelu': {
        const [xName, alphaName] = dataInputs(node);
        const x = valueOf(node, xName!);
        const slope = isNchw4d(x) ? nchwConstant(node, alphaName!) : valueOf(node, alphaName!);
        set(node, g.node('PRelu', [x.onnx, slope.onnx], {}, node.name), x.shape, x.nchw);
        break;
      }
      case 'Softmax': {
        // TF Softmax normalises the last axis: channels, which is axis 1 of an NCHW tensor.
        const x = valueOf(node, dataInputs(node)[0]!);
        unary(node, 'Softmax', { axis: isNchw4d(x) ? 1 : -1 });
        break;
      }
      case 'MaxPool': {
        const x = valueOf(node, dataInputs(node)[0]!);
        if (!isNchw4d(x)) fail(node, 'expects a 4-D activation');
        if (attrString(node, 'data_format', 'NHWC') !== 'NHWC') fail(node, 'only NHWC data_format is supported');
        const ksize = attrInts(node, 'ksize');
        const strides = attrInts(node, 'strides');
        const padding = attrString(node, 'padding');
        if (ksize[0] !== 1 || ksize[3] !== 1 || strides[0] !== 1 || strides[3] !== 1) fail(node, 'pooling over batch or channels');
        const out = g.node('MaxPool', [x.onnx], { kernel_shape: [ksize[1]!, ksize[2]!], strides: [strides[1]!, strides[2]!], ...tfPaddingAttrs(padding) }, node.name);
        const [n, h, w, c] = x.shape as [Dim, Dim, Dim, Dim];
        set(node, out, [n, windowOutput(h, ksize[1]!, strides[1]!, 1, padding), windowOutput(w, ksize[2]!, strides[2]!, 1, padding), c], true);
        break;
      }
      case 'Pad': {
        const [xName, padName] = dataInputs(node);
        const x = valueOf(node, xName!);
        const paddings = intConst(node, padName!);
        let pads: number[];
        if (isNchw4d(x)) pads = nhwcPaddingsToOnnxPads(paddings);
        else pads = [...paddings.filter((_, i) => i % 2 === 0), ...paddings.filter((_, i) => i % 2 === 1)];
        const out = g.node('Pad', [x.onnx, g.int64s(pads)], { mode: 'constant' }, node.name);
        const shape = x.shape.map((d, i) => (typeof d === 'number' ? d + paddings[2 * i]! + paddings[2 * i + 1]! : d));
        set(node, out, shape, x.nchw);
        break;
      }
      case 'Reshape': {
        const [xName, shapeName] = dataInputs(node);
        const x = valueOf(node, xName!);
        const target = intConst(node, shapeName!);
        // TF reshapes in NHWC element order: bring a 4-D activation back to NHWC first.
        const src = toNhwc(x, `${node.name}/to_nhwc`);
        const total = product(x.shape);
        const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
        const restIsBatch = x.shape[0] === 'batch' && target[0] === -1;
        const shape: Dim[] = target.map((d, i) => {
          if (d !== -1) return d;
          if (total !== undefined) return total / known;
          if (i === 0 && restIsBatch) return 'batch';
          return fail(node, 'cannot resolve -1 with a dynamic dimension outside the batch axis');
        });
        let out = g.node('Reshape', [src, g.int64s(target)], {}, shape.length === 4 ? `${node.name}/nhwc` : node.name);
        if (shape.length === 4) out = g.node('Transpose', [out], { perm: [0, 3, 1, 2] }, node.name);
        set(node, out, shape, shape.length === 4);
        break;
      }
      case 'ConcatV2': {
        const names = dataInputs(node);
        const axisName = names.pop()!;
        const axisValue = intConst(node, axisName)[0]!;
        const parts = names.map((n) => (consts.has(n) ? undefined : valueOf(node, n)));
        const reference = parts.find((p) => p !== undefined);
        if (!reference) fail(node, 'all inputs constant');
        const spatial = isNchw4d(reference!);
        const tensors = names.map((n, i) => {
          const p = parts[i];
          if (p) {
            if (isNchw4d(p) !== spatial) fail(node, 'mixes 4-D NCHW inputs with other layouts');
            return p;
          }
          if (!spatial) return valueOf(node, n);
          const c = constOf(node, n);
          if (c.shape.length !== 4) fail(node, `constant ${n} of rank ${c.shape.length} in a 4-D concat`);
          const data = nhwcToNchwData(floatConst(node, n), c.shape as [number, number, number, number]);
          return { onnx: g.constant(`${n}_nchw`, data, [c.shape[0]!, c.shape[3]!, c.shape[1]!, c.shape[2]!]), shape: c.shape, nchw: true };
        });
        const rank = reference!.shape.length;
        const tfAxis = axisValue < 0 ? axisValue + rank : axisValue;
        const out = g.node('Concat', tensors.map((t) => t.onnx), { axis: spatial ? nhwcAxisToNchw(tfAxis) : tfAxis }, node.name);
        const shape = [...reference!.shape];
        const sizes = tensors.map((t) => t.shape[tfAxis]);
        shape[tfAxis] = sizes.every((s) => typeof s === 'number') ? (sizes as number[]).reduce((a, b) => a + b, 0) : 'concat';
        set(node, out, shape, spatial);
        break;
      }
      case 'Mean': {
        const [xName, axesName] = dataInputs(node);
        const x = valueOf(node, xName!);
        const rank = x.shape.length;
        const tfAxes = intConst(node, axesName!).map((a) => (a < 0 ? a + rank : a));
        const keepDims = attrBool(node, 'keep_dims');
        let src = x.onnx;
        let axes = tfAxes;
        let nchwOut = false;
        if (isNchw4d(x)) {
          // Reducing NCHW gives TF's element order when the dims left over appear in the same order:
          // always with keep_dims (the result stays NCHW), or when channels or all of H and W go.
          const orderKept = keepDims || tfAxes.includes(3) || (tfAxes.includes(1) && tfAxes.includes(2));
          if (orderKept) {
            axes = tfAxes.map(nhwcAxisToNchw);
            nchwOut = keepDims;
          } else {
            src = toNhwc(x, `${node.name}/to_nhwc`);
          }
        }
        const out = g.node('ReduceMean', [src], { axes, keepdims: keepDims ? 1 : 0 }, node.name);
        const shape = keepDims ? x.shape.map((d, i) => (tfAxes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !tfAxes.includes(i));
        set(node, out, shape, nchwOut);
        break;
      }
      case '_FusedMatMul': {
        const [aName, bName, ...extra] = dataInputs(node);
        const a = valueOf(node, aName!);
        if (a.shape.length !== 2) fail(node, `expects a 2-D input, got rank ${a.shape.length}`);
        const transposeA = attrBool(node, 'transpose_a');
        const transposeB = attrBool(node, 'transpose_b');
        const b = constOf(node, bName!);
        const parts = fusedParts(node);
        const numArgs = attrInt(node, 'num_args', extra.length);
        if (numArgs !== extra.length) fail(node, `num_args ${numArgs} but ${extra.length} extra inputs`);
        const inputs = [a.onnx, g.constant(bName!, floatConst(node, bName!), b.shape)];
        if (parts.bias) inputs.push(g.constant(extra[0]!, floatConst(node, extra[0]!), constOf(node, extra[0]!).shape));
        const gemm = g.node('Gemm', inputs, { transA: transposeA ? 1 : 0, transB: transposeB ? 1 : 0 }, parts.act ? `${node.name}/gemm` : node.name);
        const out = activation(node, gemm, parts.act, parts.act === 'Prelu' ? extra[1] : undefined, false);
        const rows = transposeA ? a.shape[1]! : a.shape[0]!;
        const cols = transposeB ? b.shape[0]! : b.shape[1]!;
        set(node, out, [rows, cols], false);
        break;
      }
      default:
        throw new Error(`unsupported op ${node.op} in ${modelName} (node ${node.name})`);
    }
  }

  if (!input) throw new Error(`${modelName}: graph has no Placeholder input`);
  const wanted = Object.keys(options.outputs).map(stripPort);
  const expected = defaultOutputs(json);
  const missing = expected.filter((o) => !wanted.includes(o));
  if (missing.length > 0) throw new Error(`${modelName}: outputs ${missing.join(', ')} of the graph have no ONNX name in the recipe`);
  const outputs = Object.entries(options.outputs).map(([tfName, name]) => {
    const tf = stripPort(tfName);
    if (!nodeByName.has(tf)) throw new Error(`${modelName}: output ${tf} is not a node of the graph`);
    const v = values.get(tf);
    if (!v) throw new Error(`${modelName}: output ${tf} is a constant or was not converted`);
    // Graph outputs keep TF's shape and element order (NHWC for 4-D tensors).
    g.output(name, toNhwc(v, `${name}/to_nhwc`), v.shape);
    return { name, tfName: tf, shape: v.shape };
  });
  return { bytes: g.toBytes(options.docString ?? ''), input, outputs };
}
