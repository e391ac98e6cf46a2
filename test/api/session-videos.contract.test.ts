/**
 * The two "get the recorded video" contracts over the sessions store (issue #6): ADVANCE.AI Get Video
 * (token + GET /liveness/ext/v1/get-video) and Tencent ESS DescribeSignFaceVideo (POST /, X-TC-Action), through
 * app.request() on a real in-memory SQLite store and LocalMediaStore (temp directory, small real files). Sessions
 * are processed by the real `session.process` handler with a verifyVideo double that reports a pitch series.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { AppRegistry, sha256Hex } from '../../src/http/apps.js';
import { RateLimiter, TokenBucketLimiter } from '../../src/http/middleware/rate-limit.js';
import { UrlSigner } from '../../src/http/signed-url.js';
import type { ModelRegistry } from '../../src/inference/registry.js';
import { RulesFile } from '../../src/pipeline/decision.js';
import type { AngleSample } from '../../src/pipeline/nod.js';
import type { VideoVerification } from '../../src/pipeline/verify-video.js';
import { createProcessSession, PROCESS_SESSION_JOB, type ProcessSessionPayload } from '../../src/sessions/process-session.js';
import { SessionHeadPoseStore } from '../../src/sessions/session-head-pose.js';
import { SessionRepository } from '../../src/sessions/session-repository.js';
import { applyUpload } from '../../src/sessions/session-state.js';
import { openDatabase } from '../../src/store/database.js';
import type { Job } from '../../src/store/job-queue.js';
import { LocalMediaStore } from '../../src/store/local-media-store.js';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 60 }, (_, i) => i)]);
const MP4 = new Uint8Array([0, 0, 0, 0x18, ...Buffer.from('ftypisom'), ...Array.from({ length: 500 }, (_, i) => i % 251)]);
const rules = new RulesFile(path.resolve('rules/decision-rules.json')).current();
const T0 = 1_773_828_000_000; // 2026-03-18T10:00:00Z
const DAY = 86_400_000;
const BASE = 'http://svc.test';

const apps = new AppRegistry([
  { appId: 'kyc', appKeySha256: sha256Hex('kyc-key'), allowedApis: ['sessions'] },
  { appId: 'other', appKeySha256: sha256Hex('other-key'), allowedApis: ['*'] },
  { appId: 'liveness-only', appKeySha256: sha256Hex('liveness-key'), allowedApis: ['checkLiveness'] },
  { appId: 'suspended', appKeySha256: sha256Hex('suspended-key'), allowedApis: [] },
]);

/** Pitch every 0.25 s over 4 s: level, or with one 20° nod (down and back up) between 1 and 2 s. */
function pitchSeries(nod: boolean): AngleSample[] {
  return Array.from({ length: 17 }, (_, i) => {
    const t = i * 0.25;
    return { timeSeconds: t, angleDeg: nod && t > 1 && t < 2 ? 20 : 0 };
  });
}

function outcome(pitch: AngleSample[]): VideoVerification {
  return {
    durationSeconds: 4,
    framesSampled: 17,
    framesWithFace: 17,
    faceMatch: { score: 91, distance: 0.3 },
    livenessScore: 88,
    signals: {
      passive: { score: 0.88, frames: 17, liveShare: 1 },
      blinks: { count: 1, minOpenness: 0.05, maxOpenness: 0.4 },
      headMotion: { yawRangeDeg: 2, pitchRangeDeg: 20, nods: 1, turns: 0, moved: true },
      identity: { sameShare: 1, maxDistance: 0.3, consistent: true, medoid: 0 },
      facePresence: 1,
    },
    pitchSeries: pitch,
    bestFrame: { timeSeconds: 1, jpeg: JPEG },
  };
}

const closers: (() => void)[] = [];
afterEach(() => {
  closers.splice(0).forEach((close) => close());
  vi.restoreAllMocks();
});

