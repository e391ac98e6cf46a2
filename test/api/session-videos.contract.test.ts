/**
 * The two "get the recorded video" contracts over the sessions store (issue #6): ADVANCE.AI Get Video
 * (token + GET /liveness/ext/v1/get-video) and Tencent ESS DescribeSignFaceVideo (POST /, X-TC-Action), through
 * app.request() on a real in-memory SQLite store and LocalMediaStore (temp directory, small real files). Sessions
 * are processed by the real `session.process` handler with a verifyVideo double that reports a pitch series.
 * Signed requests are signed as the vendors' clients sign them: ADVANCE.AI's token signature as its document defines it,
 * Tencent's TC3-HMAC-SHA256 by the official tencentcloud-sdk-nodejs signer (its Sign.sign3, unmodified).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADVANCE_MESSAGES } from '../../src/http/contracts/advance-ai.js';
import { TokenBucketLimiter } from '../../src/http/middleware/rate-limit.js';
import type { AngleSample } from '../../src/pipeline/nod.js';
import type { VideoVerification } from '../../src/pipeline/verify-video.js';
import { createProcessSession, PROCESS_SESSION_JOB, type ProcessSessionPayload } from '../../src/sessions/process-session.js';
import { SqliteSessionHeadPoseStore } from '../../src/sessions/session-head-pose.js';
import { SqliteSessionRepository } from '../../src/sessions/session-repository.js';
import { applyUpload } from '../../src/sessions/session-state.js';
import type { Job } from '../../src/store/job-queue.js';
import { closeAfterEach, DEFAULT_RULES, memoryStore, sessionsDeps, testApp, testApps, testClock, testSigner } from '../helpers/contract.js';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 60 }, (_, i) => i)]);
const MP4 = new Uint8Array([0, 0, 0, 0x18, ...Buffer.from('ftypisom'), ...Array.from({ length: 500 }, (_, i) => i % 251)]);
const T0 = 1_773_828_000_000; // 2026-03-18T10:00:00Z
const DAY = 86_400_000;
const BASE = 'http://svc.test';

// kyc, other and suspended hold their keys (as an APPS_FILE with appKeyEncrypted gives them); hash-only is hash only.
const apps = testApps(
  [
    { appId: 'kyc', appKey: 'kyc-key', allowedApis: ['sessions'] },
    { appId: 'other', appKey: 'other-key', allowedApis: ['*'] },
    { appId: 'liveness-only', appKey: 'liveness-key', allowedApis: ['checkLiveness'] },
    { appId: 'suspended', appKey: 'suspended-key', allowedApis: [] },
    { appId: 'hash-only', appKey: 'hash-only-key', allowedApis: ['sessions'] },
  ],
  ['kyc', 'other', 'liveness-only', 'suspended'],
);

const require = createRequire(import.meta.url);
/** The official Tencent Cloud SDK's request signer (tencentcloud/common/sign.js), unmodified. */
const TencentSign = require('tencentcloud-sdk-nodejs/tencentcloud/common/sign.js').default as {
  sign3(args: { method: string; url: string; payload: unknown; timestamp: number; service: string; secretId: string; secretKey: string; headers: Record<string, string> }): string;
};

