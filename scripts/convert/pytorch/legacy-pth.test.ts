/**
 * The legacy .pth reader on Silent-Face's original MiniFASNet weights (../shared/data/models/antispoof/minifasnet):
 * tensor counts and shapes, and values cross-checked against the ONNX copies of the same weights that sit
 * beside them (exported by PyTorch, which kept the PReLU slopes, the final BatchNorm1d and the Linear
 * weights as they are and folded every BatchNorm2d into its Conv). Then the ways a file can be wrong.
 */
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../../test/helpers/reference.js';
import { LEGACY_MAGIC_PICKLE, type PthTensor, type StateDict, contiguousStrides, parseLegacyPth, readLegacyStateDict, stripDataParallelPrefix } from './legacy-pth.js';

const { onnx } = onnxProto;
const dir = 'models/antispoof/minifasnet';
const pthFile = (name: string) => sharedData(`${dir}/${name}.pth`);
const V2 = '2.7_80x80_MiniFASNetV2';
const V1SE = '4_0_0_80x80_MiniFASNetV1SE';

/** The ONNX copy's initializers by name, and its nodes in graph order. */
function onnxCopy(name: string) {
  const model = onnx.ModelProto.decode(readFileSync(sharedData(`${dir}/${name}.onnx`)));
  const initializers = new Map<string, Float32Array>();
  for (const t of model.graph!.initializer!) {
    const raw = t.rawData!;
    // Copy: rawData may not be 4-byte aligned inside the decoded buffer.
    initializers.set(t.name!, new Float32Array(Uint8Array.from(raw).buffer));
  }
  return { initializers, nodes: model.graph!.node! };
}

function float(stateDict: StateDict, name: string): Float32Array {
  const tensor = stateDict.get(name);
  if (tensor?.dtype !== 'float32') throw new Error(`${name}: expected a float32 tensor, got ${tensor?.dtype ?? 'none'}`);
  return tensor.data;
}

const transpose = (data: Float32Array, rows: number, cols: number) => {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
};

describe('readLegacyStateDict on the original MiniFASNet weights', () => {
  const v2 = readLegacyStateDict(pthFile(V2));
  const v1se = readLegacyStateDict(pthFile(V1SE));

  it('reads every tensor, with the DataParallel "module." prefix stripped as Silent-Face _load_model does', () => {
    // V2: 49 Conv2d + 49 BatchNorm2d × 5 (weight, bias, running_mean, running_var, num_batches_tracked) + 33 PReLU
    // + linear + BatchNorm1d × 5 + prob = 334; V1SE adds 3 SE modules × (fc1, bn1 × 5, fc2, bn2 × 5) = 370.
    expect(v2.size).toBe(334);
    expect(v1se.size).toBe(370);
    expect([...v2.keys()][0]).toBe('conv1.conv.weight');
    expect([...v2.keys()].some((k) => k.startsWith('module.'))).toBe(false);
    const shape = (sd: StateDict, name: string) => sd.get(name)?.shape;
    expect(shape(v2, 'conv1.conv.weight')).toEqual([32, 3, 3, 3]);
    expect(shape(v2, 'conv2_dw.conv.weight')).toEqual([32, 1, 3, 3]);
    expect(shape(v2, 'conv_4.model.0.conv.conv.weight')).toEqual([231, 128, 1, 1]); // keep_dict['1.8M_'][20]
    expect(shape(v1se, 'conv_4.model.0.conv.conv.weight')).toEqual([154, 128, 1, 1]); // keep_dict['1.8M'][20]
    expect(shape(v2, 'conv_6_dw.conv.weight')).toEqual([512, 1, 5, 5]);
    expect(shape(v2, 'linear.weight')).toEqual([128, 512]);
    expect(shape(v2, 'prob.weight')).toEqual([3, 128]);
    expect(shape(v1se, 'conv_3.model.3.se_module.fc1.weight')).toEqual([16, 64, 1, 1]);
    expect(v2.has('conv_3.model.3.se_module.fc1.weight')).toBe(false);
    const counter = v2.get('conv1.bn.num_batches_tracked') as PthTensor;
    expect(counter.dtype).toBe('int64');
    expect(counter.shape).toEqual([]);
    expect(counter.data).toBeInstanceOf(BigInt64Array);
    expect(counter.data.length).toBe(1);
    for (const [name, tensor] of v2) {
      expect(tensor.data.length, name).toBe(tensor.shape.reduce((a, b) => a * b, 1));
      if (tensor.dtype === 'float32') expect(tensor.data.every(Number.isFinite), name).toBe(true);
    }
  });

  it.each([
    [V2, 'v2'],
    [V1SE, 'v1se'],
  ] as const)('%s: the final BatchNorm1d, the PReLU slopes and the Linear weights equal the ONNX copy bit for bit', (name, key) => {
    const stateDict = key === 'v2' ? v2 : v1se;
    const { initializers, nodes } = onnxCopy(name);
    for (const param of ['weight', 'bias', 'running_mean', 'running_var']) {
      expect(Array.from(initializers.get(`bn.${param}`)!), `bn.${param}`).toEqual(Array.from(float(stateDict, `bn.${param}`)));
    }
    // PReLU slopes in forward order (the state dict's insertion order is the modules' registration order, which here is forward order).
    const slopes = nodes.filter((n) => n.opType === 'PRelu').map((n) => initializers.get(n.input![1]!)!);
    const preluNames = [...stateDict.keys()].filter((k) => k.endsWith('.prelu.weight'));
    expect(slopes.length).toBe(preluNames.length);
    preluNames.forEach((p, i) => expect(Array.from(slopes[i]!), p).toEqual(Array.from(float(stateDict, p))));
    // torch.onnx exports Linear(bias=False) as MatMul with the transposed weight [in, out].
    const [linear, prob] = nodes.filter((n) => n.opType === 'MatMul').map((n) => initializers.get(n.input![1]!)!);
    expect(Array.from(linear!)).toEqual(Array.from(transpose(float(stateDict, 'linear.weight'), 128, 512)));
    expect(Array.from(prob!)).toEqual(Array.from(transpose(float(stateDict, 'prob.weight'), 3, 128)));
  });

  it('conv1 with its BatchNorm folded in (w · γ/√(σ²+ε), β − μ · γ/√(σ²+ε)) matches the ONNX copy’s first Conv', () => {
    const { initializers, nodes } = onnxCopy(V2);
    const conv = nodes.find((n) => n.opType === 'Conv')!;
    const fusedWeight = initializers.get(conv.input![1]!)!;
    const fusedBias = initializers.get(conv.input![2]!)!;
    const w = float(v2, 'conv1.conv.weight');
    const [gamma, beta, mean, variance] = ['weight', 'bias', 'running_mean', 'running_var'].map((p) => float(v2, `conv1.bn.${p}`));
    const perChannel = w.length / 32;
    let maxWeightError = 0;
    let maxBiasError = 0;
    for (let c = 0; c < 32; c++) {
      const scale = gamma![c]! / Math.sqrt(variance![c]! + 1e-5);
      for (let i = 0; i < perChannel; i++) {
        const expected = w[c * perChannel + i]! * scale;
        maxWeightError = Math.max(maxWeightError, Math.abs(fusedWeight[c * perChannel + i]! - expected) / Math.max(1, Math.abs(expected)));
      }
      maxBiasError = Math.max(maxBiasError, Math.abs(fusedBias[c]! - (beta![c]! - mean![c]! * scale)) / Math.max(1, Math.abs(fusedBias[c]!)));
    }
    // float32 rounding of the fold only (PyTorch folds in float32, this in float64).
    expect(maxWeightError).toBeLessThan(1e-5);
    expect(maxBiasError).toBeLessThan(1e-5);
  });
});

