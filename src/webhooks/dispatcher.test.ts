import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../store/database.js';
import { sqliteGate } from '../store/sqlite-gate.js';
import { SqliteWebhookStore } from '../store/sqlite-webhooks.js';
import type { WebhookEventData } from '../store/webhooks.js';
import { WebhookDispatcher, type WebhookDispatcherOptions } from './dispatcher.js';
import { verifySignature } from './sign.js';

const SECRET = 'receiver-secret-0123456789abcdef0123';
const ENDPOINT = { url: 'https://receiver.example/hooks', secret: SECRET };
const DATA: WebhookEventData = { session_id: 'ses_1', video_mode: 'selfie', status: 'completed', duration_seconds: 7.5 };

interface Received {
  url: string;
  headers: Headers;
  body: string;
}

/** A fake receiver: answers with `statuses` in turn (a thrown Error = connection refused), records every request. */
function fakeReceiver(statuses: (number | Error)[]) {
  const received: Received[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    received.push({ url: String(input), headers: new Headers(init?.headers), body: String(init?.body) });
    const next = statuses.length > 1 ? statuses.shift()! : statuses[0]!;
    if (next instanceof Error) throw new TypeError('fetch failed', { cause: next });
    return new Response(next === 204 ? null : 'ok', { status: next });
  }) as typeof globalThis.fetch;
  return { received, fetch };
}

/** The dispatcher over the embedded store, as src/app/create-webhooks.ts wires them. */
function setup(options: Partial<WebhookDispatcherOptions> & { file?: string } = {}) {
  const clock = { now: 1_700_000_000_000 };
  const db = openDatabase(options.file ?? ':memory:');
  const webhooks = new WebhookDispatcher({
    store: new SqliteWebhookStore(db),
    endpointFor: (appId) => (appId === 'app-a' || appId === 'app-b' ? ENDPOINT : undefined),
    now: () => clock.now,
    random: () => 0.5,
    log: () => {},
    ...options,
  });
  return { clock, db, webhooks };
}

