/**
 * Webhook delivery to a REAL HTTP receiver on 127.0.0.1 (node:http in this test, real fetch, the real
 * dispatcher loop): the receiver is down (port closed) for the first attempt, then up; it verifies the
 * signature the way README "Webhooks" tells receivers to. The event must arrive exactly once, and every
 * attempt must be listed by GET /v1/webhooks/{id}/attempts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { AppRegistry, sha256Hex } from '../../src/http/apps.js';
import { RateLimiter } from '../../src/http/middleware/rate-limit.js';
import type { ModelRegistry } from '../../src/inference/registry.js';
import { openDatabase } from '../../src/store/database.js';
import { SqliteWebhookStore } from '../../src/store/sqlite-webhooks.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { endpointsFromApps } from '../../src/app/create-webhooks.js';
import { verifySignature } from '../../src/webhooks/sign.js';

const SECRET = 'receiver-test-secret-0123456789abcdef';

const listen = (server: Server, port = 0) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
const close = (server: Server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('webhooks to a real local receiver', () => {
  it('down for the first attempt, then up: delivered exactly once, signature valid, every attempt listed', async () => {
    // A port that nothing listens on: take a free one, then close it (connection refused until we listen again).
    const probe = createServer();
    const port = await listen(probe);
    await close(probe);
    const url = `http://127.0.0.1:${port}/hooks/kyc`;

    const received: { body: string; verified: boolean; id: string | undefined }[] = [];
    const receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const verified = verifySignature(SECRET, body, request.headers['x-webhook-signature'] as string | undefined).ok;
        received.push({ body, verified, id: request.headers['x-webhook-id'] as string | undefined });
        response.writeHead(verified ? 200 : 401).end();
      });
    });
    cleanups.push(() => close(receiver));

    const apps = new AppRegistry([{ appId: 'acme', appKeySha256: sha256Hex('acme-key'), allowedApis: ['*'], webhookUrl: url, webhookSecret: SECRET }]);
    const db = openDatabase(':memory:');
    const webhooks = new WebhookDispatcher({
      store: new SqliteWebhookStore(db),
      endpointFor: endpointsFromApps(apps),
      // Short real-time schedule for the test: 150 ms, 300 ms, … (no jitter).
      retry: { maxAttempts: 6, baseDelayMs: 150, jitter: 0 },
      pollIntervalMs: 10,
      timeoutMs: 5000,
      log: () => {},
    });
    cleanups.push(async () => {
      await webhooks.stop();
      db.close();
    });
    webhooks.start();

    const data = { session_id: 'ses_42', video_mode: 'self_record', status: 'completed', duration_seconds: 9.2 };
    const id = (await webhooks.emit('acme', 'video.completed', data))!;
    await expect.poll(async () => (await webhooks.attempts('acme', id))!.length, { timeout: 5000, interval: 5 }).toBeGreaterThanOrEqual(1);
    expect((await webhooks.get('acme', id))!.state).toBe('pending');
    await listen(receiver, port); // the receiver comes up

    await expect.poll(async () => (await webhooks.get('acme', id))!.state, { timeout: 10_000, interval: 10 }).toBe('delivered');
    await webhooks.stop();

    expect(received).toHaveLength(1);
    expect(received[0]!.verified).toBe(true);
    expect(received[0]!.id).toBe(id);
    expect(JSON.parse(received[0]!.body)).toMatchObject({ event: 'video.completed', data, webhook_id: id });

    const app = createApp({ registry: {} as ModelRegistry, versions: { service: 't', onnxruntime: 't', node: 't' }, webhooks: { apps, webhooks, rateLimiter: new RateLimiter() } });
    const response = await app.request(`/v1/webhooks/${id}/attempts`, { headers: { Authorization: 'Bearer acme-key' } });
    const attempts = ((await response.json()) as { data: { attempt: number; url: string; status_code: number | null; error: string | null }[] }).data;
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts.map((a) => a.attempt)).toEqual(attempts.map((_, i) => i + 1));
    for (const failed of attempts.slice(0, -1)) expect(failed).toMatchObject({ url, status_code: null, error: expect.stringMatching(/ECONNREFUSED/) });
    expect(attempts.at(-1)).toMatchObject({ url, status_code: 200, error: null });
  });
});