function harness() {
  let now = T0;
  const clock = () => now;
  const db = openDatabase(':memory:');
  const media = new LocalMediaStore({ db, dir: mkdtempSync(path.join(tmpdir(), 'session-videos-')), clock, log: () => {} });
  closers.push(() => db.close());
  const sessions = new SessionRepository(db, clock);
  const headPose = new SessionHeadPoseStore(db);
  const signer = new UrlSigner('test-signing-secret-of-at-least-32-chars', 3600, () => Math.floor(now / 1000));
  const webhooks = { emit: () => 'whk_1' };
  const app = createApp({
    registry: {} as ModelRegistry,
    versions: { service: '9.9.9', onnxruntime: 'test', node: process.versions.node },
    sessions: {
      apps,
      rateLimiter: new RateLimiter(clock),
      sessions,
      media,
      jobs: { enqueue: () => 'job_1' },
      webhooks,
      signer,
      limits: { imageBytes: 4096, videoBytes: 8192, maxVideoSeconds: 60, mediaRetentionMs: 30 * DAY },
      clientIp: () => '203.0.113.7',
      now: clock,
    },
    advanceGetVideo: { apps, sessions, media, signer, now: clock },
    tencentEss: { apps, sessions, media, headPose, limiter: new TokenBucketLimiter(clock), now: clock },
  });

  /** A session of `appId` with its selfie and (unless `video` is false) its video stored; processed with `pitch` when given. */
  async function recorded(options: { appId?: string; externalId?: string | null; video?: boolean; pitch?: AngleSample[] } = {}) {
    const appId = options.appId ?? 'kyc';
    let session = sessions.create({
      appId,
      externalId: options.externalId === undefined ? 'flow_1' : options.externalId,
      redirectUrl: null,
      steps: ['selfie', 'video'],
      videoMaxDuration: 60,
      videoLanguage: 'en',
      expiresAt: now + 3600_000,
    });
    const put = (bytes: Uint8Array, kind: 'image' | 'video') => media.put(bytes, { kind, appId, maxBytes: 8192, retentionMs: 30 * DAY });
    const selfie = await put(JPEG, 'image');
    expect(sessions.update(session, applyUpload(session, 'selfie', selfie.id, now))).toBe(true);
    session = sessions.get(session.id)!;
    if (options.video === false) return { session, video: undefined };
    const video = await put(MP4, 'video');
    const consent = { givenAt: '2026-03-18T10:01:00Z', textVersion: 'v1', ip: '203.0.113.7', userAgent: 'test' };
    expect(sessions.update(session, applyUpload(session, 'video', video.id, now, consent))).toBe(true);
    if (options.pitch) {
      const process = createProcessSession({ sessions, media, verifyVideo: async () => outcome(options.pitch!), rules: { current: () => rules }, webhooks, headPose, maxAttempts: 3, now: clock, log: () => {} });
      await process({ sessionId: session.id }, { id: 'job_1', type: PROCESS_SESSION_JOB, payload: { sessionId: session.id }, state: 'running', attempts: 1, runAfter: now } as Job<ProcessSessionPayload>);
    }
    return { session: sessions.get(session.id)!, video };
  }

  return { app, media, sessions, recorded, advance: (ms: number) => (now += ms), now: clock };
}

type Harness = ReturnType<typeof harness>;

// ---------------------------------------------------------------------------------------------------------------
// ADVANCE.AI
// ---------------------------------------------------------------------------------------------------------------

