/**
 * The MiniFASNet converter on the original weights: same bytes every run (the hash packs.json pins), the
 * .pth values copied bit for bit, a dynamic batch axis that gives the same rows as single runs, and clear
 * errors for a state dict that does not fit the architecture. Parity with the ONNX copies on real face
 * crops is in test/parity/minifasnet.test.ts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPacks } from '../../../src/inference/packs.js';
import { ModelSession } from '../../../src/inference/session.js';
import { repoRoot, sharedData } from '../../../test/helpers/reference.js';
import { readLegacyStateDict, type StateDict } from '../pytorch/legacy-pth.js';
import { MINIFASNET_CONV6_KERNEL, type MinifasnetVariantId, buildMinifasnetOnnx, convertMinifasnetPth } from './minifasnet.js';

const { onnx } = onnxProto;
const PTH: Record<MinifasnetVariantId, string> = {
  'minifasnet-v2': 'models/antispoof/minifasnet/2.7_80x80_MiniFASNetV2.pth',
  'minifasnet-v1se': 'models/antispoof/minifasnet/4_0_0_80x80_MiniFASNetV1SE.pth',
};
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const packs = readPacks(path.join(repoRoot, 'models', 'packs.json'));

it('conv_6_dw kernel is Silent-Face get_kernel(80, 80) = 5', () => {
  expect(MINIFASNET_CONV6_KERNEL).toBe(5);
});

describe.each(Object.keys(PTH) as MinifasnetVariantId[])('%s', (id) => {
  const pth = () => readFileSync(sharedData(PTH[id]));
  let bytes: Uint8Array;
  let session: ModelSession;
  beforeAll(async () => {
    bytes = convertMinifasnetPth(id, pth(), PTH[id]);
    session = await ModelSession.create(id, bytes);
  });
  afterAll(() => session?.release());

  it('is deterministic: the same bytes from any path, hashing to the sha256 and size in models/packs.json', () => {
    const again = convertMinifasnetPth(id, pth(), '/somewhere/else.pth');
    expect(sha256(again)).toBe(sha256(bytes));
    const pack = packs.packs.find((p) => p.id === id)!;
    expect(pack.convert?.converter).toBe(id);
    expect(sha256(bytes)).toBe(pack.sha256);
    expect(bytes.byteLength).toBe(pack.bytes);
  });

  it('stores every used .pth tensor bit for bit, named as in the state dict', () => {
    const stateDict = readLegacyStateDict(sharedData(PTH[id]));
    const model = onnx.ModelProto.decode(bytes);
    const initializers = new Map(model.graph!.initializer!.map((t) => [t.name!, new Float32Array(Uint8Array.from(t.rawData!).buffer)]));
    let compared = 0;
    for (const [name, tensor] of stateDict) {
      if (tensor.dtype !== 'float32') continue;
      const stored = initializers.get(name);
      expect(stored, name).toBeDefined();
      expect(Buffer.from(stored!.buffer).equals(Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength)), name).toBe(true);
      compared++;
    }
    // Everything but the int64 num_batches_tracked counters (one per BatchNorm).
    expect(compared).toBe([...stateDict.values()].filter((t) => t.dtype === 'float32').length);
    expect(model.graph!.node!.some((n) => n.opType === 'Dropout')).toBe(false);
  });

  it('declares input [batch, 3, 80, 80] and output [batch, 3]; a batch of 3 gives the rows of 3 single runs', async () => {
    expect(session.inputs).toEqual([{ name: 'input', type: 'float32', shape: ['batch', 3, 80, 80] }]);
    expect(session.outputs).toEqual([{ name: 'logits', type: 'float32', shape: ['batch', 3] }]);
    const plane = 3 * 80 * 80;
    const batch = Float32Array.from({ length: 3 * plane }, (_, i) => ((Math.sin(i * 0.731) + 1) / 2) * 255);
    const { logits } = await session.run({ input: { data: batch, dims: [3, 3, 80, 80] } });
    expect(logits!.dims).toEqual([3, 3]);
    for (let row = 0; row < 3; row++) {
      const single = await session.run({ input: { data: batch.slice(row * plane, (row + 1) * plane), dims: [1, 3, 80, 80] } });
      const expected = Array.from(single.logits!.data);
      Array.from(logits!.data.slice(row * 3, row * 3 + 3)).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
    }
  });
});

describe('a state dict that does not fit the architecture', () => {
  const load = (): StateDict => readLegacyStateDict(sharedData(PTH['minifasnet-v2']));

  it('a missing tensor', () => {
    const stateDict = load();
    stateDict.delete('conv_3.model.2.conv_dw.bn.running_var');
    expect(() => buildMinifasnetOnnx('minifasnet-v2', stateDict, 'v2.pth')).toThrow('v2.pth: expected tensor conv_3.model.2.conv_dw.bn.running_var [13], got none');
  });

  it('a tensor of another shape (V1SE weights given to the V2 converter)', () => {
    expect(() => convertMinifasnetPth('minifasnet-v2', readFileSync(sharedData(PTH['minifasnet-v1se'])), 'v1se.pth')).toThrow(
      'v1se.pth: conv_3.model.1.conv.conv.weight: expected shape [13,64,1,1], got [26,64,1,1]',
    );
  });

  it('an extra tensor the architecture does not use', () => {
    const stateDict = load();
    stateDict.set('extra.weight', { dtype: 'float32', shape: [1], data: Float32Array.of(0) });
    expect(() => buildMinifasnetOnnx('minifasnet-v2', stateDict, 'v2.pth')).toThrow('v2.pth: expected every tensor to belong to the architecture, got 1 unused: extra.weight');
  });
});
