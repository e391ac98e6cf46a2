/**
 * Issue #13, defect 5: a truncated MP4 was answered 200. real.mp4 (tranvanluyt, 20.7 s) cut at 40 % of its
 * bytes still has its header (the moov box is at the front), so the old reader analysed the 16 frames that
 * decoded and reported the header's 20.7 s. Now the reader refuses it before decoding (src/video/probe.ts
 * `checkComplete`), which must hold on both paths that decode uploads: POST /v1/verifyVideo answers the
 * documented `400 Invalid video` with the reason, and a session whose recorded video is cut completes as
 * `declined` with that reason. Real models (embedded set) and the real video reader; the cut copy is written
 * to this test's temp dir, never into the repository.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { AppRegistry, sha256Hex } from '../../src/http/apps.js';
import { ConcurrencyLimiter } from '../../src/http/concurrency.js';
import { RateLimiter } from '../../src/http/middleware/rate-limit.js';
import { UrlSigner } from '../../src/http/signed-url.js';
import { ModelRegistry } from '../../src/inference/registry.js';
import { DEFAULT_SESSION_OPTIONS } from '../../src/inference/session.js';
import { RulesFile } from '../../src/app/rules-file.js';
import { createVerifyVideo, type VerifyVideo } from '../../src/pipeline/verify-video.js';
import { createProcessSession, type ProcessSessionPayload } from '../../src/sessions/process-session.js';
import { SqliteSessionRepository } from '../../src/sessions/session-repository.js';
import { openDatabase } from '../../src/store/database.js';
import type { Job } from '../../src/store/job-queue.js';
import { LocalImageStore } from '../../src/store/local-image-store.js';
import { LocalMediaStore } from '../../src/store/local-media-store.js';
import { videoBinaries } from '../../src/video/binaries.js';
import { createVideoReader } from '../../src/video/read-video.js';
import { repoRoot, sharedData } from '../helpers/reference.js';

const work = mkdtempSync(path.join(tmpdir(), 'verify-video-truncated-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** real.mp4's first 40 %, written to a temp file and read back, as a client's cut upload. */
function truncatedRealMp4(): Uint8Array {
  const whole = readFileSync(sharedData('videos/liveness_tranvanluyt/real.mp4'));
  const file = path.join(work, 'real-first-40-percent.mp4');
  writeFileSync(file, whole.subarray(0, Math.floor(whole.length * 0.4)));
  return new Uint8Array(readFileSync(file));
}
const SELFIE = new Uint8Array(readFileSync(sharedData('identity/face_recognition_ageitgey/lin_manuel_miranda/lin-manuel-miranda.png')));
const REASON = 'the video is truncated: its header says 20.7 s, the file holds 8.5 s; send the whole file';
const rules = new RulesFile(path.join(repoRoot, 'rules/decision-rules.json')).current();
const apps = new AppRegistry([{ appId: 'all', appKeySha256: sha256Hex('all-key'), allowedApis: ['*'] }]);
const BASE = 'http://svc.test';

let registry: ModelRegistry;
let verifyVideo: VerifyVideo;
beforeAll(async () => {
  registry = await ModelRegistry.load(path.join(repoRoot, 'models'), DEFAULT_SESSION_OPTIONS);
  const readVideo = createVideoReader({ binaries: videoBinaries(), tempDir: path.join(work, 'uploads'), timeoutMs: 30_000, maxDurationSeconds: 60, maxPixels: 3840 * 2160, fps: 4, maxFrames: 40, maxSide: 640 });
  verifyVideo = createVerifyVideo(registry, { maxImagePixels: 25_000_000, readVideo });
});
afterAll(async () => registry?.dispose());