/** Pitch every 0.25 s over 4 s: level, or with one 20° nod (down, negative pitch, and back up) between 1 and 2 s. */
function pitchSeries(nod: boolean): AngleSample[] {
  return Array.from({ length: 17 }, (_, i) => {
    const t = i * 0.25;
    return { timeSeconds: t, angleDeg: nod && t > 1 && t < 2 ? -20 : 0 };
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

const closeLater = closeAfterEach();
afterEach(() => vi.restoreAllMocks());

function harness() {
  const clock = testClock(T0);
  const { db, media, close } = memoryStore(clock);
  closeLater(close);
  const sessions = new SqliteSessionRepository(db, clock.now);
  const headPose = new SqliteSessionHeadPoseStore(db);
  const signer = testSigner(clock, 3600);
  const webhooks = { emit: () => 'whk_1' };
  const app = testApp({
    sessions: sessionsDeps({ apps, clock, db, media, sessions, webhooks, signer, limits: { imageBytes: 4096, videoBytes: 8192, maxVideoSeconds: 60, mediaRetentionMs: 30 * DAY } }),
    advanceGetVideo: { apps, sessions, media, signer, now: clock.now },
    tencentEss: { apps, sessions, media, headPose, limiter: new TokenBucketLimiter(clock.now), now: clock.now },
  });

  /** A session of `appId` with its selfie and (unless `video` is false) its video stored; processed with `pitch` when given. */
  async function recorded(options: { appId?: string; externalId?: string | null; video?: boolean; pitch?: AngleSample[] } = {}) {
    const appId = options.appId ?? 'kyc';
    let session = await sessions.create({
      appId,
      externalId: options.externalId === undefined ? 'flow_1' : options.externalId,
      redirectUrl: null,
      steps: ['selfie', 'video'],
      videoMaxDuration: 60,
      videoLanguage: 'en',
      expiresAt: clock.ms + 3600_000,
    });
    const put = (bytes: Uint8Array, kind: 'image' | 'video') => media.put(bytes, { kind, appId, maxBytes: 8192, retentionMs: 30 * DAY });
    const selfie = await put(JPEG, 'image');
    expect(await sessions.update(session, applyUpload(session, 'selfie', selfie.id, clock.ms))).toBe(true);
    session = (await sessions.get(session.id))!;
    if (options.video === false) return { session, video: undefined };
    const video = await put(MP4, 'video');
    const consent = { givenAt: '2026-03-18T10:01:00Z', textVersion: 'v1', ip: '203.0.113.7', userAgent: 'test' };
    expect(await sessions.update(session, applyUpload(session, 'video', video.id, clock.ms, consent))).toBe(true);
    if (options.pitch) {
      const process = createProcessSession({ sessions, media, verifyVideo: async () => outcome(options.pitch!), rules: { current: () => DEFAULT_RULES }, webhooks, headPose, maxAttempts: 3, now: clock.now, log: () => {} });
      await process({ sessionId: session.id }, { id: 'job_1', type: PROCESS_SESSION_JOB, payload: { sessionId: session.id }, state: 'running', attempts: 1, runAfter: clock.ms } as Job<ProcessSessionPayload>);
    }
    return { session: (await sessions.get(session.id))!, video };
  }

  return { app, media, sessions, recorded, advance: clock.advance, now: clock.now };
}

type Harness = ReturnType<typeof harness>;

// ---------------------------------------------------------------------------------------------------------------
// ADVANCE.AI
// ---------------------------------------------------------------------------------------------------------------

function generateToken(h: Harness, body: Record<string, unknown>) {
  return h.app.request(`${BASE}/openapi/auth/ticket/v1/generate-token`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
}

/** ADVANCE.AI's token signature, written here from its document (sha256(accessKey + secretKey + timestamp), hex). */
const signature = (accessKey: string, secretKey: string, timestamp: number | string) => createHash('sha256').update(`${accessKey}${secretKey}${timestamp}`).digest('hex');

async function token(h: Harness, accessKey = 'kyc', secretKey = 'kyc-key', periodSecond?: number): Promise<string> {
  const timestamp = h.now();
  const res = await generateToken(h, { accessKey, signature: signature(accessKey, secretKey, timestamp), timestamp, ...(periodSecond ? { periodSecond } : {}) });
  const body = (await res.json()) as any;
  expect(body.code).toBe('SUCCESS');
  return body.data.token as string;
}

async function getVideo(h: Harness, query: string, accessToken?: string) {
  const res = await h.app.request(`${BASE}/liveness/ext/v1/get-video${query}`, { headers: accessToken !== undefined ? { 'X-ACCESS-TOKEN': accessToken } : {} });
  expect(res.status).toBe(200); // ADVANCE.AI answers 200 and puts the outcome in `code`
  return (await res.json()) as any;
}

/** An error envelope with the document's message for `code`; what went wrong in this request is in `extra`. */
const envelopeOf = (code: keyof typeof ADVANCE_MESSAGES) => ({ code, message: ADVANCE_MESSAGES[code], data: null, transactionId: expect.stringMatching(/^[0-9a-f]{16}$/), pricingStrategy: 'FREE' });

describe('ADVANCE.AI messages', () => {
  it('are the Get Video document\'s "Response Code" table, word for word', () => {
    const doc = readFileSync(path.resolve('..', 'shared', 'seeds', 'advance-ai-get-video.txt'), 'utf8');
    // One line per code, the code and its message run together ("SUCCESSOK"); ACCOUNT_DISABLED is the token API's.
    const table = doc.slice(doc.indexOf('Status CodeMessage'), doc.indexOf('Response Examples')).split('\n');
    const codes = Object.keys(ADVANCE_MESSAGES).filter((code) => code !== 'ACCOUNT_DISABLED') as (keyof typeof ADVANCE_MESSAGES)[];
    expect(codes).toHaveLength(7);
    for (const code of codes) {
      // No code is the beginning of another, so the line that starts with it is its row.
      const line = table.find((l) => l.startsWith(code));
      expect(line, code).toBeDefined();
      expect(ADVANCE_MESSAGES[code], code).toBe(line!.slice(code.length).trim());
    }
  });
});

describe('ADVANCE.AI generate-token', () => {
  it('issues a token for a signed request (sha256(accessKey + secretKey + timestamp)) that expires after periodSecond (default 3600 s)', async () => {
    const h = harness();
    const res = await generateToken(h, { accessKey: 'kyc', signature: signature('kyc', 'kyc-key', h.now()), timestamp: h.now() });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ code: 'SUCCESS', message: 'OK', extra: null, pricingStrategy: 'FREE' });
    expect(body.data.expiredTime).toBe(T0 + 3600_000);
    expect(body.data.token).toMatch(/^[A-Za-z0-9_-]+\.\d+\.[0-9a-f]{64}$/);
  });

  it('takes the timestamp and periodSecond as strings of digits too, signed as written', async () => {
    const h = harness();
    const timestamp = String(h.now());
    const body = (await (await generateToken(h, { accessKey: 'kyc', signature: signature('kyc', 'kyc-key', timestamp).toUpperCase(), timestamp, periodSecond: '120' })).json()) as any;
    expect(body).toMatchObject({ code: 'SUCCESS', data: { expiredTime: T0 + 120_000 } });
  });

  it('extension: secretKey (the appKey) instead of signature, for apps that hold only a key hash', async () => {
    const h = harness();
    expect((await (await generateToken(h, { accessKey: 'hash-only', secretKey: 'hash-only-key', timestamp: h.now() })).json()) as any).toMatchObject({ code: 'SUCCESS' });
    // Such an app cannot use the signature: there is no key to check it with.
    expect(await (await generateToken(h, { accessKey: 'hash-only', signature: signature('hash-only', 'hash-only-key', h.now()), timestamp: h.now() })).json()).toMatchObject({ code: 'PARAMETER_ERROR', message: 'Signature error' });
  });

  it('answers PARAMETER_ERROR for an empty body, a stale timestamp and wrong credentials; ACCOUNT_DISABLED for a suspended app', async () => {
    const h = harness();
    const t = h.now();
    const empty = await h.app.request(`${BASE}/openapi/auth/ticket/v1/generate-token`, { method: 'POST', body: '', headers: { 'Content-Type': 'application/json' } });
    expect(await empty.json()).toMatchObject({ ...envelopeOf('PARAMETER_ERROR'), message: 'Parameter should not be empty' });
    expect(await (await generateToken(h, { accessKey: 'kyc', timestamp: t })).json()).toMatchObject({ ...envelopeOf('PARAMETER_ERROR'), extra: expect.stringContaining('signature') });
    expect(await (await generateToken(h, { accessKey: 'kyc', signature: signature('kyc', 'kyc-key', t), secretKey: 'kyc-key', timestamp: t })).json()).toMatchObject(envelopeOf('PARAMETER_ERROR'));
    const stale = t - 301_000;
    expect(await (await generateToken(h, { accessKey: 'kyc', signature: signature('kyc', 'kyc-key', stale), timestamp: stale })).json()).toMatchObject({ code: 'PARAMETER_ERROR', message: 'Timestamp error' });
    expect(await (await generateToken(h, { accessKey: 'kyc', signature: signature('kyc', 'wrong', t), timestamp: t })).json()).toMatchObject({ code: 'PARAMETER_ERROR', message: 'Signature error' });
    // Signed for another timestamp than the one sent, for another app, or by an unknown app.
    expect(await (await generateToken(h, { accessKey: 'kyc', signature: signature('kyc', 'kyc-key', t - 1), timestamp: t })).json()).toMatchObject({ message: 'Signature error' });
    expect(await (await generateToken(h, { accessKey: 'kyc', signature: signature('other', 'other-key', t), timestamp: t })).json()).toMatchObject({ message: 'Signature error' });
    expect(await (await generateToken(h, { accessKey: 'nobody', signature: signature('nobody', 'x', t), timestamp: t })).json()).toMatchObject({ message: 'Signature error' });
    expect(await (await generateToken(h, { accessKey: 'kyc', secretKey: 'wrong', timestamp: t })).json()).toMatchObject({ code: 'PARAMETER_ERROR', message: 'Signature error' });
    expect(await (await generateToken(h, { accessKey: 'kyc', signature: signature('kyc', 'kyc-key', t), timestamp: t, periodSecond: 59 })).json()).toMatchObject({ code: 'PARAMETER_ERROR' });
    expect(await (await generateToken(h, { accessKey: 'suspended', signature: signature('suspended', 'suspended-key', t), timestamp: t })).json()).toMatchObject({ code: 'ACCOUNT_DISABLED', message: 'Account Disabled' });
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
    expect(await getVideo(h, '', t)).toMatchObject({ ...envelopeOf('PARAMETER_ERROR'), extra: 'send exactly one of livenessId and signatureId' });
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
    expect(await h.media.delete(video!.id)).toBe(true);
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
    expect(await getVideo(h, '?livenessId=ses_x', t)).toMatchObject({ ...envelopeOf('ERROR'), message: 'Server error', extra: null });
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

  it('extension: AuthFailure without a valid Bearer key (InvalidAuthorization without any); OperationDenied for an app that may not read sessions', async () => {
    const h = harness();
    const { session } = await h.recorded();
    expect(await describe3(h, request(session.id), { key: null })).toMatchObject(errorOf('AuthFailure.InvalidAuthorization'));
    expect(await describe3(h, request(session.id), { key: 'nope' })).toMatchObject(errorOf('AuthFailure'));
    expect(await describe3(h, request(session.id), { key: 'liveness-key' })).toMatchObject(errorOf('OperationDenied'));
  });

  describe('signed with TC3-HMAC-SHA256 by the official SDK signer (SecretId = appId, SecretKey = appKey)', () => {
    /** The request as tencentcloud-sdk-nodejs sends it (http_connection.js doRequestWithSign3), at the harness's clock. */
    async function signed(h: Harness, body: unknown, options: { secretId?: string; secretKey?: string; at?: number; version?: string | null } = {}): Promise<any> {
      const timestamp = Math.floor((options.at ?? h.now()) / 1000);
      const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-TC-Action': 'DescribeSignFaceVideo', 'X-TC-Timestamp': String(timestamp) };
      if (options.version !== null) headers['X-TC-Version'] = options.version ?? '2020-11-11';
      const secretId = options.secretId ?? 'kyc';
      headers.Authorization = TencentSign.sign3({ method: 'POST', url: `${BASE}/`, payload: body, timestamp, service: 'ess', secretId, secretKey: options.secretKey ?? `${secretId}-key`, headers });
      return (await h.app.request(`${BASE}/`, { method: 'POST', body: JSON.stringify(body), headers })).json();
    }

    it('returns the video and the nods', async () => {
      const h = harness();
      const { session } = await h.recorded({ pitch: pitchSeries(true) });
      const body = await signed(h, request(session.id));
      expect(body.Response.Error).toBeUndefined();
      expect(Buffer.from(body.Response.VideoData.LiveNessVideo, 'base64')).toEqual(Buffer.from(MP4));
      expect(body.Response.IntentionActionResult.Details[0]).toMatchObject({ NodDetected: true, NodCount: 1 });
    });

    it("answers Tencent's AuthFailure codes: SignatureFailure, SignatureExpire, SecretIdNotFound", async () => {
      const h = harness();
      const { session } = await h.recorded();
      expect(await signed(h, request(session.id), { secretKey: 'wrong-key' })).toMatchObject(errorOf('AuthFailure.SignatureFailure'));
      expect(await signed(h, request(session.id), { at: h.now() - 301_000 })).toMatchObject(errorOf('AuthFailure.SignatureExpire'));
      expect(await signed(h, request(session.id), { at: h.now() + 301_000 })).toMatchObject(errorOf('AuthFailure.SignatureExpire'));
      expect(await signed(h, request(session.id), { secretId: 'nobody' })).toMatchObject(errorOf('AuthFailure.SecretIdNotFound'));
      // An app that holds only its key's hash cannot verify a signature.
      expect(await signed(h, request(session.id), { secretId: 'hash-only' })).toMatchObject(errorOf('AuthFailure.SecretIdNotFound'));
      expect(await signed(h, request(session.id), { secretId: 'liveness-only', secretKey: 'liveness-key' })).toMatchObject(errorOf('OperationDenied'));
      // Another app's valid signature reaches only that app's sessions.
      expect(await signed(h, request(session.id), { secretId: 'other' })).toMatchObject(errorOf('ResourceNotFound'));
    });

    it('checks X-TC-Version: MissingParameter without it, NoSuchVersion for another', async () => {
      const h = harness();
      const { session } = await h.recorded();
      expect(await signed(h, request(session.id), { version: null })).toMatchObject(errorOf('MissingParameter'));
      expect(await signed(h, request(session.id), { version: '2017-03-12' })).toMatchObject(errorOf('NoSuchVersion'));
    });
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
    expect(await h.media.delete(freshVideo!.id)).toBe(true);
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
