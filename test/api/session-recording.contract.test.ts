/**
 * The HyperVerge session-recording module (issue #6) through app.request(): attempts and previousAttempts,
 * signed uploadUrls, HyperVerge error envelopes; and per-app evidence retention (APPS_FILE
 * evidenceRetentionDays) for recordings and for session uploads. Real SQLite store and media store (temp dir).
 */
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/http/apps.js';
import { RateLimiter } from '../../src/http/middleware/rate-limit.js';
import { SqliteRecordingAttempts } from '../../src/sessions/recording-attempts.js';
import { tamperSignature } from '../helpers/tamper.js';
import { closeAfterEach, memoryStore, postForm, sessionsDeps, testApp, testApps, testClock, testSigner } from '../helpers/contract.js';

const DAY_MS = 86_400_000;
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 60 }, (_, i) => i)]);
const mp4 = (seed: number) => new Uint8Array([0, 0, 0, 0x18, ...Buffer.from('ftypisom'), ...Array.from({ length: 300 }, (_, i) => (i * seed) % 251)]);
const T0 = 1_773_828_000_000; // 2026-03-18T10:00:00Z
const BASE = 'http://svc.test';

const apps = testApps([
  { appId: 'rec', appKey: 'rec-key', allowedApis: ['sessionRecording', 'sessions'] },
  { appId: 'short', appKey: 'short-key', allowedApis: ['*'], evidenceRetentionDays: 1 },
  { appId: 'liveness-only', appKey: 'liveness-key', allowedApis: ['checkLiveness'] },
]);

const closeLater = closeAfterEach();

function harness() {
  const clock = testClock(T0);
  const { db, media, close } = memoryStore(clock);
  closeLater(close);
  const signer = testSigner(clock, 3600);
  const rateLimiter = new RateLimiter(clock.now);
  const limits = { videoBytes: 8192, mediaRetentionMs: 3 * DAY_MS };
  const app = testApp({
    sessionRecording: { apps, rateLimiter, media, recordings: new SqliteRecordingAttempts(db, clock.now), signer, limits },
    sessions: sessionsDeps({ apps, clock, db, media, rateLimiter, signer, limits: { imageBytes: 4096, videoBytes: 8192, maxVideoSeconds: 60, mediaRetentionMs: 3 * DAY_MS } }),
  });
  return { app, media, advance: clock.advance };
}

type App = ReturnType<typeof harness>['app'];
/** HyperVerge headers; transactionId null = none sent. */
const hv = (key = 'rec-key', appId = 'rec', transactionId: string | null = 'txn-1') => ({
  appId,
  appKey: key,
  ...(transactionId !== null ? { transactionId } : {}),
});

function uploadRecording(app: App, bytes: Uint8Array, headers: Record<string, string> = hv(), fields: Record<string, string> = {}) {
  return postForm(app, `${BASE}/v1/sessionRecording`, { video: [bytes, 'recording.mp4'], ...fields }, headers);
}

const results = (app: App, transactionId: string, headers: Record<string, string> = hv('rec-key', 'rec', null)) =>
  app.request(`${BASE}/v1/sessionRecording/results?transactionId=${encodeURIComponent(transactionId)}`, { headers });

const json = async (res: Response) => (await res.json()) as any;
const mediaIdOf = (url: string) => decodeURIComponent(new URL(url).pathname.split('/').pop()!);

