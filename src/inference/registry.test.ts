import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../scripts/convert/onnx-builder.js';
import type { ModelEntry } from './manifest.js';
import type { ModelRunner } from './batcher.js';
import { compareGraphToManifest, loadModel, ModelRegistry, NO_BATCHING } from './registry.js';
import { DEFAULT_SESSION_OPTIONS } from './session.js';

/** A one-node model (sigmoid) with a matching manifest entry, written to a temp dir. */
function tinyModel(): { dir: string; entry: ModelEntry; bytes: Uint8Array } {
  const g = new GraphBuilder('tiny');
  const x = g.input('input', ['batch', 3, 4, 4]);
  g.output('scores', g.node('Sigmoid', [x]), ['batch', 3, 4, 4]);
  const bytes = g.toBytes();
  const dir = mkdtempSync(path.join(tmpdir(), 'registry-'));
  writeFileSync(path.join(dir, 'tiny.onnx'), bytes);
  const entry: ModelEntry = {
    id: 'tiny',
    task: 'liveness',
    description: 'test model',
    file: 'tiny.onnx',
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.byteLength,
    source: { package: 'test', version: '0', files: [], upstream: 'none', license: 'MIT' },
    inputs: [
      { name: 'input', shape: ['batch', 3, 4, 4], dtype: 'float32', layout: 'NCHW', colorOrder: 'RGB', mean: [0, 0, 0], std: [1, 1, 1], inGraphNormalization: 'none', preprocessing: 'none' },
    ],
    outputs: [{ name: 'scores', shape: ['batch', 3, 4, 4], meaning: 'sigmoid' }],
  };
  return { dir, entry, bytes };
}

describe('model registry', () => {
  it('loads a model whose file and graph match the manifest, and runs it', async () => {
    const { dir, entry } = tinyModel();
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ schemaVersion: 1, models: [entry] }));
    const registry = await ModelRegistry.load(dir, DEFAULT_SESSION_OPTIONS);
    expect(registry.byTask('liveness').map((m) => m.entry.id)).toEqual(['tiny']);
    const out = await registry.get('tiny').session.run({ input: { data: new Float32Array(48), dims: [1, 3, 4, 4] } });
    expect(out.scores!.data[0]).toBe(0.5);
    expect(() => registry.get('nope')).toThrow('model nope: expected in the loaded set, got tiny');
    // 'batch' is the only dynamic dim, so warm-up runs it at batch 1.
    expect(await registry.warmUp()).toEqual({ warmed: ['tiny'], skipped: [] });
    await registry.dispose();
  });

  it('plans which models a build asks for, by use case, without loading any; a run on the plan throws', async () => {
    const { dir, entry } = tinyModel();
    const other = { ...entry, id: 'other' };
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ schemaVersion: 1, models: [entry, other] }));
    let placeholder: ModelRunner | undefined;
    const uses = ModelRegistry.plan(dir, undefined, NO_BATCHING, (registry, use) => {
      placeholder = use('checkLiveness', () => registry.get('tiny').runner);
      use('verifyVideo', () => [registry.get('tiny'), registry.get('tiny')]);
    });
    expect([...uses]).toEqual([['tiny', ['checkLiveness', 'verifyVideo']]]);
    expect(placeholder!.inputs).toEqual([{ name: 'input', type: 'float32', shape: ['batch', 3, 4, 4] }]);
    await expect(placeholder!.run({ input: { data: new Float32Array(48), dims: [1, 3, 4, 4] } })).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    // A model asked for outside a named use case cannot be explained on /health: refused.
    expect(() => ModelRegistry.plan(dir, undefined, NO_BATCHING, (registry) => registry.get('tiny'))).toThrow(/outside a named use case/);
    // And one the manifest does not list fails the plan as it would fail the start.
    expect(() => ModelRegistry.plan(dir, undefined, NO_BATCHING, (registry, use) => use('matchFace', () => registry.get('nope')))).toThrow('model nope: expected in the loaded set');
  });

  it('loads only the planned models, says why each is loaded, and lists the others as not loaded', async () => {
    const { dir, entry } = tinyModel();
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ schemaVersion: 1, models: [entry, { ...entry, id: 'other' }] }));
    const registry = await ModelRegistry.load(dir, DEFAULT_SESSION_OPTIONS, undefined, undefined, undefined, new Map([['tiny', ['checkLiveness']]]));
    expect(registry.list().map((m) => m.entry.id)).toEqual(['tiny']);
    expect(registry.usesOf('tiny')).toEqual(['checkLiveness']);
    expect(registry.notLoaded).toEqual([{ id: 'other', origin: 'embedded', reason: 'no use case of this service asks for it' }]);
    expect(() => registry.get('other')).toThrow('model other: expected in the loaded set, got tiny');
    await registry.dispose();
    // Loaded whole (no plan): no reasons, nothing left out.
    const whole = await ModelRegistry.load(dir, DEFAULT_SESSION_OPTIONS);
    expect(whole.usesOf('tiny')).toBeUndefined();
    expect(whole.notLoaded).toEqual([]);
    await whole.dispose();
    await expect(ModelRegistry.load(dir, DEFAULT_SESSION_OPTIONS, undefined, undefined, undefined, new Map([['nope', ['x']]]))).rejects.toMatchObject({ code: 'MODEL_INVALID' });
  });

  it('refuses a file whose sha256 differs from the manifest', async () => {
    const { dir, entry } = tinyModel();
    await expect(loadModel({ ...entry, sha256: '0'.repeat(64) }, dir, DEFAULT_SESSION_OPTIONS)).rejects.toThrow(/expected sha256 0{64}, got [0-9a-f]{64}/);
  });

  it('refuses a graph whose inputs or outputs differ from the manifest, saying expected X, got Y', async () => {
    const { dir, entry } = tinyModel();
    const wrongShape = { ...entry, inputs: [{ ...entry.inputs[0]!, shape: ['batch', 3, 8, 8] }] };
    await expect(loadModel(wrongShape, dir, DEFAULT_SESSION_OPTIONS)).rejects.toThrow(
      'model tiny: graph does not match its manifest entry: input input: expected shape [batch, 3, 8, 8], got [batch, 3, 4, 4]',
    );
    const wrongName = { ...entry, outputs: [{ ...entry.outputs[0]!, name: 'probabilities' }] };
    await expect(loadModel(wrongName, dir, DEFAULT_SESSION_OPTIONS)).rejects.toThrow('outputs: expected probabilities, got scores');
  });

  it('treats a fixed manifest dim against a dynamic graph dim as a mismatch', () => {
    const problems = compareGraphToManifest(
      { inputs: [{ name: 'x', shape: [1, 3] }] as ModelEntry['inputs'], outputs: [{ name: 'y', shape: [1], meaning: '' }] },
      { inputs: [{ name: 'x', type: 'float32', shape: ['batch', 3] }], outputs: [{ name: 'y', type: 'float32', shape: [1] }] },
    );
    expect(problems).toEqual(['input x: expected shape [1, 3], got [batch, 3]']);
  });

  it('fails with a clear message when the manifest is missing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'registry-empty-'));
    await expect(ModelRegistry.load(dir, DEFAULT_SESSION_OPTIONS)).rejects.toThrow(/cannot read the model manifest \(run `npm run models`\)/);
  });
});
