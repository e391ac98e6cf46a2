import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchPacks } from '../scripts/fetch-models.js';
import { createApp } from '../src/http/app.js';
import { AppRegistry, sha256Hex } from '../src/http/apps.js';
import type { HealthReport } from '../src/http/health.js';
import { readPacks } from '../src/inference/packs.js';
import { ModelRegistry } from '../src/inference/registry.js';
import { DEFAULT_SESSION_OPTIONS, ortVersion } from '../src/inference/session.js';
import { EXPECTED_MODELS } from './expected-models.js';
import { repoRoot, sharedData } from './helpers/reference.js';

const modelsDir = path.join(repoRoot, 'models');
const packList = readPacks(path.join(modelsDir, 'packs.json'));
const versions = { service: '0.0.0-test', onnxruntime: ortVersion(), node: process.versions.node };
const operators = new AppRegistry([{ appId: 'ops', appKeySha256: sha256Hex('ops-key'), allowedApis: ['*'] }]);

/** The full report: /health?details=1 with a configured app's Bearer key (plain /health is the status alone). */
async function health(registry: ModelRegistry): Promise<HealthReport> {
  const res = await createApp({ registry, versions, healthReportApps: operators }).request('/health?details=1', { headers: { Authorization: 'Bearer ops-key' } });
  expect(res.status).toBe(200);
  return (await res.json()) as HealthReport;
}

describe('GET /health on the built model set', () => {
  let registry: ModelRegistry;
  beforeAll(async () => {
    // An empty packs folder: every listed pack is reported missing, none loaded.
    registry = await ModelRegistry.load(modelsDir, DEFAULT_SESSION_OPTIONS, { dir: mkdtempSync(path.join(tmpdir(), 'no-packs-')), list: packList });
  });
  afterAll(async () => registry?.dispose());

  it('lists every model of the default set with its task, licence and the provider in use', async () => {
    const body = await health(registry);
    expect(body.status).toBe('ok');
    expect(body.executionProvider).toBe('cpu');
    expect(body.inferenceThread).toBe('main'); // a registry loaded without a host runs on the caller's thread
    expect(body.versions.onnxruntime).toBe('1.29.0');
    expect(Object.fromEntries(body.models.map((m) => [m.id, m.task]))).toEqual(EXPECTED_MODELS);
    for (const m of body.models) {
      expect(m.origin).toBe('embedded');
      expect(m.executionProvider).toBe('cpu');
      expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(m.source.license).toMatch(/MIT/);
      expect(m.source.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(m.inputs.length).toBeGreaterThan(0);
    }
    expect(body.packs.map((p) => [p.id, p.state])).toEqual(packList.packs.map((p) => [p.id, 'missing']));
  });

  it('reports where ORT ran each model\'s nodes once it has run (all on the CPU provider here), and batching off', async () => {
    const before = await health(registry);
    for (const m of before.models) {
      expect(m.placement).toEqual({ measured: false, reason: 'the model has not run yet' });
      expect(m.batching).toEqual({ state: 'off' });
    }
    const { skipped } = await registry.warmUp();
    expect(skipped).toEqual([]); // every embedded model has a concrete warm-up shape
    const after = await health(registry);
    for (const m of after.models) {
      if (!m.placement.measured) throw new Error(`${m.id}: placement not measured: ${m.placement.reason}`);
      expect(Object.keys(m.placement.nodes)).toEqual(['CPUExecutionProvider']);
      expect(m.placement.nodes.CPUExecutionProvider).toBeGreaterThan(0);
      expect(m.placement.kernelMicros.CPUExecutionProvider).toBeGreaterThan(0);
      expect(m.placement.otherProviderOps).toEqual([]);
    }
  });

  it('answers unknown routes with a 404 in the error format', async () => {
    const res = await createApp({ registry, versions }).request('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route for GET /nope' } });
  });
});

describe('GET /health with dynamic batching on (BATCH_MAX_SIZE 8)', () => {
  let registry: ModelRegistry;
  beforeAll(async () => {
    registry = await ModelRegistry.load(modelsDir, DEFAULT_SESSION_OPTIONS, undefined, { maxBatch: 8, maxDelayMs: 0 });
  });
  afterAll(async () => registry?.dispose());

  it('batches every model with a batch axis, says why the fixed-batch ones cannot be, and counts the runs', async () => {
    const recognition = registry.get('faceapi-face-recognition').runner;
    const face = { data: new Float32Array(3 * 150 * 150).fill(0.5), dims: [1, 3, 150, 150] };
    // Three at once: the first runs alone (the model was idle), the other two gather during its run.
    await Promise.all([1, 2, 3].map(() => recognition.run({ input: face })));
    const body = await health(registry);
    const byId = Object.fromEntries(body.models.map((m) => [m.id, m.batching]));
    expect(byId['human-blazeface']).toEqual({ state: 'fixed-batch', reason: 'fixed first dim: input [1, 3, 256, 256]' });
    expect(byId['human-blazeface-front']).toEqual({ state: 'fixed-batch', reason: 'fixed first dim: input [1, 3, 128, 128]' });
    // The two context detectors bake a batch of 1 into their graphs too (reshape constants).
    expect(byId['human-handtrack']).toEqual({ state: 'fixed-batch', reason: 'fixed first dim: input [1, 3, 320, 320]' });
    expect(byId['human-nanodet']).toMatchObject({ state: 'fixed-batch' });
    const fixed = ['human-blazeface', 'human-blazeface-front', 'human-handtrack', 'human-nanodet'];
    for (const [id, batching] of Object.entries(byId)) {
      if (!fixed.includes(id)) expect(batching, id).toMatchObject({ state: 'on', maxBatch: 8, maxDelayMs: 0 });
    }
    expect(byId['faceapi-face-recognition']).toMatchObject({ batches: 2, items: 3, rows: 3, largestBatch: 2, meanBatch: 1.5 });
    expect(byId['faceapi-face-landmark-68']).toMatchObject({ batches: 0, items: 0, meanBatch: 0, meanQueuedMs: 0 });
  });
});

