/**
 * Contract tests for the webhook log API through app.request() (no socket): Bearer appKey auth, allowedApis
 * (the webhook log counts as `sessions`) and the per-app rate limit, per-app scoping, listing filters and paging,
 * attempts, redeliver, and Verilock-style errors. Deliveries use a fake fetch and an injected clock.
 */
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/http/middleware/rate-limit.js';
import { openDatabase } from '../../src/store/database.js';
import { SqliteWebhookStore } from '../../src/store/sqlite-webhooks.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { endpointsFromApps } from '../../src/app/create-webhooks.js';
import { testApp, testApps, testClock } from '../helpers/contract.js';

const SECRET = 'acme-webhook-secret-0123456789abcdef';
const apps = testApps([
  { appId: 'acme', appKey: 'acme-key', allowedApis: ['*'], webhookUrl: 'https://acme.example/hooks', webhookSecret: SECRET },
  { appId: 'other', appKey: 'other-key', allowedApis: ['*'], webhookUrl: 'https://other.example/hooks', webhookSecret: SECRET },
  { appId: 'suspended', appKey: 'suspended-key', allowedApis: [] },
  { appId: 'match-only', appKey: 'match-only-key', allowedApis: ['matchFace'], webhookUrl: 'https://match.example/hooks', webhookSecret: SECRET },
  { appId: 'sessions-app', appKey: 'sessions-key', allowedApis: ['sessions'], rateLimitPerMinute: 2, webhookUrl: 'https://s.example/hooks', webhookSecret: SECRET },
]);

function harness() {
  const clock = testClock(Date.UTC(2025, 0, 1, 12, 0, 0));
  const statuses = [503, 200];
  const fetch = (async () => new Response('', { status: statuses.length > 1 ? statuses.shift()! : statuses[0]! })) as typeof globalThis.fetch;
  const webhooks = new WebhookDispatcher({
    store: new SqliteWebhookStore(openDatabase(':memory:')),
    endpointFor: endpointsFromApps(apps),
    now: clock.now,
    random: () => 0.5,
    fetch,
    log: () => {},
  });
  const app = testApp({ webhooks: { apps, webhooks, rateLimiter: new RateLimiter(clock.now) } });
  const get = (path: string, key = 'acme-key') => app.request(path, { headers: { Authorization: `Bearer ${key}` } });
  return { app, webhooks, clock, get };
}

const data = (session_id: string) => ({ session_id, video_mode: 'self_record', status: 'completed', duration_seconds: 12 });