function generateToken(h: Harness, body: Record<string, unknown>) {
  return h.app.request(`${BASE}/openapi/auth/ticket/v1/generate-token`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
}

async function token(h: Harness, accessKey = 'kyc', secretKey = 'kyc-key', periodSecond?: number): Promise<string> {
  const res = await generateToken(h, { accessKey, secretKey, timestamp: h.now(), ...(periodSecond ? { periodSecond } : {}) });
  const body = (await res.json()) as any;
  expect(body.code).toBe('SUCCESS');
  return body.data.token as string;
}

async function getVideo(h: Harness, query: string, accessToken?: string) {
  const res = await h.app.request(`${BASE}/liveness/ext/v1/get-video${query}`, { headers: accessToken !== undefined ? { 'X-ACCESS-TOKEN': accessToken } : {} });
  expect(res.status).toBe(200); // ADVANCE.AI answers 200 and puts the outcome in `code`
  return (await res.json()) as any;
}

const envelopeOf = (code: string) => ({ code, data: null, extra: null, transactionId: expect.stringMatching(/^[0-9a-f]{16}$/), pricingStrategy: 'FREE' });

describe('ADVANCE.AI generate-token', () => {
  it('issues a token for appId + appKey that expires after periodSecond (default 3600 s)', async () => {
    const h = harness();
    const res = await generateToken(h, { accessKey: 'kyc', secretKey: 'kyc-key', timestamp: h.now() });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ code: 'SUCCESS', message: 'OK', extra: null, pricingStrategy: 'FREE' });
    expect(body.data.expiredTime).toBe(T0 + 3600_000);
    expect(body.data.token).toMatch(/^[A-Za-z0-9_-]+\.\d+\.[0-9a-f]{64}$/);
  });

  it('answers PARAMETER_ERROR for an empty body, a stale timestamp and wrong credentials; ACCOUNT_DISABLED for a suspended app', async () => {
    const h = harness();
    const empty = await h.app.request(`${BASE}/openapi/auth/ticket/v1/generate-token`, { method: 'POST', body: '', headers: { 'Content-Type': 'application/json' } });
    expect(await empty.json()).toMatchObject({ ...envelopeOf('PARAMETER_ERROR'), message: 'Parameter should not be empty' });
    expect(await (await generateToken(h, { accessKey: 'kyc', timestamp: h.now() })).json()).toMatchObject(envelopeOf('PARAMETER_ERROR'));
    expect(await (await generateToken(h, { accessKey: 'kyc', secretKey: 'kyc-key', timestamp: h.now() - 301_000 })).json()).toMatchObject({ code: 'PARAMETER_ERROR', message: 'Timestamp error' });
    expect(await (await generateToken(h, { accessKey: 'kyc', secretKey: 'wrong', timestamp: h.now() })).json()).toMatchObject({ code: 'PARAMETER_ERROR', message: 'Signature error' });
    expect(await (await generateToken(h, { accessKey: 'kyc', secretKey: 'kyc-key', timestamp: h.now(), periodSecond: 59 })).json()).toMatchObject({ code: 'PARAMETER_ERROR' });
    expect(await (await generateToken(h, { accessKey: 'suspended', secretKey: 'suspended-key', timestamp: h.now() })).json()).toMatchObject({ code: 'ACCOUNT_DISABLED', message: 'Account Disabled' });
  });
});

