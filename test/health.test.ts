import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/http/app.js';
import type { HealthReport } from '../src/http/health.js';
import { ModelRegistry } from '../src/inference/registry.js';
import { DEFAULT_SESSION_OPTIONS, ortVersion } from '../src/inference/session.js';
import { EXPECTED_MODELS } from './expected-models.js';
import { repoRoot } from './helpers/reference.js';

describe('GET /health on the built model set', () => {
  let registry: ModelRegistry;
  beforeAll(async () => {
    registry = await ModelRegistry.load(path.join(repoRoot, 'models'), DEFAULT_SESSION_OPTIONS);
  });
  afterAll(async () => registry?.dispose());

  it('lists every model of the default set with its task, licence and the provider in use', async () => {
    const app = createApp({ registry, versions: { service: '0.0.0-test', onnxruntime: ortVersion(), node: process.versions.node } });
    const res = await app.request('/health');
    expect(res.status).toBe(200);
    const body = (await res.json()) as HealthReport;
    expect(body.status).toBe('ok');
    expect(body.executionProvider).toBe('cpu');
    expect(body.versions.onnxruntime).toBe('1.29.0');
    const tasks = Object.fromEntries(body.models.map((m) => [m.id, m.task]));
    expect(tasks).toEqual(EXPECTED_MODELS);
    for (const m of body.models) {
      expect(m.executionProvider).toBe('cpu');
      expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(m.source.license).toMatch(/MIT/);
      expect(m.inputs.length).toBeGreaterThan(0);
    }
  });

  it('answers unknown routes with a 404 in the error format', async () => {
    const app = createApp({ registry, versions: { service: 't', onnxruntime: 't', node: 't' } });
    const res = await app.request('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route for GET /nope' } });
  });
});
