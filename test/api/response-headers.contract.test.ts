/**
 * `X-Content-Type-Options: nosniff` on every JSON answer (issue #13, item 9), walked through app.request() over the
 * service's own routes, the HyperVerge-style and the Verilock-style APIs: successes, and errors from each error
 * path (validation, credentials, rate limit, not found, body limit, an internal failure).
 */
import { describe, expect, it, vi } from 'vitest';
import type { MatchFace } from '../../src/pipeline/match-face.js';
import { openDatabase } from '../../src/store/database.js';
import { SqliteWebhookStore } from '../../src/store/sqlite-webhooks.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { endpointsFromApps } from '../../src/app/create-webhooks.js';
import { formData, matchFaceDeps, MODELLESS_REGISTRY, testApp, testApps } from '../helpers/contract.js';

const apps = testApps([
  { appId: 'acme', appKey: 'acme-key', allowedApis: ['*'] },
  { appId: 'limited', appKey: 'limited-key', allowedApis: ['*'], rateLimitPerMinute: 1 },
]);

function harness() {
  const matchFace = vi.fn<MatchFace>(async () => ({ match: { value: true, score: 90, confidence: 'high' }, distance: 0.4 }));
  const webhooks = new WebhookDispatcher({ store: new SqliteWebhookStore(openDatabase(':memory:')), endpointFor: endpointsFromApps(apps), log: () => {} });
  const deps = matchFaceDeps({ apps, matchFace, concurrency: 1, bodyLimitBytes: 4096 });
  const app = testApp({
    registry: MODELLESS_REGISTRY,
    healthReportApps: apps,
    matchFace: deps,
    webhooks: { apps, webhooks, rateLimiter: deps.rateLimiter },
  });
  return { app, matchFace };
}

const form = (selfie = new Blob([new Uint8Array([0xff, 0xd8, 0xff, 1])])) => formData({ selfie, id: new Blob([new Uint8Array([0xff, 0xd8, 0xff, 2])]) });
const hv = { appId: 'acme', appKey: 'acme-key', transactionId: 't-1' };


describe('X-Content-Type-Options: nosniff on every JSON answer', () => {
  it('walks the routes, success and error', async () => {
    const { app, matchFace } = harness();
    const cases: [string, number, () => Response | Promise<Response>][] = [
      ['GET /health', 200, () => app.request('/health')],
      ['GET /health?details=1 (report)', 200, () => app.request('/health?details=1', { headers: { Authorization: 'Bearer acme-key' } })],
      ['GET /health?details=1 (no key)', 401, () => app.request('/health?details=1')],
      ['GET /health?details=x', 400, () => app.request('/health?details=x', { headers: { Authorization: 'Bearer acme-key' } })],
      ['GET /openapi.json', 200, () => app.request('/openapi.json')],
      ['GET /nope', 404, () => app.request('/nope')],
      ['POST /v1/nope', 404, () => app.request('/v1/nope', { method: 'POST' })],
      ['POST /v1/matchFace', 200, () => app.request('/v1/matchFace', { method: 'POST', headers: hv, body: form() })],
      ['POST /v1/matchFace (no credentials)', 401, () => app.request('/v1/matchFace', { method: 'POST', body: form() })],
      ['POST /v1/matchFace (not multipart)', 400, () => app.request('/v1/matchFace', { method: 'POST', headers: { ...hv, 'content-type': 'application/json' }, body: '{}' })],
      ['POST /v1/matchFace (too large)', 413, () => app.request('/v1/matchFace', { method: 'POST', headers: hv, body: form(new Blob([new Uint8Array(8192)])) })],
      [
        'POST /v1/matchFace (use case fails)',
        500,
        () => (matchFace.mockRejectedValueOnce(new Error('boom')), app.request('/v1/matchFace', { method: 'POST', headers: hv, body: form() })),
      ],
      ['GET /v1/webhooks', 200, () => app.request('/v1/webhooks', { headers: { Authorization: 'Bearer acme-key' } })],
      ['GET /v1/webhooks (no key)', 401, () => app.request('/v1/webhooks')],
      ['GET /v1/webhooks?status=x', 422, () => app.request('/v1/webhooks?status=x', { headers: { Authorization: 'Bearer acme-key' } })],
      ['GET /v1/webhooks/whk_x', 404, () => app.request('/v1/webhooks/whk_x', { headers: { Authorization: 'Bearer acme-key' } })],
      ['GET /v1/webhooks (limited, 1st)', 200, () => app.request('/v1/webhooks', { headers: { Authorization: 'Bearer limited-key' } })],
      ['GET /v1/webhooks (limited, 2nd)', 429, () => app.request('/v1/webhooks', { headers: { Authorization: 'Bearer limited-key' } })],
    ];
    for (const [name, status, send] of cases) {
      const res = await send();
      expect(res.status, name).toBe(status);
      expect(res.headers.get('content-type'), name).toMatch(/^application\/json/);
      expect(res.headers.get('x-content-type-options'), name).toBe('nosniff');
    }
  });
});
