/**
 * The sessions API end to end: the real service process on a socket (embedded models, DATA_DIR in a temp
 * directory), a session created with the Bearer key, a real selfie and the Hamilton clip uploaded through the
 * signed capture links with consent, processing by the persisted job queue, the signed `video.completed`
 * webhook received by a local HTTP receiver, and the video fetched back through its signed video_url, byte for byte.
 * Then the vendors' own clients read the recorded session: the official Tencent Cloud SDK (tencentcloud-sdk-nodejs,
 * unmodified, signing with TC3-HMAC-SHA256) calls DescribeSignFaceVideo, which needs the app's key held encrypted
 * under SECRETS_KEY in APPS_FILE.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsKey } from '../../src/config.js';
import { encryptAppKey } from '../../src/http/app-key-cipher.js';
import { verifySignature } from '../../src/webhooks/sign.js';
import { sharedData } from '../helpers/reference.js';
import { type ServiceProcess, startService, waitForOutput } from '../helpers/server.js';

const require = createRequire(import.meta.url);

describe('sessions API on a listening server', () => {
  let service: ServiceProcess;
  let base: string;
  const appKey = randomBytes(24).toString('hex');
  const secretsKey = randomBytes(32);
  /** The session recorded by the first test, for the vendor clients after it. */
  let recorded: { id: string; externalId: string; clip: Buffer } | undefined;
  const webhookSecret = randomBytes(24).toString('hex');
  // The local webhook receiver: keeps every delivery (raw body + headers) for the test to check.
  const deliveries: { body: string; signature: string | undefined; event: string | undefined }[] = [];
  let receiver: Server;
  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        deliveries.push({ body, signature: req.headers['x-webhook-signature'] as string | undefined, event: req.headers['x-webhook-event'] as string | undefined });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const appsFile = path.join(mkdtempSync(path.join(tmpdir(), 'e2e-apps-')), 'apps.json');
    writeFileSync(
      appsFile,
      JSON.stringify([
        {
          appId: 'e2e',
          appKeySha256: createHash('sha256').update(appKey).digest('hex'),
          appKeyEncrypted: encryptAppKey(new SecretsKey(secretsKey), 'e2e', appKey),
          allowedApis: ['*'],
          rateLimitPerMinute: 1000,
          webhookUrl: hookUrl,
          webhookSecret,
        },
      ]),
    );
    service = startService({
      APPS_FILE: appsFile,
      SECRETS_KEY: secretsKey.toString('base64'),
      SECRETS_KEY_FILE: '',
      MODEL_PACKS_DIR: mkdtempSync(path.join(tmpdir(), 'e2e-nopacks-')),
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'e2e-sessions-data-')),
      VIDEO_TEMP_DIR: mkdtempSync(path.join(tmpdir(), 'e2e-sessions-video-')),
      WEBHOOK_POLL_INTERVAL_MS: '100',
    });
    base = `http://127.0.0.1:${(await waitForOutput(service, /listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]}`;
  });
  afterAll(async () => {
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('creates a session, takes a selfie and the Hamilton clip with consent, processes it and serves the video back', async () => {
    const created = await fetch(`${base}/v1/sessions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${appKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ profile: { steps: ['selfie', 'video'], video_mode: 'self_record', video_max_duration: 60, video_language: 'en' }, redirect_url: 'https://app.example/done', external_id: 'e2e-1' }),
    });
    expect(created.status).toBe(201);
    const session = (await created.json()) as any;
    expect(session.id).toMatch(/^ses_/);

    const selfie = new FormData();
    selfie.append('image', new Blob([readFileSync(sharedData('identity/face_recognition_ageitgey/lin_manuel_miranda/lin-manuel-miranda.png'))]), 'selfie.png');
    expect((await fetch(session.capture.selfie.upload_url, { method: 'POST', body: selfie })).status).toBe(201);

    const clip = readFileSync(sharedData('videos/face_recognition_ageitgey/short_hamilton_clip.mp4'));
    const video = new FormData();
    video.append('video', new Blob([clip], { type: 'video/mp4' }), 'clip.mp4');
    video.append('consent_given_at', new Date().toISOString());
    video.append('consent_text_version', 'e2e-consent-v1');
    const uploaded = await fetch(session.capture.video.upload_url, { method: 'POST', body: video, headers: { 'User-Agent': 'e2e-capture/1.0' } });
    expect(uploaded.status).toBe(201);
    const upload = (await uploaded.json()) as any;
    expect(upload.consent).toMatchObject({ text_version: 'e2e-consent-v1', ip: '127.0.0.1', user_agent: 'e2e-capture/1.0' });

    let result: any;
    const deadline = Date.now() + 120_000;
    do {
      await new Promise((r) => setTimeout(r, 500));
      result = await (await fetch(`${base}/v1/sessions/${session.id}/video`, { headers: { Authorization: `Bearer ${appKey}` } })).json();
    } while (result.status !== 'completed' && Date.now() < deadline);
    expect(result).toMatchObject({ session_id: session.id, video_mode: 'self_record', status: 'completed', duration_seconds: 10, transcript: null, reviewed_at: null });
    // bench/RESULTS.md: the clip matches Lin-Manuel Miranda (≈ 73); it shows two people, so liveness is 0 → declined.
    expect(result.face_match_score).toBeGreaterThanOrEqual(60);
    expect(['approved', 'declined', 'needs_review']).toContain(result.result);

    // The signed video.completed webhook reaches the local receiver.
    const hookDeadline = Date.now() + 30_000;
    while (!deliveries.some((d) => d.event === 'video.completed') && Date.now() < hookDeadline) await new Promise((r) => setTimeout(r, 200));
    const hook = deliveries.find((d) => d.event === 'video.completed');
    expect(hook, 'video.completed webhook delivered').toBeDefined();
    expect(verifySignature(webhookSecret, hook!.body, hook!.signature)).toMatchObject({ ok: true });
    expect(verifySignature('x'.repeat(48), hook!.body, hook!.signature).ok).toBe(false);
    const payload = JSON.parse(hook!.body);
    expect(payload).toMatchObject({ event: 'video.completed', data: { session_id: session.id, video_mode: 'self_record', status: 'completed', duration_seconds: 10 } });
    expect(payload.webhook_id).toMatch(/^whk_/);
    expect(Object.keys(payload).sort()).toEqual(['data', 'event', 'timestamp', 'webhook_id']);

    const download = await fetch(result.video_url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.compare(Buffer.from(await download.arrayBuffer()), clip)).toBe(0);
    recorded = { id: session.id, externalId: 'e2e-1', clip };
  });

  describe('Tencent Cloud SDK (tencentcloud-sdk-nodejs ess v20201111, unmodified) against this server', () => {
    /**
     * The SDK as a user points it at the service: endpoint `ess.<host>:<port>` over http (it derives the signed service
     * name, `ess`, from the endpoint's first label), and an HTTP agent that resolves that name to this test's loopback
     * server, as a hosts-file entry or internal DNS would.
     */
    function essClient(secretKey: string) {
      const { Client } = require('tencentcloud-sdk-nodejs/tencentcloud/services/ess/v20201111/ess_client.js');
      const port = new URL(base).port;
      const lookup = (_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) =>
        options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4);
      return new Client({
        credential: { secretId: 'e2e', secretKey },
        region: '',
        profile: { httpProfile: { endpoint: `ess.tencentcloudapi.test:${port}`, protocol: 'http://', agent: new Agent({ lookup } as never) } },
      });
    }

    it('DescribeSignFaceVideo returns the recorded clip as base64 and the nod result', async () => {
      expect(recorded, 'the first test recorded a session').toBeDefined();
      const response = await essClient(appKey).DescribeSignFaceVideo({ Operator: { UserId: 'signer-1' }, FlowId: recorded!.externalId, SignId: recorded!.id });
      expect(Buffer.compare(Buffer.from(response.VideoData.LiveNessVideo, 'base64'), recorded!.clip)).toBe(0);
      expect(response.IntentionQuestionResult).toBeNull();
      expect(response.IntentionActionResult.Details).toHaveLength(1);
      expect(response.IntentionActionResult.Details[0]).toMatchObject({ NodDetected: expect.any(Boolean), NodCount: expect.any(Number) });
      expect(response.RequestId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('a wrong SecretKey gets AuthFailure.SignatureFailure, as the SDK reports it', async () => {
      await expect(essClient(`${appKey}x`).DescribeSignFaceVideo({ Operator: { UserId: 'signer-1' }, FlowId: 'e2e-1', SignId: recorded?.id ?? 'ses_x' })).rejects.toMatchObject({
        code: 'AuthFailure.SignatureFailure',
      });
    });
  });
});
