/**
 * GET /health through app.request() (issue #13, item 9): anyone gets the status alone (200 ok, 503 draining);
 * the full report (versions, models, the issue-12 liveness setup) only at ?details=1 with a configured app's
 * Bearer key. The registry is a model-less stand-in: the report's contents on real models are in test/health.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createApp, type AppDeps } from '../../src/http/app.js';
import type { HealthReport } from '../../src/http/health.js';
import { MODELLESS_REGISTRY, testApps } from '../helpers/contract.js';

const apps = testApps([
  { appId: 'ops', appKey: 'ops-key', allowedApis: ['checkLiveness'] },
  { appId: 'suspended', appKey: 'suspended-key', allowedApis: [] },
]);
const registry = MODELLESS_REGISTRY;
const versions = { service: '9.9.9', onnxruntime: '1.2.3', node: process.versions.node };

function app(overrides: Partial<AppDeps> = {}) {
  return createApp({ registry, versions, healthReportApps: apps, ...overrides });
}
const bearer = (key: string) => ({ headers: { Authorization: `Bearer ${key}` } });

describe('GET /health', () => {
  it('tells anyone the status and nothing else: no versions, models or liveness setup', async () => {
    const res = await app().request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    // A key does not widen the plain answer: the report is asked for explicitly.
    expect(await (await app().request('/health', bearer('ops-key'))).json()).toEqual({ status: 'ok' });
  });

  it('503 {"status":"draining"} once the process is stopping', async () => {
    let ready = true;
    const draining = app({ ready: () => ready });
    expect((await draining.request('/health')).status).toBe(200);
    ready = false;
    const res = await draining.request('/health');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'draining' });
    const report = await draining.request('/health?details=1', bearer('ops-key'));
    expect(report.status).toBe(503);
    expect(((await report.json()) as HealthReport).status).toBe('draining');
  });

  it('the full report at ?details=1 with a configured app’s Bearer key: versions, provider, packs and the liveness setup', async () => {
    const res = await app().request('/health?details=1', bearer('ops-key'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as HealthReport;
    expect(body).toMatchObject({ status: 'ok', executionProvider: 'cpu', inferenceThread: 'main', versions, models: [], packs: [] });
    expect(body.liveness).toMatchObject({ antiSpoofingPack: 'missing', contextSignals: expect.arrayContaining(['framingEdges', 'screenRecapture']) });
    expect(Object.keys(body.liveness.fusion.weights).length).toBeGreaterThan(0);
  });

  it('?details=1 without a valid key: 401 with WWW-Authenticate (RFC 6750 §3); a suspended app: 403; in the service error format', async () => {
    for (const init of [{}, bearer('wrong-key'), { headers: { Authorization: 'Basic b3BzOm9wcy1rZXk=' } }]) {
      const res = await app().request('/health?details=1', init);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'send "Authorization: Bearer <appKey>" with the key of a configured app' } });
    }
    const suspended = await app().request('/health?details=1', bearer('suspended-key'));
    expect(suspended.status).toBe(403);
    expect(await suspended.json()).toEqual({ error: { code: 'FORBIDDEN', message: 'app "suspended" is suspended (no allowedApis)' } });
  });

  it('without apps for the report, no key opens it; details other than 1 are a 400', async () => {
    const res = await createApp({ registry, versions }).request('/health?details=1', bearer('ops-key'));
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'this process serves no full health report (no apps configured for it)' } });
    const bad = await app().request('/health?details=yes', bearer('ops-key'));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'BAD_REQUEST', message: 'details must be "1" (the full report) or absent (status only)' } });
  });
});