describe('optional packs in the registry', () => {
  const packsDir = mkdtempSync(path.join(tmpdir(), 'packs-'));
  beforeAll(async () => {
    const results = await fetchPacks({ list: packList, dir: packsDir, mirror: path.dirname(sharedData('models/antispoof')), only: ['minifasnet-v2', 'yunet-n-dynamic'], log: () => {} });
    expect(results.map((r) => r.outcome)).toEqual(['installed', 'installed']);
  });

  it('loads installed packs beside the embedded set and reports the rest missing', async () => {
    const registry = await ModelRegistry.load(modelsDir, DEFAULT_SESSION_OPTIONS, { dir: packsDir, list: packList });
    try {
      const body = await health(registry);
      const packs = body.models.filter((m) => m.origin === 'pack');
      expect(packs.map((m) => [m.id, m.task])).toEqual([
        ['minifasnet-v2', 'antispoof'],
        ['yunet-n-dynamic', 'detection'],
      ]);
      expect(packs[0]!.source.license).toMatch(/Apache-2.0/);
      expect(body.models).toHaveLength(Object.keys(EXPECTED_MODELS).length + 2);
      const states = Object.fromEntries(body.packs.map((p) => [p.id, p.state]));
      expect(states['minifasnet-v2']).toBe('installed');
      expect(states['minifasnet-v1se']).toBe('missing');
      expect(registry.byTask('antispoof').map((m) => m.entry.id)).toEqual(['human-antispoof', 'minifasnet-v2']);
      // One MiniFASNet variant alone was never calibrated: liveness runs as without the pack, and says so.
      expect(body.liveness.antiSpoofingPack).toBe('missing');
      expect(body.packs.find((p) => p.id === 'minifasnet-v2')!.default).toBe(true);
      expect(body.packs.find((p) => p.id === 'yunet-n-dynamic')!.default).toBe(false);
    } finally {
      await registry.dispose();
    }
  });

  it('reports which liveness setup runs: with both MiniFASNet packs, or embedded-only', async () => {
    const both = mkdtempSync(path.join(tmpdir(), 'packs-both-'));
    const results = await fetchPacks({ list: packList, dir: both, mirror: path.dirname(sharedData('models/antispoof')), only: ['minifasnet-v2', 'minifasnet-v1se'], log: () => {} });
    expect(results.map((r) => r.outcome)).toEqual(['installed', 'installed']);
    for (const [dir, installed] of [
      [both, true],
      [mkdtempSync(path.join(tmpdir(), 'packs-none-')), false],
    ] as const) {
      const registry = await ModelRegistry.load(modelsDir, DEFAULT_SESSION_OPTIONS, { dir, list: packList });
      try {
        const { liveness } = await health(registry);
        expect(liveness.antiSpoofingPack).toBe(installed ? 'installed' : 'missing');
        expect(liveness.models).toEqual([...(installed ? ['minifasnet-v2', 'minifasnet-v1se'] : []), 'human-liveness']);
        expect(liveness.contextSignals).toEqual(['framingEdges', 'screenRecapture']);
        expect(Object.keys(liveness.fusion.weights).sort()).toEqual([...(installed ? ['minifasnet'] : []), 'framingEdges', 'humanLiveness'].sort());
        expect(liveness.summary).toMatch(installed ? /^liveness: MiniFASNet anti-spoofing pack installed/ : /^liveness: WITHOUT the MiniFASNet anti-spoofing pack .*npm run models:fetch/);
      } finally {
        await registry.dispose();
      }
    }
  });

  it('refuses to start with a pack file whose sha256 is wrong', async () => {
    const corruptDir = mkdtempSync(path.join(tmpdir(), 'packs-corrupt-'));
    writeFileSync(path.join(corruptDir, 'yunet-n-320.onnx'), 'not a model');
    await expect(ModelRegistry.load(modelsDir, DEFAULT_SESSION_OPTIONS, { dir: corruptDir, list: packList })).rejects.toThrow(
      /pack yunet-n-320: .*yunet-n-320\.onnx does not have the listed sha256 [0-9a-f]{64} \(re-run `npm run models:fetch`\)/,
    );
  });
});