describe('ADVANCE.AI get-video', () => {
  it('livenessId = session id → SUCCESS with a one-day videoUrl that downloads the stored video, and videoCreateTime', async () => {
    const h = harness();
    const { session, video } = await h.recorded();
    h.advance(5000);
    const body = await getVideo(h, `?livenessId=${session.id}`, await token(h));
    expect(body).toMatchObject({ code: 'SUCCESS', message: 'OK', extra: null, pricingStrategy: 'FREE', data: { videoCreateTime: video!.createdAt } });
    const url = new URL(body.data.videoUrl);
    expect(url.pathname).toBe(`/v1/sessions/${session.id}/video/download`);
    expect(Number(url.searchParams.get('expires'))).toBe(Math.floor(h.now() / 1000) + 86_400);
    const download = await h.app.request(body.data.videoUrl);
    expect(download.status).toBe(200);
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(MP4);
    // Still valid just before one day, dead after it.
    h.advance(DAY - 1000);
    expect((await h.app.request(body.data.videoUrl)).status).toBe(200);
    h.advance(2000);
    expect((await h.app.request(body.data.videoUrl)).status).toBe(403);
  });

  it('signatureId = external_id → the newest session of the app with it', async () => {
    const h = harness();
    await h.recorded({ externalId: 'user-7' });
    h.advance(1000);
    const { session: newer } = await h.recorded({ externalId: 'user-7' });
    const body = await getVideo(h, '?signatureId=user-7', await token(h));
    expect(body.code).toBe('SUCCESS');
    expect(new URL(body.data.videoUrl).pathname).toBe(`/v1/sessions/${newer.id}/video/download`);
  });

  it('PARAMETER_ERROR without either id or with both', async () => {
    const h = harness();
    const t = await token(h);
    expect(await getVideo(h, '', t)).toMatchObject({ ...envelopeOf('PARAMETER_ERROR'), message: expect.stringContaining('Parameter error, please check you input.') });
    expect(await getVideo(h, '?livenessId=a&signatureId=b', t)).toMatchObject(envelopeOf('PARAMETER_ERROR'));
    expect(await getVideo(h, '?livenessId=', t)).toMatchObject(envelopeOf('PARAMETER_ERROR'));
  });

  it("LIVENESS_ID_NOT_EXIST for an unknown id and for another app's session; SIGNATURE_ID_NOT_EXIST for an unknown external_id", async () => {
    const h = harness();
    const { session: others } = await h.recorded({ appId: 'other', externalId: 'shared-id' });
    const t = await token(h);
    expect(await getVideo(h, '?livenessId=ses_nope', t)).toMatchObject(envelopeOf('LIVENESS_ID_NOT_EXIST'));
    expect(await getVideo(h, `?livenessId=${others.id}`, t)).toMatchObject(envelopeOf('LIVENESS_ID_NOT_EXIST'));
    expect(await getVideo(h, '?signatureId=shared-id', t)).toMatchObject(envelopeOf('SIGNATURE_ID_NOT_EXIST'));
    expect((await getVideo(h, `?livenessId=${others.id}`, await token(h, 'other', 'other-key'))).code).toBe('SUCCESS');
  });

  it('VIDEO_NOT_FOUND before the video is recorded and once it is deleted (retention)', async () => {
    const h = harness();
    const t = await token(h);
    const { session: noVideo } = await h.recorded({ video: false });
    expect(await getVideo(h, `?livenessId=${noVideo.id}`, t)).toMatchObject(envelopeOf('VIDEO_NOT_FOUND'));
    const { session, video } = await h.recorded({ externalId: 'gone' });
    expect(h.media.delete(video!.id)).toBe(true);
    expect(await getVideo(h, '?signatureId=gone', t)).toMatchObject(envelopeOf('VIDEO_NOT_FOUND'));
    expect(await getVideo(h, `?livenessId=${session.id}`, t)).toMatchObject(envelopeOf('VIDEO_NOT_FOUND'));
  });

  it('IAM_FAILED without a token, with a forged or expired one, and for an app that may not read sessions', async () => {
    const h = harness();
    const { session } = await h.recorded();
    const q = `?livenessId=${session.id}`;
    expect(await getVideo(h, q)).toMatchObject(envelopeOf('IAM_FAILED'));
    const t = await token(h, 'kyc', 'kyc-key', 60);
    const [, expires, signature] = t.split('.');
    // Same signature, another app's id: the MAC covers the app id.
    expect(await getVideo(h, q, `${Buffer.from('other').toString('base64url')}.${expires}.${signature}`)).toMatchObject(envelopeOf('IAM_FAILED'));
    expect(await getVideo(h, q, `${t}x`)).toMatchObject(envelopeOf('IAM_FAILED'));
    expect(await getVideo(h, q, await token(h, 'liveness-only', 'liveness-key'))).toMatchObject(envelopeOf('IAM_FAILED'));
    expect((await getVideo(h, q, t)).code).toBe('SUCCESS');
    h.advance(61_000);
    expect(await getVideo(h, q, t)).toMatchObject(envelopeOf('IAM_FAILED'));
  });

  it('ERROR "Server error" when the store fails', async () => {
    const h = harness();
    const t = await token(h);
    vi.spyOn(h.sessions, 'get').mockImplementation(() => {
      throw new Error('disk I/O error');
    });
    vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await getVideo(h, '?livenessId=ses_x', t)).toMatchObject({ ...envelopeOf('ERROR'), message: 'Server error' });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Tencent ESS DescribeSignFaceVideo
// ---------------------------------------------------------------------------------------------------------------

async function describe3(h: Harness, body: unknown, options: { key?: string | null; action?: string | null; raw?: string } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8', 'X-TC-Version': '2020-11-11' };
  if (options.action !== null) headers['X-TC-Action'] = options.action ?? 'DescribeSignFaceVideo';
  if (options.key !== null) headers.Authorization = `Bearer ${options.key ?? 'kyc-key'}`;
  const res = await h.app.request(`${BASE}/`, { method: 'POST', body: options.raw ?? JSON.stringify(body), headers });
  expect(res.status).toBe(200); // Tencent Cloud API 3.0 answers 200 with Response.Error
  return (await res.json()) as any;
}

const request = (signId: string, flowId = 'flow_1') => ({ Operator: { UserId: 'yDxbNUyKQ2ypjlx3UuO4zjEBgCqAHMKu' }, FlowId: flowId, SignId: signId });
const errorOf = (code: string) => ({ Response: { Error: { Code: code, Message: expect.any(String) }, RequestId: expect.stringMatching(/^[0-9a-f-]{36}$/) } });

describe('Tencent ESS DescribeSignFaceVideo', () => {
  it('returns the video as base64 and a detected nod from the stored pitch series; IntentionQuestionResult is null', async () => {
    const h = harness();
    const { session } = await h.recorded({ pitch: pitchSeries(true) });
    const body = await describe3(h, request(session.id));
    expect(body.Response.RequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Buffer.from(body.Response.VideoData.LiveNessVideo, 'base64')).toEqual(Buffer.from(MP4));
    expect(body.Response.IntentionQuestionResult).toBeNull();
    expect(body.Response.IntentionActionResult.Details).toHaveLength(1);
    expect(body.Response.IntentionActionResult.Details[0]).toMatchObject({ NodDetected: true, NodCount: 1 });
    expect(body.Response.IntentionActionResult.Details[0].Nods[0].AmplitudeDeg).toBeCloseTo(20, 5);
  });

  it('reports no nod for a level head, and IntentionActionResult null before processing', async () => {
    const h = harness();
    const { session: level } = await h.recorded({ pitch: pitchSeries(false), externalId: 'flow_level' });
    expect((await describe3(h, request(level.id, 'flow_level'))).Response.IntentionActionResult.Details[0]).toMatchObject({ NodDetected: false, NodCount: 0, Nods: [] });
    const { session: pending } = await h.recorded({ externalId: 'flow_pending' });
    const body = await describe3(h, request(pending.id, 'flow_pending'));
    expect(body.Response.IntentionActionResult).toBeNull();
    expect(body.Response.VideoData.LiveNessVideo).toBe(Buffer.from(MP4).toString('base64'));
  });

  it('MissingParameter for a missing X-TC-Action, Operator, Operator.UserId, FlowId or SignId', async () => {
    const h = harness();
    const { session } = await h.recorded();
    expect(await describe3(h, request(session.id), { action: null })).toMatchObject(errorOf('MissingParameter'));
    const { Operator: _o, ...noOperator } = request(session.id);
    expect(await describe3(h, noOperator)).toMatchObject(errorOf('MissingParameter'));
    expect(await describe3(h, { ...request(session.id), Operator: {} })).toMatchObject(errorOf('MissingParameter'));
    const { FlowId: _f, ...noFlow } = request(session.id);
    expect(await describe3(h, noFlow)).toMatchObject(errorOf('MissingParameter'));
    expect(await describe3(h, { ...request(session.id), SignId: '' })).toMatchObject(errorOf('MissingParameter'));
  });

  it('InvalidParameterValue for a malformed body or field; InvalidAction for another action', async () => {
    const h = harness();
    const { session } = await h.recorded();
    expect(await describe3(h, null, { raw: '{not json' })).toMatchObject(errorOf('InvalidParameterValue'));
    expect(await describe3(h, [1, 2])).toMatchObject(errorOf('InvalidParameterValue'));
    expect(await describe3(h, { ...request(session.id), FlowId: 42 })).toMatchObject(errorOf('InvalidParameterValue'));
    expect(await describe3(h, { ...request(session.id), Operator: 'me' })).toMatchObject(errorOf('InvalidParameterValue'));
    expect(await describe3(h, request(session.id), { action: 'CreateFlow' })).toMatchObject(errorOf('InvalidAction'));
  });

  it('AuthFailure without a valid key; OperationDenied for an app that may not read sessions', async () => {
    const h = harness();
    const { session } = await h.recorded();
    expect(await describe3(h, request(session.id), { key: null })).toMatchObject(errorOf('AuthFailure'));
    expect(await describe3(h, request(session.id), { key: 'nope' })).toMatchObject(errorOf('AuthFailure'));
    expect(await describe3(h, request(session.id), { key: 'liveness-key' })).toMatchObject(errorOf('OperationDenied'));
  });

  it("ResourceNotFound for an unknown signer, a FlowId that is not the session's, another app's session, a deleted video and after 3 days", async () => {
    const h = harness();
    const { session, video } = await h.recorded();
    const { session: others } = await h.recorded({ appId: 'other' });
    expect(await describe3(h, request('ses_nope'))).toMatchObject(errorOf('ResourceNotFound'));
    expect(await describe3(h, request(session.id, 'flow_2'))).toMatchObject(errorOf('ResourceNotFound'));
    expect(await describe3(h, request(others.id))).toMatchObject(errorOf('ResourceNotFound'));
    h.advance(3 * DAY);
    expect((await describe3(h, request(session.id))).Response.Error).toBeUndefined();
    h.advance(1);
    expect(await describe3(h, request(session.id))).toMatchObject(errorOf('ResourceNotFound'));
    const { session: fresh, video: freshVideo } = await h.recorded({ externalId: 'flow_3' });
    expect(h.media.delete(freshVideo!.id)).toBe(true);
    expect(await describe3(h, request(fresh.id, 'flow_3'))).toMatchObject(errorOf('ResourceNotFound'));
    expect(video).toBeDefined();
  });

  it('FailedOperation when the signer has not recorded the video yet', async () => {
    const h = harness();
    const { session } = await h.recorded({ video: false });
    expect(await describe3(h, request(session.id))).toMatchObject(errorOf('FailedOperation'));
  });

  it('RequestLimitExceeded past 20 requests per second per app, and served again once tokens refill', async () => {
    const h = harness();
    const { session } = await h.recorded();
    for (let i = 0; i < 20; i++) expect((await describe3(h, request(session.id))).Response.Error).toBeUndefined();
    expect(await describe3(h, request(session.id))).toMatchObject(errorOf('RequestLimitExceeded'));
    // Another app has its own bucket.
    expect(await describe3(h, request(session.id), { key: 'other-key' })).toMatchObject(errorOf('ResourceNotFound'));
    h.advance(50); // 20/s → one token every 50 ms
    expect((await describe3(h, request(session.id))).Response.Error).toBeUndefined();
    expect(await describe3(h, request(session.id))).toMatchObject(errorOf('RequestLimitExceeded'));
  });
});
