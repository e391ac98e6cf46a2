/** GET /metrics on the API port through app.request(): an app's Bearer key, and the exposition as given. */
import { describe, expect, it } from 'vitest';
import { testApp, testApps } from '../helpers/contract.js';

const apps = testApps([{ appId: 'ops', appKey: 'ops-key', allowedApis: ['*'] }]);
const EXPOSITION = '# HELP face_liveness_x x\n# TYPE face_liveness_x counter\nface_liveness_x 1\n';
const app = testApp({ metrics: { render: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: EXPOSITION }), apps } });

describe('GET /metrics (API port)', () => {
  it('needs an app key: 401 with WWW-Authenticate without one or with a wrong one', async () => {
    for (const headers of [{}, { Authorization: 'Bearer wrong' }] as Record<string, string>[]) {
      const res = await app.request('/metrics', { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('WWW-Authenticate')).toBe('Bearer');
    }
  });

  it('answers the Prometheus text with its content type, never cached', async () => {
    const res = await app.request('/metrics', { headers: { Authorization: 'Bearer ops-key' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(await res.text()).toBe(EXPOSITION);
  });

  it('is not served by an app built without it', async () => {
    expect((await testApp({}).request('/metrics')).status).toBe(404);
  });
});