describe('POST /v1/sessionRecording + GET /v1/sessionRecording/results', () => {
  it('each upload is a new attempt: the latest is the result, earlier ones are previousAttempts (oldest first)', async () => {
    const h = harness();
    const first = await uploadRecording(h.app, mp4(3));
    expect(first.status).toBe(200);
    const firstBody = await json(first);
    expect(firstBody).toMatchObject({ status: 'success', statusCode: 200, metadata: { transactionId: 'txn-1', requestId: expect.any(String) } });
    expect(firstBody.result.details).toEqual({ uploadUrls: [expect.stringMatching(/^http:\/\/svc\.test\/v1\/sessionRecording\/video\/med_/)], urls: [], length: 1 });

    h.advance(1000);
    const second = await json(await uploadRecording(h.app, mp4(7), hv(), { moduleId: 'video_statement' }));
    // Another transaction of the same app does not mix in.
    await uploadRecording(h.app, mp4(5), hv('rec-key', 'rec', 'txn-other'));

    const res = await results(h.app, 'txn-1');
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(Object.keys(body).sort()).toEqual(['apiResponse', 'attempts', 'moduleId', 'previousAttempts', 'videoImageUrl']);
    expect(body).toMatchObject({ moduleId: 'video_statement', videoImageUrl: null, attempts: 2 });
    expect(body.apiResponse).toMatchObject({ status: 'success', statusCode: 200, metadata: { requestId: second.metadata.requestId, transactionId: 'txn-1' } });
    expect(body.apiResponse.result.details).toMatchObject({ urls: [], length: 1 });
    expect(mediaIdOf(body.apiResponse.result.details.uploadUrls[0])).toBe(mediaIdOf(second.result.details.uploadUrls[0]));
    expect(body.previousAttempts).toHaveLength(1);
    expect(body.previousAttempts[0]).toMatchObject({ moduleId: 'sessionRecording', videoImageUrl: null, apiResponse: { metadata: { requestId: firstBody.metadata.requestId } } });
    expect(mediaIdOf(body.previousAttempts[0].apiResponse.result.details.uploadUrls[0])).toBe(mediaIdOf(firstBody.result.details.uploadUrls[0]));

    // The uploadUrls serve the recorded bytes (Range too) without credentials, and die after their hour.
    const url = body.previousAttempts[0].apiResponse.result.details.uploadUrls[0];
    const download = await h.app.request(url);
    expect(download.status).toBe(200);
    expect(download.headers.get('Content-Type')).toBe('video/mp4');
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(mp4(3));
    const partial = await h.app.request(url, { headers: { Range: 'bytes=4-11' } });
    expect(partial.status).toBe(206);
    expect(Buffer.from(await partial.arrayBuffer()).toString('latin1')).toBe('ftypisom');
    expect((await h.app.request(tamperSignature(url))).status).toBe(403);
    h.advance(3601 * 1000);
    const expired = await h.app.request(url);
    expect(expired.status).toBe(403);
    expect(await json(expired)).toMatchObject({ status: 'failure', statusCode: 403, result: { error: 'Unauthorized Access to API' } });
  });

  it("another app's transaction is not visible; unknown transactionId is 404 in HyperVerge's envelope", async () => {
    const h = harness();
    await uploadRecording(h.app, mp4(3));
    const other = await results(h.app, 'txn-1', hv('short-key', 'short', null));
    expect(other.status).toBe(404);
    expect(await json(other)).toMatchObject({ status: 'failure', statusCode: 404, result: { error: 'Not Found' }, metadata: { requestId: expect.any(String) } });
    expect((await results(h.app, 'nope')).status).toBe(404);
  });

  it('errors: 401 bad credentials, 403 app not allowed, 400 no transactionId / no video / not a video, 413 too large', async () => {
    const h = harness();
    const unauthenticated = await uploadRecording(h.app, mp4(3), hv('wrong'));
    expect(unauthenticated.status).toBe(401);
    expect(await json(unauthenticated)).toMatchObject({ status: 'failure', result: { error: 'Missing/Invalid credentials' } });
    expect((await uploadRecording(h.app, mp4(3), hv('liveness-key', 'liveness-only'))).status).toBe(403);
    expect((await results(h.app, 'txn-1', hv('liveness-key', 'liveness-only', null))).status).toBe(403);

    const noTransaction = await uploadRecording(h.app, mp4(3), hv('rec-key', 'rec', null));
    expect(noTransaction.status).toBe(400);
    expect((await json(noTransaction)).result.reason).toMatch(/transactionId/);

    const form = new FormData();
    form.append('image', new Blob([Buffer.from(JPEG)]), 'x.jpg');
    const noVideo = await h.app.request(`${BASE}/v1/sessionRecording`, { method: 'POST', body: form, headers: hv() });
    expect(noVideo.status).toBe(400);
    expect((await json(noVideo)).result.reason).toMatch(/"video"/);

    const photo = await uploadRecording(h.app, JPEG);
    expect(photo.status).toBe(400);
    expect(await json(photo)).toMatchObject({ result: { error: 'Invalid video', reason: expect.stringMatching(/expected/) } });
    expect((await uploadRecording(h.app, mp4(3), hv(), { moduleId: 'bad id!' })).status).toBe(400);

    const tooLarge = await uploadRecording(h.app, new Uint8Array([...mp4(3), ...new Uint8Array(9000)]));
    expect(tooLarge.status).toBe(413);
    // Nothing was recorded by the refused uploads.
    expect((await results(h.app, 'txn-1')).status).toBe(404);
  });
});

