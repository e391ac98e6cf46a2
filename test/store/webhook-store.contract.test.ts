/**
 * Webhook delivery on both stores (src/store/sqlite-webhooks.ts, src/store/postgres-webhooks.ts) through the real
 * dispatcher (src/webhooks/dispatcher.ts): the retry schedule, every attempt recorded, redelivery rounds, the app's
 * log. Then what only a store shared by replicas has (PostgreSQL): one delivery per event however many dispatchers
 * poll, and an event whose replica died mid-attempt sent again by another once the claim's lease has passed.
 */
import { describe, expect, it } from 'vitest';
import type { WebhookEventData, WebhookStore } from '../../src/store/webhooks.js';
import { WebhookDispatcher, type WebhookDispatcherOptions } from '../../src/webhooks/dispatcher.js';
import { useStoreBackends } from '../helpers/store-backends.js';

const T0 = 1_700_000_000_000;
const ENDPOINT = { url: 'https://receiver.example/hooks', secret: 'receiver-secret-0123456789abcdef0123' };
const DATA: WebhookEventData = { session_id: 'ses_1', video_mode: 'self_record', status: 'completed', duration_seconds: 7.5 };

const backends = useStoreBackends();

/** A receiver answering `statuses` in turn (an Error = connection refused), recording every webhook id it got. */
function receiver(statuses: (number | Error)[]) {
  const received: string[] = [];
  const fetch = (async (_input: string | URL | Request, init?: RequestInit) => {
    received.push(new Headers(init?.headers).get('x-webhook-id')!);
    const next = statuses.length > 1 ? statuses.shift()! : statuses[0]!;
    if (next instanceof Error) throw new TypeError('fetch failed', { cause: next });
    return new Response('ok', { status: next });
  }) as typeof globalThis.fetch;
  return { received, fetch };
}

function dispatcher(store: WebhookStore, clock: { ms: number }, options: Partial<WebhookDispatcherOptions>) {
  return new WebhookDispatcher({ store, endpointFor: () => ENDPOINT, now: () => clock.ms, random: () => 0.5, log: () => {}, ...options });
}

describe.each(backends.metadata)('webhook delivery on $name', (backend) => {
  const setup = () => backend.setup(T0);

  it('delivers on the retry schedule, records every attempt, and redelivers in a new round', async () => {
    const { stores, clock } = await setup();
    const down = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
    const hook = receiver([down, 503, 200]);
    const webhooks = dispatcher(stores.webhooks, clock, { fetch: hook.fetch, retry: { maxAttempts: 3 } });
    const id = (await webhooks.emit('app-a', 'video.completed', DATA))!;
    expect(await webhooks.get('app-a', id)).toMatchObject({ state: 'pending', attempts: 0, nextAttemptAt: T0 });
    await webhooks.deliverDue();
    expect(await webhooks.get('app-a', id)).toMatchObject({ state: 'pending', nextAttemptAt: T0 + 30_000, lastError: 'fetch failed: connect ECONNREFUSED 10.0.0.1:443' });
    clock.ms = T0 + 29_999;
    expect(await webhooks.deliverDue()).toBe(0);
    clock.ms = T0 + 30_000;
    await webhooks.deliverDue();
    expect(await webhooks.get('app-a', id)).toMatchObject({ state: 'pending', nextAttemptAt: T0 + 90_000, lastError: 'HTTP 503' });
    clock.ms = T0 + 90_000;
    await webhooks.deliverDue();
    expect(await webhooks.get('app-a', id)).toMatchObject({ state: 'delivered', attempts: 3, deliveredAt: T0 + 90_000 });
    expect((await webhooks.attempts('app-a', id))!.map((a) => [a.number, a.attemptedAt - T0, a.statusCode, a.error])).toEqual([
      [1, 0, undefined, 'fetch failed: connect ECONNREFUSED 10.0.0.1:443'],
      [2, 30_000, 503, 'HTTP 503'],
      [3, 90_000, 200, undefined],
    ]);
    expect(await webhooks.redeliver('app-b', id)).toBeUndefined();
    expect(await webhooks.redeliver('app-a', id)).toMatchObject({ state: 'pending', nextAttemptAt: clock.ms });
    await webhooks.deliverDue();
    expect(await webhooks.get('app-a', id)).toMatchObject({ state: 'delivered', attempts: 4 });
    expect(hook.received).toEqual([id, id, id, id]);
  });

  it('gives up after the last attempt (failed)', async () => {
    const { stores, clock } = await setup();
    const hook = receiver([500]);
    const webhooks = dispatcher(stores.webhooks, clock, { fetch: hook.fetch, retry: { maxAttempts: 3, baseDelayMs: 1000 } });
    const id = (await webhooks.emit('app-a', 'video.reviewed', DATA))!;
    for (let i = 0; i < 10; i++) {
      await webhooks.deliverDue();
      clock.ms += 60_000;
    }
    expect(hook.received).toHaveLength(3);
    const record = (await webhooks.get('app-a', id))!;
    expect(record).toMatchObject({ state: 'failed', attempts: 3, lastError: 'HTTP 500' });
    expect(record.nextAttemptAt).toBeUndefined();
  });

  it("lists an app's events newest first, by session and state, with paging; other apps see nothing", async () => {
    const { stores, clock } = await setup();
    const webhooks = dispatcher(stores.webhooks, clock, { fetch: receiver([200]).fetch });
    const a1 = (await webhooks.emit('app-a', 'video.completed', { ...DATA, session_id: 's1' }))!;
    await webhooks.deliverDue();
    clock.ms += 1;
    const a2 = (await webhooks.emit('app-a', 'video.reviewed', { ...DATA, session_id: 's1' }))!;
    const a3 = (await webhooks.emit('app-a', 'video.completed', { ...DATA, session_id: 's2' }))!;
    const b1 = (await webhooks.emit('app-b', 'video.completed', { ...DATA, session_id: 's1' }))!;
    const ids = async (appId: string, query: Parameters<WebhookDispatcher['list']>[1]) => (await webhooks.list(appId, query)).map((r) => r.webhookId);
    expect(await ids('app-a', { limit: 10 })).toEqual([a3, a2, a1]);
    expect(await ids('app-a', { limit: 10, sessionId: 's1' })).toEqual([a2, a1]);
    expect(await ids('app-a', { limit: 10, state: 'delivered' })).toEqual([a1]);
    expect(await ids('app-a', { limit: 10, state: 'pending' })).toEqual([a3, a2]);
    expect(await ids('app-a', { limit: 2 })).toEqual([a3, a2]);
    expect(await ids('app-a', { limit: 2, after: a2 })).toEqual([a1]);
    expect(await ids('app-b', { limit: 10 })).toEqual([b1]);
    expect(await webhooks.get('app-b', a1)).toBeUndefined();
    expect(await webhooks.attempts('app-b', a1)).toBeUndefined();
  });
});