describe('parseLegacyPth refuses what it cannot read faithfully', () => {
  const bytes = () => new Uint8Array(readFileSync(pthFile(V2)));

  it('a corrupted magic number', () => {
    const corrupt = bytes();
    corrupt[6]! ^= 0xff;
    expect(() => parseLegacyPth(corrupt, 'corrupt.pth')).toThrow(/corrupt\.pth: not a legacy PyTorch file: expected it to start with the magic-number pickle 80 02 8a 0a 6c fc 9c 46 f9 20 6a a8 50 19 2e, got 80 02 8a 0a 6c fc 63 46/);
    expect(LEGACY_MAGIC_PICKLE).toHaveLength(15);
  });

  it('a zip (torch ≥ 1.6 format), named as such', () => {
    expect(() => parseLegacyPth(Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0, 0]), 'new.pth')).toThrow(/the torch ≥ 1\.6 format/);
  });

  it('a truncated file', () => {
    const whole = bytes();
    expect(() => parseLegacyPth(whole.subarray(0, whole.length - 100), 'short.pth')).toThrow(/short\.pth: storage \d+: expected .*: truncated/);
    expect(() => parseLegacyPth(whole.subarray(0, 2000), 'shorter.pth')).toThrow(/shorter\.pth: reading the state dict pickle/);
  });

  it('bytes after the last storage', () => {
    const whole = bytes();
    const longer = new Uint8Array(whole.length + 3);
    longer.set(whole);
    expect(() => parseLegacyPth(longer, 'long.pth')).toThrow(/expected the file to end after \d+ storages at byte \d+, got 3 more bytes/);
  });

  it('a non-contiguous tensor (stride patched in the pickle)', () => {
    const patched = bytes();
    // conv1.conv.weight [32, 3, 3, 3] has stride (27, 9, 3, 1): BININT1 27, 9, 3, 1 inside TUPLE of the pickle.
    const stride = Buffer.from([0x4b, 27, 0x4b, 9, 0x4b, 3, 0x4b, 1]);
    const at = Buffer.from(patched).indexOf(stride);
    expect(at).toBeGreaterThan(0);
    patched[at + 1] = 28;
    expect(() => parseLegacyPth(patched, 'strided.pth')).toThrow(/conv1\.conv\.weight: expected a contiguous tensor \(stride \[27,9,3,1\] for size \[32,3,3,3\]\), got stride \[28,9,3,1\]/);
  });

  it('contiguousStrides is row-major', () => {
    expect(contiguousStrides([32, 3, 3, 3])).toEqual([27, 9, 3, 1]);
    expect(contiguousStrides([])).toEqual([]);
  });
});

describe('stripDataParallelPrefix (Silent-Face src/anti_spoof_predict.py _load_model)', () => {
  const tensor: PthTensor = { dtype: 'float32', shape: [1], data: Float32Array.of(1) };

  it('strips "module." from every name when the first name has it, and leaves other dicts alone', () => {
    expect([...stripDataParallelPrefix(new Map([['module.a', tensor], ['module.b.c', tensor]]), 'x').keys()]).toEqual(['a', 'b.c']);
    const plain = new Map([['a', tensor]]);
    expect(stripDataParallelPrefix(plain, 'x')).toBe(plain);
  });

  it('refuses a name without the prefix where upstream would slice it blindly', () => {
    expect(() => stripDataParallelPrefix(new Map([['module.a', tensor], ['b.weight', tensor]]), 'mixed.pth')).toThrow(/mixed\.pth: expected every name to start with "module\." \(DataParallel\), got b\.weight/);
  });
});