describe('per-app evidence retention (APPS_FILE evidenceRetentionDays)', () => {
  it('recordings and session uploads are kept for the app\'s evidenceRetentionDays, else EVIDENCE_RETENTION_DAYS', async () => {
    const h = harness();
    const defaultId = mediaIdOf((await json(await uploadRecording(h.app, mp4(3)))).result.details.uploadUrls[0]);
    const shortId = mediaIdOf((await json(await uploadRecording(h.app, mp4(3), hv('short-key', 'short')))).result.details.uploadUrls[0]);
    const kept = async (id: string) => {
      const record = (await h.media.get(id))!;
      return record.expiresAt - record.createdAt;
    };
    expect(await kept(defaultId)).toBe(3 * DAY_MS);
    expect(await kept(shortId)).toBe(1 * DAY_MS);

    const sessionPhoto = async (key: string) => {
      const created = await json(
        await h.app.request(`${BASE}/v1/sessions`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ profile: { steps: ['selfie', 'video'], video_mode: 'self_record' } }),
        }),
      );
      const form = new FormData();
      form.append('image', new Blob([Buffer.from(JPEG)]), 'selfie.jpg');
      const uploaded = await h.app.request(created.capture.selfie.upload_url, { method: 'POST', body: form });
      expect(uploaded.status).toBe(201);
      const record = (await h.media.get((await json(uploaded)).id))!;
      return record.expiresAt - record.createdAt;
    };
    expect(await sessionPhoto('rec-key')).toBe(3 * DAY_MS);
    expect(await sessionPhoto('short-key')).toBe(1 * DAY_MS);
  });

  it('the APPS_FILE schema accepts evidenceRetentionDays 1–3650 and rejects anything else', async () => {
    const { appsFileSchema } = await import('../../src/http/apps.js');
    const app = (days: unknown) => [{ appId: 'a', appKeySha256: sha256Hex('k'), allowedApis: ['sessionRecording'], evidenceRetentionDays: days }];
    expect(appsFileSchema.safeParse(app(30)).success).toBe(true);
    expect(appsFileSchema.safeParse(app(0)).success).toBe(false);
    expect(appsFileSchema.safeParse(app(1.5)).success).toBe(false);
    expect(appsFileSchema.safeParse(app(3651)).success).toBe(false);
  });
});

describe('GET /openapi.json', () => {
  it('documents the sessions, webhooks and session-recording endpoints', async () => {
    const doc = await json(await harness().app.request('/openapi.json'));
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/sessions',
        '/v1/sessions/{id}',
        '/v1/sessions/{id}/{step}',
        '/v1/sessions/{id}/video',
        '/v1/sessions/{id}/video/download',
        '/v1/sessions/{id}/review',
        '/v1/webhooks',
        '/v1/webhooks/{webhookId}',
        '/v1/webhooks/{webhookId}/attempts',
        '/v1/webhooks/{webhookId}/redeliver',
        '/v1/sessionRecording',
        '/v1/sessionRecording/results',
        '/v1/sessionRecording/video/{mediaId}',
      ]),
    );
    expect(doc.components.securitySchemes.bearerAppKey).toEqual({ type: 'http', scheme: 'bearer' });
    const results = doc.paths['/v1/sessionRecording/results'].get.responses['200'].content['application/json'].schema;
    expect(results.required).toEqual(['moduleId', 'videoImageUrl', 'apiResponse', 'attempts', 'previousAttempts']);
    // Every operation has an operationId, and ids are unique.
    const ids = Object.values(doc.paths).flatMap((item: any) => Object.values(item).map((op: any) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
  });
});
