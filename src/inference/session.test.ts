import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../scripts/convert/onnx-builder.js';
import { assertCudaProviderPresent, ModelSession, ortBinaryDirectory, placementFromProfile, placementRoot } from './session.js';

/** True where the CUDA provider libraries were installed next to the binding (scripts/install-cuda-provider.sh): a GPU node. */
const cudaProviderInstalled = existsSync(path.join(ortBinaryDirectory(), 'libonnxruntime_providers_cuda.so'));
/** The session's profile directory (private state, read here so the test can check it is removed; other test files make their own at the same time). */
const profileDirOf = (s: ModelSession) => (s as unknown as { profileDir: string | undefined }).profileDir;

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

  it('runs an input in shared memory (a SharedArrayBuffer, which ORT refuses as is) like the same values in a plain array', async () => {
    const s = await ModelSession.create('relu', reluModel());
    const values = [-1, 2, -3, 4, 5, -6, 7, -8];
    const shared = new Float32Array(new SharedArrayBuffer(values.length * 4));
    shared.set(values);
    const { y } = await s.run({ x: { data: shared, dims: [2, 4] } });
    expect(Array.from(y!.data)).toEqual([0, 2, 0, 4, 5, 0, 7, 0]);
    expect(Array.from(shared)).toEqual(values);
    await s.release();
  });

  it('names the missing CUDA provider library instead of falling back to CPU', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'no-cuda-'));
    expect(() => assertCudaProviderPresent(empty)).toThrow(/libonnxruntime_providers_shared\.so and libonnxruntime_providers_cuda\.so are not in/);
  });

  it.skipIf(cudaProviderInstalled)('CPU-only install: asking for CUDA fails naming the provider library, never runs on CPU', async () => {
    await expect(ModelSession.create('relu', reluModel(), { executionProvider: 'cuda', cudaDeviceId: 0, intraOpThreads: 0, interOpThreads: 0 })).rejects.toThrow(
      /libonnxruntime_providers_cuda\.so/,
    );
  });

  it.runIf(cudaProviderInstalled)('provider installed (GPU node): CUDA either runs the nodes on CUDA or fails naming a library', async () => {
    let s: ModelSession;
    try {
      s = await ModelSession.create('relu', reluModel(), { executionProvider: 'cuda', cudaDeviceId: 0, intraOpThreads: 0, interOpThreads: 0 });
    } catch (error) {
      // No GPU or no CUDA runtime on this machine: the error must say which library, with the stable code.
      expect(error).toMatchObject({ code: 'EXECUTION_PROVIDER_UNAVAILABLE', message: expect.stringMatching(/\.so/) });
      return;
    }
    const { y } = await s.run({ x: { data: Float32Array.from([-1, 2, -3, 4]), dims: [1, 4] } });
    expect(Array.from(y!.data)).toEqual([0, 2, 0, 4]);
    expect(s.placement?.nodes.CUDAExecutionProvider).toBeGreaterThan(0);
    await s.release();
  });

  it('records where ORT ran the nodes during the first run, then stops profiling and removes the profile', async () => {
    const s = await ModelSession.create('relu', reluModel());
    const dir = profileDirOf(s)!;
    expect(existsSync(dir)).toBe(true);
    expect(path.dirname(dir)).toBe(placementRoot()); // one root per process, removed when it exits
    expect(s.placement).toBeUndefined();
    const x = { data: Float32Array.from([-1, 2, -3, 4]), dims: [1, 4] };
    await s.run({ x });
    expect(s.placement).toMatchObject({ nodes: { CPUExecutionProvider: 1 }, otherProviderOps: [] });
    expect(s.placement!.kernelMicros.CPUExecutionProvider).toBeGreaterThanOrEqual(0);
    await s.run({ x }); // later runs are not profiled: the count stays that of the first run
    expect(s.placement!.nodes.CPUExecutionProvider).toBe(1);
    expect(existsSync(dir)).toBe(false);
    await s.release();

    // Released before any run: the profile directory goes too. Turned off: nothing is recorded.
    const unused = await ModelSession.create('relu', reluModel());
    const unusedDir = profileDirOf(unused)!;
    expect(existsSync(unusedDir)).toBe(true);
    await unused.release();
    expect(existsSync(unusedDir)).toBe(false);
    const off = await ModelSession.create('relu', reluModel(), { executionProvider: 'cpu', cudaDeviceId: 0, intraOpThreads: 0, interOpThreads: 0, recordPlacement: false });
    await off.run({ x });
    expect(off.placement).toBeUndefined();
    expect(profileDirOf(off)).toBeUndefined();
    await off.release();
  });

  it('reads a CUDA profile: nodes and time per provider, and the ops that fell back to the CPU', () => {
    // Shaped like ORT 1.29's profiler output (Chrome trace events; only cat "Node" events carry a provider).
    const events = [
      { cat: 'Session', name: 'model_run', dur: 900 },
      { cat: 'Node', dur: 40, args: { provider: 'CUDAExecutionProvider', op_name: 'Conv' } },
      { cat: 'Node', dur: 10, args: { provider: 'CUDAExecutionProvider', op_name: 'Relu' } },
      { cat: 'Node', dur: 5, args: { provider: 'CPUExecutionProvider', op_name: 'Shape' } },
      { cat: 'Node', dur: 7, args: { provider: 'CPUExecutionProvider', op_name: 'NonMaxSuppression' } },
      { cat: 'Node', dur: 3, args: { provider: 'CPUExecutionProvider', op_name: 'Shape' } },
    ];
    expect(placementFromProfile(events, 'cuda')).toEqual({
      nodes: { CUDAExecutionProvider: 2, CPUExecutionProvider: 3 },
      kernelMicros: { CUDAExecutionProvider: 50, CPUExecutionProvider: 15 },
      otherProviderOps: ['NonMaxSuppression', 'Shape'],
    });
    expect(placementFromProfile(events, 'cpu').otherProviderOps).toEqual(['Conv', 'Relu']);
    expect(placementFromProfile('not a profile', 'cpu')).toEqual({ nodes: {}, kernelMicros: {}, otherProviderOps: [] });
  });

  it('reports a corrupt model as MODEL_INVALID', async () => {
    await expect(ModelSession.create('junk', new Uint8Array([1, 2, 3]))).rejects.toMatchObject({ code: 'MODEL_INVALID' });
  });
});