describe('WebhookDispatcher on the embedded store', () => {
  it('records the issue #6 payload durably and signs each attempt', async () => {
    const receiver = fakeReceiver([200]);
    const { webhooks, clock } = setup({ fetch: receiver.fetch });
    const id = (await webhooks.emit('app-a', 'video.completed', DATA))!;
    expect(id).toMatch(/^whk_[0-9a-f-]{36}$/);
    expect(await webhooks.get('app-a', id)).toMatchObject({ state: 'pending', attempts: 0, nextAttemptAt: clock.now });

    expect(await webhooks.deliverDue()).toBe(1);
    const [request] = receiver.received;
    expect(JSON.parse(request!.body)).toEqual({ event: 'video.completed', data: DATA, timestamp: new Date(clock.now).toISOString(), webhook_id: id });
    expect(request!.url).toBe(ENDPOINT.url);
    expect(request!.headers.get('x-webhook-id')).toBe(id);
    expect(request!.headers.get('content-type')).toBe('application/json');
    expect(verifySignature(SECRET, request!.body, request!.headers.get('x-webhook-signature'), { nowSeconds: clock.now / 1000 })).toMatchObject({ ok: true });
    expect(await webhooks.get('app-a', id)).toMatchObject({ state: 'delivered', attempts: 1, deliveredAt: clock.now });
    expect(await webhooks.deliverDue()).toBe(0);
  });

  it('an app without a webhook endpoint records nothing', async () => {
    const { webhooks } = setup({ fetch: fakeReceiver([200]).fetch });
    expect(await webhooks.emit('no-hook', 'video.reviewed', DATA)).toBeUndefined();
    expect(await webhooks.list('no-hook', { limit: 10 })).toEqual([]);
  });

  it('a receiver that is down for the first attempts gets the event later, on the backoff schedule', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
    const receiver = fakeReceiver([refused, 503, 200]);
    const { webhooks, clock } = setup({ fetch: receiver.fetch });
    const id = (await webhooks.emit('app-a', 'video.completed', DATA))!;
    const t0 = clock.now;

    await webhooks.deliverDue();
    expect(await webhooks.get('app-a', id)).toMatchObject({ state: 'pending', nextAttemptAt: t0 + 30_000, lastError: 'fetch failed: connect ECONNREFUSED 10.0.0.1:443' });
    clock.now = t0 + 29_999;
    expect(await webhooks.deliverDue()).toBe(0); // not due yet
    clock.now = t0 + 30_000;
    await webhooks.deliverDue();
    expect(await webhooks.get('app-a', id)).toMatchObject({ state: 'pending', nextAttemptAt: t0 + 30_000 + 60_000, lastError: 'HTTP 503' });
    clock.now = t0 + 90_000;
    await webhooks.deliverDue();
    expect(await webhooks.get('app-a', id)).toMatchObject({ state: 'delivered', attempts: 3 });
    expect((await webhooks.get('app-a', id))!.lastError).toBeUndefined();

    const attempts = (await webhooks.attempts('app-a', id))!;
    expect(attempts.map((a) => [a.number, a.attemptedAt - t0, a.statusCode, a.error])).toEqual([
      [1, 0, undefined, 'fetch failed: connect ECONNREFUSED 10.0.0.1:443'],
      [2, 30_000, 503, 'HTTP 503'],
      [3, 90_000, 200, undefined],
    ]);
    // Same body bytes each time, a fresh signature timestamp per attempt.
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    expect(receiver.received.map((r) => r.headers.get('x-webhook-signature')!.split(',')[0])).toEqual(
      [0, 30, 90].map((s) => `t=${t0 / 1000 + s}`),
    );
  });

  it('gives up after the last attempt (failed), and redeliver starts a new round', async () => {
    const receiver = fakeReceiver([500]);
    const { webhooks, clock, db } = setup({ fetch: receiver.fetch, retry: { maxAttempts: 3, baseDelayMs: 1000 } });
    const id = (await webhooks.emit('app-a', 'video.reviewed', DATA))!;
    for (let i = 0; i < 10; i++) {
      await webhooks.deliverDue();
      clock.now += 60_000;
    }
    expect(receiver.received).toHaveLength(3);
    expect(await webhooks.get('app-a', id)).toMatchObject({ state: 'failed', attempts: 3, lastError: 'HTTP 500' });
    expect((await webhooks.get('app-a', id))!.nextAttemptAt).toBeUndefined();

    // The receiver is fixed; the operator redelivers (same database, a fresh store object).
    const fixed = fakeReceiver([204]);
    const again = new WebhookDispatcher({ store: new SqliteWebhookStore(db), endpointFor: () => ENDPOINT, now: () => clock.now, fetch: fixed.fetch, log: () => {} });
    expect(await again.redeliver('app-b', id)).toBeUndefined(); // another app's event
    expect(await again.redeliver('app-a', id)).toMatchObject({ state: 'pending', nextAttemptAt: clock.now });
    await again.deliverDue();
    expect(await again.get('app-a', id)).toMatchObject({ state: 'delivered', attempts: 4 });
    expect((await again.attempts('app-a', id))!.map((a) => a.statusCode)).toEqual([500, 500, 500, 204]);
  });

  it('pending events survive a restart and the dispatcher loop resumes them', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'webhooks-')), 'store.sqlite');
    const down = fakeReceiver([new Error('connect ECONNREFUSED')]);
    const first = setup({ file, fetch: down.fetch });
    const id = (await first.webhooks.emit('app-a', 'video.completed', DATA))!;
    await first.webhooks.deliverDue();
    await first.webhooks.stop();
    first.db.close();

    // New process: clock past the retry time, receiver up, the real loop (start) with a short poll.
    const up = fakeReceiver([200]);
    const second = setup({ file, fetch: up.fetch, pollIntervalMs: 5 });
    second.clock.now = first.clock.now + 31_000;
    second.webhooks.start();
    await expect.poll(async () => (await second.webhooks.get('app-a', id))?.state, { timeout: 5000, interval: 10 }).toBe('delivered');
    await second.webhooks.stop();
    expect(up.received).toHaveLength(1);
    expect((await second.webhooks.attempts('app-a', id))!.map((a) => a.error ?? a.statusCode)).toEqual(['fetch failed: connect ECONNREFUSED', 200]);
    second.db.close();
  });

  it('emit inside a rolled-back transaction leaves no event', async () => {
    const { webhooks, db } = setup({ fetch: fakeReceiver([200]).fetch });
    await expect(
      sqliteGate(db).transaction(async (tx) => {
        await webhooks.emit('app-a', 'video.completed', DATA, tx);
        throw new Error('state change failed');
      }),
    ).rejects.toThrow('state change failed');
    expect(await webhooks.list('app-a', { limit: 10 })).toEqual([]);
  });

  it('lists an app’s events newest first, by session and state, with paging; other apps see nothing', async () => {
    const { webhooks, clock } = setup({ fetch: fakeReceiver([200]).fetch });
    const a1 = (await webhooks.emit('app-a', 'video.completed', { ...DATA, session_id: 's1' }))!;
    await webhooks.deliverDue();
    clock.now += 1;
    const a2 = (await webhooks.emit('app-a', 'video.reviewed', { ...DATA, session_id: 's1' }))!;
    const a3 = (await webhooks.emit('app-a', 'video.completed', { ...DATA, session_id: 's2' }))!;
    const b1 = (await webhooks.emit('app-b', 'video.completed', { ...DATA, session_id: 's1' }))!;
    expect((await webhooks.list('app-a', { limit: 10 })).map((r) => r.webhookId)).toEqual([a3, a2, a1]);
    expect((await webhooks.list('app-a', { limit: 10, sessionId: 's1' })).map((r) => r.webhookId)).toEqual([a2, a1]);
    expect((await webhooks.list('app-a', { limit: 10, state: 'delivered' })).map((r) => r.webhookId)).toEqual([a1]);
    expect((await webhooks.list('app-a', { limit: 10, state: 'pending' })).map((r) => r.webhookId)).toEqual([a3, a2]);
    expect((await webhooks.list('app-a', { limit: 2 })).map((r) => r.webhookId)).toEqual([a3, a2]);
    expect((await webhooks.list('app-a', { limit: 2, after: a2 })).map((r) => r.webhookId)).toEqual([a1]);
    expect((await webhooks.list('app-b', { limit: 10 })).map((r) => r.webhookId)).toEqual([b1]);
    expect(await webhooks.get('app-b', a1)).toBeUndefined();
    expect(await webhooks.attempts('app-b', a1)).toBeUndefined();
  });
});