describe('a truncated MP4 is refused, not half analysed', () => {
  it('POST /v1/verifyVideo: 400 "Invalid video" with the reason, in the HyperVerge error envelope', async () => {
    const app = createApp({
      registry,
      versions: { service: '9.9.9', onnxruntime: 'test', node: process.versions.node },
      verifyVideo: {
        verifyVideo,
        apps,
        rateLimiter: new RateLimiter(),
        concurrency: new ConcurrencyLimiter(1, 0),
        bodyLimitBytes: 4 * 1024 * 1024,
        rules: { current: () => rules },
        croppedImages: new LocalImageStore({ dir: path.join(work, 'crops'), ttlMs: 60_000, sweepIntervalMs: 0 }),
        signer: new UrlSigner('test-signing-secret-of-at-least-32-chars', 60),
      },
    });
    const form = new FormData();
    form.append('video', new Blob([Buffer.from(truncatedRealMp4())], { type: 'video/mp4' }), 'real.mp4');
    form.append('selfie', new Blob([Buffer.from(SELFIE)], { type: 'image/png' }), 'selfie.png');
    const res = await app.request(`${BASE}/v1/verifyVideo`, { method: 'POST', body: form, headers: { appId: 'all', appKey: 'all-key', transactionId: 'tx-cut' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ statusCode: 400, status: 'failure', result: { error: 'Invalid video', reason: REASON }, metadata: { requestId: expect.any(String), transactionId: 'tx-cut' } });
  });

  it('a session whose recorded video is cut completes as declined with the reason (no scores, no 20.7 s)', async () => {
    const db = openDatabase(':memory:');
    try {
      const media = new LocalMediaStore({ db, dir: path.join(work, 'media'), log: () => {} });
      const sessions = new SqliteSessionRepository(db);
      const enqueued: { id: string; type: string; payload: ProcessSessionPayload }[] = [];
      const jobs = { enqueue: <P>(type: string, payload: P) => (enqueued.push({ id: `job_${enqueued.length + 1}`, type, payload: payload as ProcessSessionPayload }), `job_${enqueued.length}`) };
      const webhooks = { emit: () => 'whk_1' };
      const app = createApp({
        registry,
        versions: { service: '9.9.9', onnxruntime: 'test', node: process.versions.node },
        sessions: {
          apps,
          rateLimiter: new RateLimiter(),
          sessions,
          media,
          jobs,
          webhooks,
          signer: new UrlSigner('test-signing-secret-of-at-least-32-chars', 3600),
          limits: { imageBytes: 1024 * 1024, videoBytes: 4 * 1024 * 1024, maxVideoSeconds: 60, mediaRetentionMs: 86_400_000 },
          clientIp: () => '203.0.113.7',
        },
      });
      const auth = { Authorization: 'Bearer all-key' };
      const created = (await (
        await app.request(`${BASE}/v1/sessions`, { method: 'POST', body: JSON.stringify({ profile: { steps: ['selfie', 'video'] } }), headers: { ...auth, 'Content-Type': 'application/json' } })
      ).json()) as { id: string; capture: Record<string, { upload_url: string }> };
      const upload = (url: string, field: string, bytes: Uint8Array, fields: Record<string, string> = {}) => {
        const form = new FormData();
        form.append(field, new Blob([Buffer.from(bytes)]), `${field}.bin`);
        for (const [k, v] of Object.entries(fields)) form.append(k, v);
        return app.request(url, { method: 'POST', body: form });
      };
      expect((await upload(created.capture.selfie!.upload_url, 'image', SELFIE)).status).toBe(201);
      const consent = { consent_given_at: new Date().toISOString(), consent_text_version: 'video-kyc-v3' };
      expect((await upload(created.capture.video!.upload_url, 'video', truncatedRealMp4(), consent)).status).toBe(201);

      const processSession = createProcessSession({ sessions, media, verifyVideo, rules: { current: () => rules }, webhooks, maxAttempts: 3, log: () => {} });
      const job = enqueued[0]!;
      await processSession(job.payload, { id: job.id, type: job.type, payload: job.payload, state: 'running', attempts: 1, runAfter: Date.now() } as Job<ProcessSessionPayload>);

      const session = (await (await app.request(`${BASE}/v1/sessions/${created.id}`, { headers: auth })).json()) as Record<string, unknown>;
      expect(session).toMatchObject({ status: 'completed', result: 'declined', result_reason: REASON });
      const video = (await (await app.request(`${BASE}/v1/sessions/${created.id}/video`, { headers: auth })).json()) as Record<string, unknown>;
      expect(video).toMatchObject({ status: 'completed', result: 'declined', duration_seconds: null, face_match_score: null, liveness_score: null });
      media.close();
    } finally {
      db.close();
    }
  });
});
