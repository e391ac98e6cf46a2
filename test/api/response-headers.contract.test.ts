/**
 * `X-Content-Type-Options: nosniff` on every JSON answer (issue #13, item 9), walked through app.request() over the
 * service's own routes, the HyperVerge-style and the Verilock-style APIs: successes, and errors from each error
 * path (validation, credentials, rate limit, not found, body limit, an internal failure).
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { AppRegistry, sha256Hex } from '../../src/http/apps.js';
import { ConcurrencyLimiter } from '../../src/http/concurrency.js';
import { RateLimiter } from '../../src/http/middleware/rate-limit.js';
import type { ModelRegistry } from '../../src/inference/registry.js';
import { RulesFile } from '../../src/app/rules-file.js';
import type { MatchFace } from '../../src/pipeline/match-face.js';
import { openDatabase } from '../../src/store/database.js';
import { SqliteWebhookStore } from '../../src/store/sqlite-webhooks.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { endpointsFromApps } from '../../src/app/create-webhooks.js';

const apps = new AppRegistry([
  { appId: 'acme', appKeySha256: sha256Hex('acme-key'), allowedApis: ['*'] },
  { appId: 'limited', appKeySha256: sha256Hex('limited-key'), allowedApis: ['*'], rateLimitPerMinute: 1 },
]);
const registry = { executionProvider: 'cpu', inferenceThread: 'main', packs: [], list: () => [] } as unknown as ModelRegistry;

function harness() {
  const matchFace = vi.fn<MatchFace>(async () => ({ match: { value: true, score: 90, confidence: 'high' }, distance: 0.4 }));
  const webhooks = new WebhookDispatcher({ store: new SqliteWebhookStore(openDatabase(':memory:')), endpointFor: endpointsFromApps(apps), log: () => {} });
  const rateLimiter = new RateLimiter();
  const app = createApp({
    registry,
    versions: { service: '9.9.9', onnxruntime: 'test', node: process.versions.node },
    healthReportApps: apps,
    matchFace: { apps, rateLimiter, concurrency: new ConcurrencyLimiter(1, 0), bodyLimitBytes: 4096, rules: new RulesFile(path.resolve('rules/decision-rules.json')), matchFace },
    webhooks: { apps, webhooks, rateLimiter },
  });
  return { app, matchFace };
}

const form = (selfie = new Blob([new Uint8Array([0xff, 0xd8, 0xff, 1])])) => {
  const body = new FormData();
  body.append('selfie', selfie, 'selfie.jpg');
  body.append('id', new Blob([new Uint8Array([0xff, 0xd8, 0xff, 2])]), 'id.jpg');
  return body;
};
const hv = { appId: 'acme', appKey: 'acme-key', transactionId: 't-1' };

let errorLog: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  errorLog = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => errorLog.mockRestore());

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