describe('webhook delivery on PostgreSQL, shared by replicas', () => {
  const replicas = (count: number, clock: { ms: number }) => backends.postgresReplicas(Array.from({ length: count }, () => () => clock.ms));

  it('one delivery per event however many dispatchers claim at once', async () => {
    const clock = { ms: T0 };
    const stores = await replicas(3, clock);
    const hook = receiver([200]);
    const dispatchers = stores.map((s) => dispatcher(s.webhooks, clock, { fetch: hook.fetch, concurrency: 8 }));
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await dispatchers[i % 3]!.emit('app-a', 'video.completed', { ...DATA, session_id: `s${i}` }))!);
    for (let round = 0; round < 10 && hook.received.length < 30; round++) await Promise.all(dispatchers.map((d) => d.deliverDue()));
    expect(hook.received.sort()).toEqual([...ids].sort());
    for (const id of ids) expect(await dispatchers[0]!.attempts('app-a', id)).toHaveLength(1);
  });

  it('an event whose replica died mid-attempt is sent again by another once the claim lease has passed', async () => {
    const clock = { ms: T0 };
    const [a, b] = await replicas(2, clock);
    const hanging = (async () => new Promise<Response>(() => {})) as typeof globalThis.fetch;
    const dead = dispatcher(a!.webhooks, clock, { fetch: hanging, timeoutMs: 5000, claimLeaseMs: 60_000 });
    const id = (await dead.emit('app-a', 'video.completed', DATA))!;
    void dead.deliverDue(); // claims the event, sends, never hears back, never records
    const hook = receiver([200]);
    const survivor = dispatcher(b!.webhooks, clock, { fetch: hook.fetch });
    await expect.poll(async () => (await survivor.get('app-a', id))?.nextAttemptAt).toBe(T0 + 60_000);
    expect(await survivor.deliverDue()).toBe(0);
    clock.ms = T0 + 60_000;
    expect(await survivor.deliverDue()).toBe(1);
    expect(hook.received).toEqual([id]);
    expect(await survivor.get('app-a', id)).toMatchObject({ state: 'delivered', attempts: 1 });
  });
});
