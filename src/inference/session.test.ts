import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../scripts/convert/onnx-builder.js';
import { assertCudaProviderPresent, ModelSession } from './session.js';

function reluModel(): Uint8Array {
  const g = new GraphBuilder('relu');
  const x = g.input('x', ['batch', 4]);
  g.output('y', g.node('Relu', [x]), ['batch', 4]);
  return g.toBytes();
}

describe('ModelSession', () => {
  it('reports declared inputs/outputs and rejects mismatched feeds before running', async () => {
    const s = await ModelSession.create('relu', reluModel());
    expect(s.inputs).toEqual([{ name: 'x', type: 'float32', shape: ['batch', 4] }]);
    await expect(s.run({ x: { data: new Float32Array(3), dims: [1, 3] } })).rejects.toThrow('model relu: input x expected dims [batch, 4], got [1, 3] with 3 values');
    await expect(s.run({})).rejects.toThrow('model relu: input x missing');
    const { y } = await s.run({ x: { data: Float32Array.from([-1, 2, -3, 4, 5, -6, 7, -8]), dims: [2, 4] } });
    expect(Array.from(y!.data)).toEqual([0, 2, 0, 4, 5, 0, 7, 0]);
    await s.release();
  });

  it('names the missing CUDA provider library instead of falling back to CPU', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'no-cuda-'));
    expect(() => assertCudaProviderPresent(empty)).toThrow(/libonnxruntime_providers_shared\.so and libonnxruntime_providers_cuda\.so are not in/);
    // The npm package is CPU-only: asking for CUDA here must fail, never silently run on CPU.
    await expect(ModelSession.create('relu', reluModel(), { executionProvider: 'cuda', cudaDeviceId: 0, intraOpThreads: 0, interOpThreads: 0 })).rejects.toThrow(
      /libonnxruntime_providers_cuda\.so/,
    );
  });

  it('reports a corrupt model as MODEL_INVALID', async () => {
    await expect(ModelSession.create('junk', new Uint8Array([1, 2, 3]))).rejects.toMatchObject({ code: 'MODEL_INVALID' });
  });
});