describe('webhook log API', () => {
  it('401 without or with a wrong Bearer key (WWW-Authenticate), 403 for a suspended app', async () => {
    const { app, get } = harness();
    const none = await app.request('/v1/webhooks');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.json()).toMatchObject({ error: 'authentication_error', details: null });
    expect((await get('/v1/webhooks', 'nope')).status).toBe(401);
    expect((await app.request('/v1/webhooks', { headers: { Authorization: 'Basic YTpi' } })).status).toBe(401);
    expect((await app.request('/v1/webhooks/x/attempts')).status).toBe(401);
    const suspended = await get('/v1/webhooks', 'suspended-key');
    expect(suspended.status).toBe(403);
    expect(await suspended.json()).toMatchObject({ error: 'forbidden' });
  });

  it('refuses an app whose allowedApis lack `sessions` on every route, with the sessions API’s 403 body', async () => {
    const { app, webhooks, get } = harness();
    const id = (await webhooks.emit('match-only', 'video.completed', data('ses_1')))!;
    const forbidden = { error: 'forbidden', message: 'app "match-only" may not call the sessions API', details: null };
    for (const path of ['/v1/webhooks', `/v1/webhooks/${id}`, `/v1/webhooks/${id}/attempts`]) {
      const response = await get(path, 'match-only-key');
      expect(response.status, path).toBe(403);
      expect(await response.json()).toEqual(forbidden);
    }
    const redeliver = await app.request(`/v1/webhooks/${id}/redeliver`, { method: 'POST', headers: { Authorization: 'Bearer match-only-key' } });
    expect(redeliver.status).toBe(403);
    expect(await redeliver.json()).toEqual(forbidden);
    expect(await webhooks.attempts('match-only', id)).toEqual([]); // nothing was redelivered
    // An app allowed `sessions` (not `*`) reads its log.
    expect((await get('/v1/webhooks', 'sessions-key')).status).toBe(200);
  });

  it('counts every call against the app’s rateLimitPerMinute: 429 rate_limit_exceeded with Retry-After and details.retry_after, then the next minute', async () => {
    const { app, clock, get } = harness();
    clock.ms += 30_000; // mid-window: 30 s until it resets
    expect((await get('/v1/webhooks', 'sessions-key')).status).toBe(200);
    expect((await get('/v1/webhooks/whk_missing', 'sessions-key')).status).toBe(404);
    for (const response of [
      await get('/v1/webhooks', 'sessions-key'),
      await get('/v1/webhooks/whk_missing/attempts', 'sessions-key'),
      await app.request('/v1/webhooks/whk_missing/redeliver', { method: 'POST', headers: { Authorization: 'Bearer sessions-key' } }),
    ]) {
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('30');
      expect(await response.json()).toEqual({
        error: 'rate_limit_exceeded',
        message: 'app "sessions-app" is over its limit of 2 requests per minute; retry in 30 s',
        // As the sessions API answers (http/verilock-route.ts): the wait repeated in the body, seconds.
        details: { retry_after: 30 },
      });
    }
    clock.ms += 30_000;
    expect((await get('/v1/webhooks', 'sessions-key')).status).toBe(200);
  });

  it('lists the app’s events with the issue #6 payload, filtered by session_id and status, paged', async () => {
    const { webhooks, clock, get } = harness();
    const first = (await webhooks.emit('acme', 'video.completed', data('ses_1')))!;
    await webhooks.deliverDue(); // 503 → pending
    clock.ms += 1000;
    const second = (await webhooks.emit('acme', 'video.reviewed', { ...data('ses_1'), status: 'approved' }))!;
    const third = (await webhooks.emit('acme', 'video.completed', data('ses_2')))!;
    await webhooks.emit('other', 'video.completed', data('ses_1'));

    const all = await get('/v1/webhooks');
    expect(all.status).toBe(200);
    const body = (await all.json()) as { data: { webhook_id: string }[]; has_more: boolean; next_after: string | null };
    expect(body.data.map((w) => w.webhook_id)).toEqual([third, second, first]);
    expect(body.has_more).toBe(false);
    expect(body.data[2]).toEqual({
      webhook_id: first,
      event: 'video.completed',
      session_id: 'ses_1',
      status: 'pending',
      attempts: 1,
      next_attempt_at: new Date(Date.UTC(2025, 0, 1, 12, 0, 30)).toISOString(),
      created_at: '2025-01-01T12:00:00.000Z',
      delivered_at: null,
      last_error: 'HTTP 503',
      payload: { event: 'video.completed', data: data('ses_1'), timestamp: '2025-01-01T12:00:00.000Z', webhook_id: first },
    });

    const bySession = (await (await get('/v1/webhooks?session_id=ses_1')).json()) as { data: { webhook_id: string }[] };
    expect(bySession.data.map((w) => w.webhook_id)).toEqual([second, first]);
    const page1 = (await (await get('/v1/webhooks?limit=2')).json()) as { data: { webhook_id: string }[]; has_more: boolean; next_after: string };
    expect(page1.data.map((w) => w.webhook_id)).toEqual([third, second]);
    expect(page1).toMatchObject({ has_more: true, next_after: second });
    const page2 = (await (await get(`/v1/webhooks?limit=2&after=${page1.next_after}`)).json()) as { data: { webhook_id: string }[]; has_more: boolean };
    expect(page2.data.map((w) => w.webhook_id)).toEqual([first]);
    expect(page2.has_more).toBe(false);

    clock.ms += 60_000;
    await webhooks.deliverDue(); // all three due: the first one now gets 200, the others too
    const delivered = (await (await get('/v1/webhooks?status=delivered')).json()) as { data: { webhook_id: string }[] };
    expect(delivered.data).toHaveLength(3);
    expect(((await (await get('/v1/webhooks?status=pending')).json()) as { data: unknown[] }).data).toEqual([]);
  });

  it('422 for a bad query, naming the parameter', async () => {
    const { get } = harness();
    for (const query of ['status=done', 'limit=0', 'limit=101', 'limit=x', 'unknown=1']) {
      const response = await get(`/v1/webhooks?${query}`);
      expect(response.status, query).toBe(422);
      expect(await response.json()).toMatchObject({ error: 'validation_error' });
    }
    const bad = (await (await get('/v1/webhooks?status=done')).json()) as { details: Record<string, string[]> };
    expect(Object.keys(bad.details)).toEqual(['status']);
  });

  it('lists every attempt in order and redelivers; another app’s event is a 404', async () => {
    const { webhooks, clock, get, app } = harness();
    const id = (await webhooks.emit('acme', 'video.completed', data('ses_1')))!;
    await webhooks.deliverDue();
    clock.ms += 30_000;
    await webhooks.deliverDue();

    const attempts = await get(`/v1/webhooks/${id}/attempts`);
    expect(attempts.status).toBe(200);
    const body = (await attempts.json()) as { webhook_id: string; data: Record<string, unknown>[] };
    expect(body.webhook_id).toBe(id);
    expect(body.data.map(({ duration_ms, ...rest }) => (expect(duration_ms).toBeTypeOf('number'), rest))).toEqual([
      { attempt: 1, attempted_at: '2025-01-01T12:00:00.000Z', url: 'https://acme.example/hooks', status_code: 503, error: 'HTTP 503' },
      { attempt: 2, attempted_at: '2025-01-01T12:00:30.000Z', url: 'https://acme.example/hooks', status_code: 200, error: null },
    ]);
    expect(await (await get(`/v1/webhooks/${id}`)).json()).toMatchObject({ webhook_id: id, status: 'delivered', attempts: 2 });

    const redeliver = await app.request(`/v1/webhooks/${id}/redeliver`, { method: 'POST', headers: { Authorization: 'bearer acme-key' } });
    expect(redeliver.status).toBe(202);
    expect(await redeliver.json()).toMatchObject({ webhook_id: id, status: 'pending', next_attempt_at: '2025-01-01T12:00:30.000Z' });
    await webhooks.deliverDue();
    expect(await (await get(`/v1/webhooks/${id}`)).json()).toMatchObject({ status: 'delivered', attempts: 3 });

    for (const path of [`/v1/webhooks/${id}`, `/v1/webhooks/${id}/attempts`, '/v1/webhooks/whk_missing/attempts']) {
      const response = await get(path, 'other-key');
      expect(response.status, path).toBe(404);
      expect(await response.json()).toMatchObject({ error: 'not_found' });
    }
    const foreign = await app.request(`/v1/webhooks/${id}/redeliver`, { method: 'POST', headers: { Authorization: 'Bearer other-key' } });
    expect(foreign.status).toBe(404);
    expect(((await (await get('/v1/webhooks', 'other-key')).json()) as { data: unknown[] }).data).toEqual([]);
  });
});
