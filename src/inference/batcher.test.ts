import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceApiSamples, maxAbsDiff, readRgb } from '../../test/helpers/reference.js';
import { acceptsBatch, type BatchableSession, concatBatch, DynamicBatcher } from './batcher.js';
import { FACE_RECOGNITION_INPUT_SIZE } from './faceapi-face-recognition.js';
import { toFaceApiFaceInput } from './faceapi-net-input.js';
import { ModelSession, type Tensor } from './session.js';

const modelsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'models');
const SIZE = FACE_RECOGNITION_INPUT_SIZE;

/** Wraps a session, recording the first dim of every run it is given. */
function spy(session: BatchableSession): BatchableSession & { batches: number[] } {
  const batches: number[] = [];
  return {
    batches,
    label: session.label,
    inputs: session.inputs,
    outputs: session.outputs,
    run: (feeds, outputNames) => {
      batches.push(Object.values(feeds)[0]!.dims[0]!);
      return session.run(feeds, outputNames);
    },
  };
}

describe('DynamicBatcher on faceapi-face-recognition (CPU)', () => {
  let session: ModelSession;
  /** Real face inputs (whole face-api demo photos, centred-square padded as face-api does), batch 1 each. */
  const items: Tensor[] = [];
  /** Each item's embedding from its own batch-1 run. */
  const expected: Float32Array[] = [];

  beforeAll(async () => {
    session = await ModelSession.create('faceapi-face-recognition', new Uint8Array(readFileSync(path.join(modelsDir, 'faceapi-face-recognition.onnx'))));
    for (const file of faceApiSamples().slice(0, 5)) {
      const image = await readRgb(file);
      items.push({ data: toFaceApiFaceInput(image, { x: 0, y: 0, width: image.width, height: image.height }, SIZE).tensor, dims: [1, 3, SIZE, SIZE] });
    }
    for (const item of items) expected.push(Float32Array.from((await session.run({ input: item }, ['embedding'])).embedding!.data));
  });
  afterAll(async () => session?.release());

  it('runs concurrent items as one batch with the same outputs as one-by-one runs (max abs diff ≤ 1e-5)', async () => {
    const counted = spy(session);
    const batcher = new DynamicBatcher(counted, { maxBatch: 4, maxDelayMs: 50 });
    const results = await Promise.all(items.slice(0, 4).map((item) => batcher.run({ input: item }, ['embedding'])));
    expect(counted.batches).toEqual([4]);
    results.forEach((r, i) => {
      expect(r.embedding!.dims).toEqual([1, 128]);
      expect(maxAbsDiff(r.embedding!.data, expected[i]!)).toBeLessThanOrEqual(1e-5);
    });
    // Distinct faces give distinct rows: the split is not handing every caller the same row.
    expect(maxAbsDiff(results[0]!.embedding!.data, results[1]!.embedding!.data)).toBeGreaterThan(1e-2);
  });

  it('sends a partial batch when the deadline passes', async () => {
    const counted = spy(session);
    const batcher = new DynamicBatcher(counted, { maxBatch: 8, maxDelayMs: 5 });
    const results = await Promise.all(items.slice(0, 3).map((item) => batcher.run({ input: item })));
    expect(counted.batches).toEqual([3]);
    results.forEach((r, i) => expect(maxAbsDiff(r.embedding!.data, expected[i]!)).toBeLessThanOrEqual(1e-5));
  });

  it('flushes as soon as maxBatch items wait, and items that gather during a run go when it ends', async () => {
    const counted = spy(session);
    // A deadline no test would wait for: every batch can only have gone because it was full or because the
    // previous batch ended (items 3–4 gather while [1, 2] runs, item 5 while [3, 4] runs).
    const batcher = new DynamicBatcher(counted, { maxBatch: 2, maxDelayMs: 600_000 });
    const results = await Promise.all(items.map((item) => batcher.run({ input: item }, ['embedding'])));
    expect(counted.batches).toEqual([2, 2, 1]);
    results.forEach((r, i) => expect(maxAbsDiff(r.embedding!.data, expected[i]!)).toBeLessThanOrEqual(1e-5));
    expect(batcher.stats()).toMatchObject({ batches: 3, rows: 5, items: 5, largestBatch: 2 });
  });

  it('flush() sends a waiting partial batch before its deadline', async () => {
    const counted = spy(session);
    const batcher = new DynamicBatcher(counted, { maxBatch: 8, maxDelayMs: 600_000 });
    const pending = items.slice(0, 3).map((item) => batcher.run({ input: item }, ['embedding']));
    await new Promise((r) => setTimeout(r, 20));
    expect(counted.batches).toEqual([]); // still waiting for the deadline
    batcher.flush();
    const results = await Promise.all(pending);
    expect(counted.batches).toEqual([3]);
    results.forEach((r, i) => expect(maxAbsDiff(r.embedding!.data, expected[i]!)).toBeLessThanOrEqual(1e-5));
  });

  it('maxDelayMs 0: a lone item runs at once, and items arriving during a run form the next batch', async () => {
    const counted = spy(session);
    const batcher = new DynamicBatcher(counted, { maxBatch: 8, maxDelayMs: 0 });
    // One item alone: no wait, batch of 1.
    const alone = await batcher.run({ input: items[0]! }, ['embedding']);
    expect(maxAbsDiff(alone.embedding!.data, expected[0]!)).toBeLessThanOrEqual(1e-5);
    // Five at once: the first goes alone (the model was idle), the four that arrived during its run go together.
    const results = await Promise.all(items.map((item) => batcher.run({ input: item }, ['embedding'])));
    expect(counted.batches).toEqual([1, 1, 4]);
    results.forEach((r, i) => expect(maxAbsDiff(r.embedding!.data, expected[i]!)).toBeLessThanOrEqual(1e-5));
    const stats = batcher.stats();
    expect(stats).toMatchObject({ batches: 3, rows: 6, items: 6, largestBatch: 4 });
    expect(stats.queuedMs).toBeGreaterThan(0); // the four waited for the first run
  });

  it('never mixes items of different shapes or outputs in one batch, and serves them all', async () => {
    const counted = spy(session);
    const batcher = new DynamicBatcher(counted, { maxBatch: 8, maxDelayMs: 0 });
    const pairs = concatBatch(items.slice(0, 2));
    const results = await Promise.all([
      batcher.run({ input: items[0]! }, ['embedding']),
      batcher.run({ input: items[1]! }, ['embedding']),
      batcher.run({ input: pairs }, ['embedding']), // an item of 2 rows joins a batch of single rows
      batcher.run({ input: items[2]! }), // other outputs asked for: its own batch
      batcher.run({ input: items[3]! }, ['embedding']),
    ]);
    expect(counted.batches).toEqual([1, 4, 1]);
    expect(results[2]!.embedding!.dims).toEqual([2, 128]);
    expect(maxAbsDiff(results[2]!.embedding!.data.subarray(128), expected[1]!)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(results[3]!.embedding!.data, expected[2]!)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(results[4]!.embedding!.data, expected[3]!)).toBeLessThanOrEqual(1e-5);
  });

  it('maxBatch 1 passes every run straight through', async () => {
    const counted = spy(session);
    const batcher = new DynamicBatcher(counted, { maxBatch: 1, maxDelayMs: 600_000 });
    const results = await Promise.all(items.slice(0, 3).map((item) => batcher.run({ input: item }, ['embedding'])));
    expect(counted.batches).toEqual([1, 1, 1]);
    results.forEach((r, i) => expect(maxAbsDiff(r.embedding!.data, expected[i]!)).toBeLessThanOrEqual(1e-5));
  });

  it('rejects every item of a batch whose run fails', async () => {
    const batcher = new DynamicBatcher(session, { maxBatch: 3, maxDelayMs: 50 });
    // Wrong spatial size: the session refuses the concatenated batch, and all three callers hear about it.
    const wrong = { data: new Float32Array(3 * 100 * 100), dims: [1, 3, 100, 100] };
    const outcomes = await Promise.allSettled([1, 2, 3].map(() => batcher.run({ input: wrong })));
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'MODEL_INPUT_INVALID', message: expect.stringContaining('got [3, 3, 100, 100]') });

    const failing: BatchableSession = { label: 'failing', inputs: session.inputs, outputs: session.outputs, run: () => Promise.reject(new Error('boom')) };
    const failingBatcher = new DynamicBatcher(failing, { maxBatch: 2, maxDelayMs: 50 });
    const both = await Promise.allSettled(items.slice(0, 2).map((item) => failingBatcher.run({ input: item })));
    expect(both.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : 'fulfilled'))).toEqual(['boom', 'boom']);
    // The batcher is usable after a failure.
    const after = await batcher.run({ input: items[0]! });
    expect(maxAbsDiff(after.embedding!.data, expected[0]!)).toBeLessThanOrEqual(1e-5);
  });

  it('refuses a model whose input batch dim is fixed (human-blazeface: input [1, 3, 256, 256])', async () => {
    const blazeface = await ModelSession.create('human-blazeface', new Uint8Array(readFileSync(path.join(modelsDir, 'human-blazeface.onnx'))));
    try {
      expect(blazeface.inputs[0]!.shape[0]).toBe(1);
      expect(acceptsBatch(blazeface)).toBe(false);
      expect(acceptsBatch(session)).toBe(true);
      expect(() => new DynamicBatcher(blazeface, { maxBatch: 8, maxDelayMs: 2 })).toThrow(/model human-blazeface: dynamic batching needs a dynamic first \(batch\) dim on every input, got input \[1, 3, 256, 256\]/);
    } finally {
      await blazeface.release();
    }
  });
});
