/**
 * Reads tfjs weight manifests + binary shards into named Float32/Int32 arrays, dequantising exactly as
 * tfjs-core does (`io_utils.decodeWeights`, tfjs 4.22): uint8/uint16 → `v * scale + min` computed in
 * double and stored as float32 (int32 weights are `Math.round`ed); float16 → float32 bit conversion.
 * face-api, Human and nsfwjs all load their weights through that function, so matching it bit for bit
 * is what makes the converted models numerically equal to their source.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | string;
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; min?: number; scale?: number; original_dtype?: string };
}

export interface WeightGroup {
  paths: string[];
  weights: WeightSpec[];
}

export interface NamedWeight {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

export type WeightMap = Map<string, NamedWeight>;

/** Converts IEEE 754 half-precision bits to a float (same result as tfjs' getFloat16Decoder). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (mantissa / 1024);
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + mantissa / 1024);
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 };

/** Decodes one concatenated weight buffer (all shards of all groups, in manifest order). */
export function decodeWeights(buffer: Uint8Array, specs: WeightSpec[]): WeightMap {
  const map: WeightMap = new Map();
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const storedType = spec.quantization?.dtype ?? spec.dtype;
    const bytesPer = BYTES_PER_ELEMENT[storedType];
    if (!bytesPer) throw new Error(`weight ${spec.name}: unsupported stored dtype ${storedType}`);
    const byteLength = size * bytesPer;
    if (offset + byteLength > buffer.byteLength) {
      throw new Error(`weight ${spec.name}: expected ${byteLength} bytes at offset ${offset}, got ${buffer.byteLength - offset}`);
    }
    if (spec.dtype !== 'float32' && spec.dtype !== 'int32') throw new Error(`weight ${spec.name}: unsupported dtype ${spec.dtype}`);
    let data: Float32Array | Int32Array;
    const q = spec.quantization;
    if (q && (q.dtype === 'uint8' || q.dtype === 'uint16')) {
      if (q.min === undefined || q.scale === undefined) throw new Error(`weight ${spec.name}: quantization without min/scale`);
      const read = (i: number) => (q.dtype === 'uint8' ? view.getUint8(offset + i) : view.getUint16(offset + 2 * i, true));
      if (spec.dtype === 'float32') {
        data = new Float32Array(size);
        for (let i = 0; i < size; i++) data[i] = read(i) * q.scale + q.min;
      } else {
        data = new Int32Array(size);
        for (let i = 0; i < size; i++) data[i] = Math.round(read(i) * q.scale + q.min);
      }
    } else if (q && q.dtype === 'float16') {
      if (spec.dtype !== 'float32') throw new Error(`weight ${spec.name}: float16 quantization of ${spec.dtype}`);
      data = new Float32Array(size);
      for (let i = 0; i < size; i++) data[i] = halfToFloat(view.getUint16(offset + 2 * i, true));
    } else if (q) {
      throw new Error(`weight ${spec.name}: unsupported quantization ${q.dtype}`);
    } else if (spec.dtype === 'float32') {
      data = new Float32Array(size);
      for (let i = 0; i < size; i++) data[i] = view.getFloat32(offset + 4 * i, true);
    } else {
      data = new Int32Array(size);
      for (let i = 0; i < size; i++) data[i] = view.getInt32(offset + 4 * i, true);
    }
    offset += byteLength;
    map.set(spec.name, { name: spec.name, shape: spec.shape, dtype: spec.dtype, data });
  }
  if (offset !== buffer.byteLength) throw new Error(`weights: ${buffer.byteLength - offset} unused bytes after the last weight`);
  return map;
}

/** Reads a manifest's shards from `dir` (with `readShard` to override file decoding) and decodes them. */
export function loadWeights(
  groups: WeightGroup[],
  dir: string,
  readShard: (file: string) => Uint8Array = (file) => new Uint8Array(readFileSync(file)),
): WeightMap {
  const parts = groups.flatMap((g) => g.paths.map((p) => readShard(path.join(dir, p))));
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const buffer = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    buffer.set(p, at);
    at += p.byteLength;
  }
  return decodeWeights(buffer, groups.flatMap((g) => g.weights));
}

/** Fetches a named weight, failing with a message that names what was expected. */
export function weight(map: WeightMap, name: string, shape?: number[]): NamedWeight {
  const w = map.get(name);
  if (!w) throw new Error(`weight ${name}: expected in the manifest, not found`);
  if (shape && (shape.length !== w.shape.length || shape.some((d, i) => d !== w.shape[i]))) {
    throw new Error(`weight ${name}: expected shape ${JSON.stringify(shape)}, got ${JSON.stringify(w.shape)}`);
  }
  return w;
}

export function floatWeight(map: WeightMap, name: string, shape?: number[]): Float32Array {
  const w = weight(map, name, shape);
  if (!(w.data instanceof Float32Array)) throw new Error(`weight ${name}: expected float32, got ${w.dtype}`);
  return w.data;
}
