/**
 * S3_PUBLIC_URLS=presigned on a real S3-compatible server (s3rver): the session's signed video link
 * (GET /v1/sessions/{id}/video → video_url) answers 302 to a presigned GetObject URL that lives as long as the link,
 * and the client reads the bytes, whole or by Range, from the bucket itself. By default (S3_PUBLIC_URLS unset) the
 * service streams them, as before.
 */
import { describe, expect, it } from 'vitest';
import { VIDEO_URL_TTL_SECONDS } from '../../src/app/sessions-api.js';
import { serveMediaOrRedirect } from '../../src/http/media-response.js';
import { openDatabase } from '../../src/store/database.js';
import { S3MediaStore } from '../../src/store/s3-media-store.js';
import { formData } from '../helpers/contract.js';
import { useReplicaBackends } from '../helpers/replica-backends.js';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 60 }, (_, i) => i)]);
const MP4 = new Uint8Array([0, 0, 0, 0x18, ...Buffer.from('ftypisom'), ...Array.from({ length: 500 }, (_, i) => i % 251)]);
const BASE = 'http://svc.test';
const AUTH = { Authorization: 'Bearer kyc-key' };

// The embedded metadata database (SQLite in DATA_DIR): no PostgreSQL.
const backends = useReplicaBackends({ postgres: false, s3: true });

/** The sessions API on an embedded database and a fresh bucket, with a recorded session; answers its video link. */
async function recordedSession(extraEnv: Record<string, string>) {
  const env = { ...(await backends.sharedEnv()), ...extraEnv };
  const { api, app } = await backends.sessionsApi('presigned', env, { apps: backends.apps() });
  const created = (await (
    await app.request(`${BASE}/v1/sessions`, { method: 'POST', body: JSON.stringify({ profile: { steps: ['selfie', 'video'] } }), headers: { ...AUTH, 'Content-Type': 'application/json' } })
  ).json()) as { id: string; capture: Record<string, { upload_url: string }> };
  expect((await app.request(created.capture.selfie!.upload_url, { method: 'POST', body: formData({ image: JPEG }) })).status).toBe(201);
  const consent = { consent_given_at: new Date().toISOString(), consent_text_version: 'video-kyc-v3' };
  expect((await app.request(created.capture.video!.upload_url, { method: 'POST', body: formData({ video: MP4, ...consent }) })).status).toBe(201);
  const { video_url: videoUrl } = (await (await app.request(`${BASE}/v1/sessions/${created.id}/video`, { headers: AUTH })).json()) as { video_url: string };
  expect(videoUrl).toMatch(new RegExp(`^${BASE}/v1/sessions/${created.id}/video/download\\?expires=\\d+&signature=`));
  return { app, api, id: created.id, videoUrl, bucket: env.S3_BUCKET };
}

describe('S3_PUBLIC_URLS', () => {
  it('presigned: the video link redirects to a presigned GetObject URL of the bucket, valid as long as the link; Range works there', async () => {
    const s3 = backends.s3();
    const { app, id, videoUrl, bucket } = await recordedSession({ S3_PUBLIC_URLS: 'presigned' });
    const answer = await app.request(videoUrl);
    expect(answer.status).toBe(302);
    expect(answer.headers.get('cache-control')).toBe('private, no-store');
    const location = new URL(answer.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toMatch(new RegExp(`^${s3.endpoint}/${bucket}/media/med_[0-9a-f-]{36}$`));
    expect(location.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    // The link's remaining lifetime (it was signed a moment ago for 1 hour).
    const expiresIn = Number(location.searchParams.get('X-Amz-Expires'));
    expect(expiresIn).toBeGreaterThan(VIDEO_URL_TTL_SECONDS - 30);
    expect(expiresIn).toBeLessThanOrEqual(VIDEO_URL_TTL_SECONDS);
    expect(location.searchParams.get('response-content-disposition')).toBe(`attachment; filename="${id}-video"`);

    // The client follows it: the bytes come from the bucket, whole and by Range.
    const whole = await fetch(location);
    expect(whole.status).toBe(200);
    expect(new Uint8Array(await whole.arrayBuffer())).toEqual(MP4);
    const part = await fetch(location, { headers: { Range: 'bytes=4-11' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).toString()).toBe('ftypisom');

    // HEAD cannot use a URL presigned for GET: the service answers it itself. A bad link is still refused first.
    const head = await app.request(videoUrl, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(MP4.length));
    expect((await app.request(videoUrl.replace(/signature=[^&]+/, 'signature=forged'))).status).toBe(403);
  });

  it('service (the default): the service streams the video itself, as before', async () => {
    const { app, videoUrl } = await recordedSession({});
    const answer = await app.request(videoUrl);
    expect(answer.status).toBe(200);
    expect(new Uint8Array(await answer.arrayBuffer())).toEqual(MP4);
  });

  it('serveMediaOrRedirect serves the content itself when the link has expired or the store gives no direct URL', async () => {
    const s3 = backends.s3();
    const store = backends.track(new S3MediaStore({ db: openDatabase(':memory:'), client: s3.client(), bucket: await s3.newBucket(), presignedReads: true, log: () => {} }));
    const record = await store.put(MP4, { kind: 'video', appId: 'kyc', maxBytes: 1 << 20, retentionMs: 60_000 });
    const request = new Request(`${BASE}/download`);
    const now = Date.now();
    expect((await serveMediaOrRedirect(store, record, request, {}, { expiresAtMs: now + 60_000, nowMs: now })).status).toBe(302);
    expect((await serveMediaOrRedirect(store, record, request, {}, { expiresAtMs: now, nowMs: now })).status).toBe(200);
    expect(await store.directUrl('med_00000000-0000-0000-0000-000000000000', { expiresInSeconds: 60 })).toBeUndefined();
    const streaming = backends.track(new S3MediaStore({ db: openDatabase(':memory:'), client: s3.client(), bucket: await s3.newBucket(), log: () => {} }));
    expect(await streaming.directUrl(record.id, { expiresInSeconds: 60 })).toBeUndefined();
    await expect(store.directUrl(record.id, { expiresInSeconds: 8 * 24 * 3600 })).rejects.toThrow(RangeError);
  });

  it('a presigned URL stops working at its expiry (the bucket enforces X-Amz-Expires)', async () => {
    const s3 = backends.s3();
    // s3rver checks the expiry of query-signed (SigV4) requests but not their signature (its authentication
    // middleware: "V4 signatures have incomplete support"); AWS S3 and MinIO check both.
    const store = backends.track(new S3MediaStore({ db: openDatabase(':memory:'), client: s3.client(), bucket: await s3.newBucket(), presignedReads: true, log: () => {} }));
    const record = await store.put(MP4, { kind: 'video', appId: 'kyc', maxBytes: 1 << 20, retentionMs: 60_000 });
    const url = (await store.directUrl(record.id, { expiresInSeconds: 1 }))!;
    expect((await fetch(url)).status).toBe(200);
    // X-Amz-Date has whole seconds: past 2 s the 1-second URL has expired whatever the rounding.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');
  });
});
