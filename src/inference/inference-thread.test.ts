/**
 * The inference thread (INFERENCE_THREAD=worker) with the real models on CPU: the same answers as sessions on
 * the main thread, errors with their stable codes, placement read through the thread, the event loop left free
 * while a model runs, and a thread that dies failing every run instead of hanging.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceApiSamples, maxAbsDiff, readRgb, repoRoot } from '../../test/helpers/reference.js';
import { AppError } from '../errors.js';
import { toFaceApiNetInput } from './faceapi-net-input.js';
import { InferenceThread } from './inference-thread.js';
import { ModelRegistry, NO_BATCHING } from './registry.js';
import { DEFAULT_SESSION_OPTIONS, ModelSession, type Tensor } from './session.js';

const modelsDir = path.join(repoRoot, 'models');
const SSD = 'faceapi-ssd-mobilenetv1';

describe('InferenceThread', () => {
  let thread: InferenceThread;
  let registry: ModelRegistry;
  let local: ModelSession;
  let input: Tensor;
  const exits: AppError[] = [];
  beforeAll(async () => {
    thread = await InferenceThread.start((error) => exits.push(error));
    registry = await ModelRegistry.load(modelsDir, DEFAULT_SESSION_OPTIONS, undefined, NO_BATCHING, thread);
    local = await ModelSession.create(SSD, new Uint8Array(readFileSync(path.join(modelsDir, `${SSD}.onnx`))));
    const image = await readRgb(faceApiSamples()[0]!);
    input = { data: toFaceApiNetInput(image, 512).tensor, dims: [1, 3, 512, 512] };
  });
  afterAll(async () => {
    await registry?.dispose();
    await local?.release();
  });

  it('answers exactly as a session on this thread, and leaves the caller\'s input intact', async () => {
    expect(registry.inferenceThread).toBe('worker');
    const copy = Float32Array.from(input.data);
    const remote = await registry.get(SSD).runner.run({ input }, ['boxes', 'scores']);
    const here = await local.run({ input }, ['boxes', 'scores']);
    expect(remote.boxes!.dims).toEqual([1, 5118, 4]);
    expect(maxAbsDiff(remote.boxes!.data, here.boxes!.data)).toBe(0);
    expect(maxAbsDiff(remote.scores!.data, here.scores!.data)).toBe(0);
    expect(maxAbsDiff(input.data, copy)).toBe(0); // inputs are copied to the thread, never detached
    expect(input.data.length).toBe(3 * 512 * 512);
  });

  it('reports where the nodes ran after the first run, through the thread', async () => {
    const { session } = registry.get(SSD);
    expect(session.placement?.nodes.CPUExecutionProvider).toBeGreaterThan(0);
    const landmarks = registry.get('faceapi-face-landmark-68').session;
    expect(landmarks.placement).toBeUndefined(); // not run yet
  });

  it('keeps the stable error codes of the session', async () => {
    const wrong = { data: new Float32Array(3 * 100 * 100), dims: [1, 3, 100, 100] };
    const error = await registry.get(SSD).runner.run({ input: wrong }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'MODEL_INPUT_INVALID', status: 500, message: expect.stringContaining('model faceapi-ssd-mobilenetv1: input input expected dims [batch, 3, 512, 512], got [1, 3, 100, 100]') });
  });

  it('leaves the event loop free while a model runs (unlike a session on this thread)', async () => {
    const loopBusy = async (run: () => Promise<unknown>) => {
      const before = performance.eventLoopUtilization();
      await run();
      return performance.eventLoopUtilization(before).utilization;
    };
    const runs = (runner: { run: (f: Record<string, Tensor>) => Promise<unknown> }) => async () => {
      for (let i = 0; i < 5; i++) await runner.run({ input });
    };
    const onThread = await loopBusy(runs(registry.get(SSD).runner));
    const here = await loopBusy(runs(local));
    // Here the loop is busy for the whole run (ORT's run is synchronous); with the thread it only posts and copies.
    expect(here).toBeGreaterThan(0.8);
    expect(onThread).toBeLessThan(0.5);
  });

  it('fails every pending and later run when the thread dies, and says so once', async () => {
    // A thread that exits when its first run arrives, as a native crash or an out-of-memory would end it. Not
    // terminate() from here: terminating during a native run can abort this whole process (inference-worker.ts).
    const doomedThread = await InferenceThread.start((error) => exits.push(error), new URL('../../test/helpers/dying-inference-worker.mjs', import.meta.url));
    const doomed = await ModelRegistry.load(modelsDir, DEFAULT_SESSION_OPTIONS, undefined, NO_BATCHING, doomedThread);
    const pending = doomed.get(SSD).runner.run({ input });
    await expect(pending).rejects.toMatchObject({ code: 'INFERENCE_FAILED', message: 'inference thread exited unexpectedly (exit code 3)' });
    await expect(doomed.get(SSD).runner.run({ input })).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
    expect(exits.map((e) => e.message)).toEqual(['inference thread exited unexpectedly (exit code 3)']);
    await doomed.dispose(); // releasing sessions of a dead thread is a no-op, not an error
  });

  it('close() answers the runs already sent, then ends the thread by itself and refuses later runs', async () => {
    const closingThread = await InferenceThread.start((error) => exits.push(error));
    const closing = await ModelRegistry.load(modelsDir, DEFAULT_SESSION_OPTIONS, undefined, NO_BATCHING, closingThread);
    const exited = new Promise<number>((resolve) => (closingThread as unknown as { worker: { once: (e: 'exit', f: (code: number) => void) => void } }).worker.once('exit', resolve));
    const inFlight = [0, 1, 2].map(() => closing.get(SSD).runner.run({ input }, ['boxes']));
    const closed = closingThread.close();
    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => a.boxes!.dims)).toEqual([[1, 5118, 4], [1, 5118, 4], [1, 5118, 4]]);
    await closed;
    expect(await exited).toBe(0); // exited by itself (a terminated worker reports exit code 1)
    await expect(closing.get(SSD).runner.run({ input })).rejects.toMatchObject({ code: 'INFERENCE_FAILED', message: 'inference thread closed' });
    await closing.dispose(); // releasing after close is a no-op, and close() again returns the same promise
    expect(exits).toHaveLength(1); // only the doomed thread above: a closed thread is not "exited unexpectedly"
  });
});
