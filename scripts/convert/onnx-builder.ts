/**
 * A small ONNX graph builder on top of `onnx-proto` (ModelProto encoder).
 *
 * Every converter (face-api architectures, tfjs GraphDef, tfjs Layers) emits graphs through this one
 * class, so naming, initializer encoding and opset choice live in one place.
 *
 * Opset 17 with IR version 8: the newest pair `onnx-proto@8` can express (its Version enum stops at
 * IR_VERSION = 8), and both are supported by onnxruntime 1.29 (https://onnxruntime.ai/docs/reference/compatibility.html).
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const OPSET_VERSION = 17;
export const IR_VERSION = 8;

/** A float attribute; plain numbers are encoded as INT when integral, so wrap floats that may be whole. */
export class FloatAttr {
  constructor(readonly value: number) {}
}
export class FloatsAttr {
  constructor(readonly value: number[]) {}
}
export const f = (value: number): FloatAttr => new FloatAttr(value);
export const fs = (value: number[]): FloatsAttr => new FloatsAttr(value);

export type AttrValue = number | number[] | string | FloatAttr | FloatsAttr;

/** A dimension: a fixed size, or a symbolic name (e.g. 'batch') for a dynamic axis. */
export type Dim = number | string;

export type TensorData = Float32Array | Int32Array | BigInt64Array;

interface ValueInfoSpec {
  name: string;
  shape: Dim[];
  elemType: number;
}

function elemTypeOf(data: TensorData): number {
  if (data instanceof Float32Array) return onnx.TensorProto.DataType.FLOAT;
  if (data instanceof Int32Array) return onnx.TensorProto.DataType.INT32;
  return onnx.TensorProto.DataType.INT64;
}

function encodeAttribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (value instanceof FloatAttr) return { name, type: T.FLOAT, f: value.value };
  if (value instanceof FloatsAttr) return { name, type: T.FLOATS, floats: value.value };
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: T.INT, i: value } : { name, type: T.FLOAT, f: value };
  }
  if (value.every((v) => Number.isInteger(v))) return { name, type: T.INTS, ints: value };
  return { name, type: T.FLOATS, floats: value };
}

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: ValueInfoSpec[] = [];
  private readonly outputs: ValueInfoSpec[] = [];
  private readonly usedNames = new Set<string>();
  private readonly constantCache = new Map<string, string>();

  constructor(readonly graphName: string) {}

  /** A unique tensor name derived from `hint` (ONNX requires SSA: every name is assigned once). */
  uniqueName(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_./:-]/g, '_') || 't';
    let name = base;
    for (let i = 1; this.usedNames.has(name); i++) name = `${base}_${i}`;
    this.usedNames.add(name);
    return name;
  }

  /** Declares a float32 graph input; returns its tensor name. */
  input(name: string, shape: Dim[]): string {
    if (this.usedNames.has(name)) throw new Error(`duplicate input name ${name}`);
    this.usedNames.add(name);
    this.inputs.push({ name, shape, elemType: onnx.TensorProto.DataType.FLOAT });
    return name;
  }

  /** Exposes `tensor` as a float32 graph output called `name` (adds an Identity when renaming). */
  output(name: string, tensor: string, shape: Dim[]): void {
    let source = tensor;
    if (source !== name) {
      if (this.usedNames.has(name)) throw new Error(`output name ${name} already used`);
      this.usedNames.add(name);
      this.nodes.push({ opType: 'Identity', input: [source], output: [name], name: `${name}/Identity` });
      source = name;
    }
    this.outputs.push({ name: source, shape, elemType: onnx.TensorProto.DataType.FLOAT });
  }

  /** Adds an initializer (weights/constants); returns its tensor name. */
  constant(hint: string, data: TensorData, dims: number[]): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new Error(`constant ${hint}: dims ${JSON.stringify(dims)} hold ${size} values, got ${data.length}`);
    const name = this.uniqueName(hint);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name, dims, dataType: elemTypeOf(data), rawData: new Uint8Array(bytes) });
    return name;
  }

  /** An int64 constant (shapes, axes, pads), shared between nodes that need the same values. */
  int64s(values: number[], dims: number[] = [values.length]): string {
    const key = `i64:${dims.join('x')}:${values.join(',')}`;
    const cached = this.constantCache.get(key);
    if (cached) return cached;
    const name = this.constant('const_i64', BigInt64Array.from(values.map((v) => BigInt(v))), dims);
    this.constantCache.set(key, name);
    return name;
  }

  /** A float32 constant shared between nodes that need the same scalar or vector. */
  floats(values: number[], dims: number[] = [values.length]): string {
    const key = `f32:${dims.join('x')}:${values.join(',')}`;
    const cached = this.constantCache.get(key);
    if (cached) return cached;
    const name = this.constant('const_f32', Float32Array.from(values), dims);
    this.constantCache.set(key, name);
    return name;
  }

  /** Adds a node with one output; returns the output tensor name. */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, hint?: string): string {
    return this.nodeN(opType, inputs, 1, attrs, hint)[0]!;
  }

  /** Adds a node with `outputCount` outputs; returns their names. */
  nodeN(opType: string, inputs: string[], outputCount: number, attrs: Record<string, AttrValue> = {}, hint?: string): string[] {
    const base = hint ?? opType;
    const outputs = Array.from({ length: outputCount }, (_, i) => this.uniqueName(outputCount === 1 ? base : `${base}:${i}`));
    this.nodes.push({
      opType,
      input: inputs,
      output: outputs,
      name: outputs[0],
      attribute: Object.entries(attrs).map(([k, v]) => encodeAttribute(k, v)),
    });
    return outputs;
  }

  /** Serialises to ONNX ModelProto bytes. */
  toBytes(docString = ''): Uint8Array {
    const valueInfo = (v: ValueInfoSpec): onnxProto.onnx.IValueInfoProto => ({
      name: v.name,
      type: {
        tensorType: {
          elemType: v.elemType,
          shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    });
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'face-liveness-service/scripts/convert',
      producerVersion: '1',
      docString,
      opsetImport: [{ domain: '', version: OPSET_VERSION }],
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

// ---------------------------------------------------------------------------------------------
// Weight layout helpers: TensorFlow stores conv kernels HWIO, ONNX wants OIHW.
// ---------------------------------------------------------------------------------------------

/** HWIO (TF Conv2D kernel [kh, kw, in, out]) → OIHW (ONNX Conv weight [out, in, kh, kw]). */
export function hwioToOihw(data: Float32Array, shape: number[]): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, cout] = shape as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + h) * kw + w] = data[((h * kw + w) * cin + i) * cout + o]!;
  return { data: out, dims: [cout, cin, kh, kw] };
}

/**
 * TF depthwise kernel [kh, kw, in, multiplier] → ONNX grouped Conv weight [in*multiplier, 1, kh, kw]
 * with group = in. TF orders output channels as in*multiplier + m, which is what ONNX grouping gives.
 */
export function depthwiseToOihw(data: Float32Array, shape: number[]): { data: Float32Array; dims: number[]; group: number } {
  const [kh, kw, cin, mult] = shape as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let i = 0; i < cin; i++)
        for (let m = 0; m < mult; m++) out[((i * mult + m) * kh + h) * kw + w] = data[((h * kw + w) * cin + i) * mult + m]!;
  return { data: out, dims: [cin * mult, 1, kh, kw], group: cin };
}

/** Padding attributes for a TF padding mode: SAME = SAME_UPPER in ONNX (extra pad bottom/right, as TF does). */
export function tfPaddingAttrs(padding: 'same' | 'valid' | string): Record<string, AttrValue> {
  const p = padding.toLowerCase();
  if (p === 'same') return { auto_pad: 'SAME_UPPER' };
  if (p === 'valid') return { auto_pad: 'VALID' };
  throw new Error(`unsupported TF padding ${padding}`);
}
