/**
 * Active liveness challenges for verifyVideo callers (issue #14), through app.request(): POST /v1/challenges (the
 * HyperVerge envelope, credentials, the drawn steps) and POST /v1/verifyVideo's `challengeId` (used up once and handed
 * to the use case; expired, reused, another app's and a session's ids refused with a clear 4xx), on the real SQLite
 * store with a test clock and a test-double use case.
 */
import { describe, expect, it, vi } from 'vitest';
import { AppError } from '../../src/errors.js';
import { ConcurrencyLimiter } from '../../src/http/concurrency.js';
import { openApiDocument } from '../../src/http/openapi.js';
import type { ChallengeAction } from '../../src/pipeline/challenge.js';
import type { VerifyVideo } from '../../src/pipeline/verify-video.js';
import { CHALLENGE_ACTIONS } from '../../src/sessions/challenge-draw.js';
import { SqliteChallengeRepository } from '../../src/sessions/challenge-repository.js';
import { openDatabase } from '../../src/store/database.js';
import { videoVerification } from '../helpers/video-verification.js';
import { closeAfterEach, postForm, testApp, testApps, testClock, verifyVideoDeps } from '../helpers/contract.js';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
const VIDEO = new Uint8Array([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70]);
const T0 = 1_773_828_000_000; // 2026-03-18T10:00:00Z
const TTL_SECONDS = 600;
const BASE = 'http://svc.test';

const outcome = videoVerification();

const apps = testApps([
  { appId: 'all', appKey: 'all-key', allowedApis: ['*'] },
  { appId: 'other', appKey: 'other-key', allowedApis: ['verifyVideo'] },
  { appId: 'liveness-only', appKey: 'liveness-key', allowedApis: ['checkLiveness'] },
]);
const ALL = { appId: 'all', appKey: 'all-key', transactionId: 'tx-1' };
const OTHER = { appId: 'other', appKey: 'other-key', transactionId: 'tx-2' };

const closeLater = closeAfterEach();

function harness(options: { pipeline?: VerifyVideo; concurrency?: ConcurrencyLimiter; challenges?: boolean } = {}) {
  const clock = testClock(T0);
  const db = openDatabase(':memory:');
  closeLater(() => db.close());
  const repository = new SqliteChallengeRepository(db, clock.now);
  const use = vi.fn<VerifyVideo>(options.pipeline ?? (async () => outcome));
  const deps = verifyVideoDeps({
    apps,
    clock,
    concurrency: options.concurrency ?? new ConcurrencyLimiter(1, 16),
    verifyVideo: use,
    ...(options.challenges === false ? {} : { challenges: { repository, ttlSeconds: TTL_SECONDS, maxRecordingSeconds: 60, now: clock.now } }),
  });
  return { app: testApp({ verifyVideo: deps }), use, repository, advance: clock.advance };
}

type App = ReturnType<typeof harness>['app'];

const issue = (app: App, headers: Record<string, string> = ALL) => app.request(`${BASE}/v1/challenges`, { method: 'POST', headers });

async function issued(app: App, headers: Record<string, string> = ALL) {
  const res = await issue(app, headers);
  expect(res.status).toBe(201);
  return ((await res.json()) as any).result as { id: string; steps: { action: string; window_s: [number, number] }[]; recording_seconds: number; expires_at: string };
}

function verify(app: App, challengeId?: string, headers: Record<string, string> = ALL) {
  return postForm(app, `${BASE}/v1/verifyVideo`, { video: [VIDEO, 'video.mp4'], selfie: [JPEG, 'selfie.jpg'], challengeId }, headers);
}

describe('POST /v1/challenges', () => {
  it('answers a drawn challenge in the HyperVerge envelope: id, 3–4 steps with windows, recording length, expiry', async () => {
    const { app, repository } = harness();
    const res = await issue(app);
    expect(res.status).toBe(201);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ status: 'success', statusCode: 201, metadata: { requestId: expect.stringMatching(/^[0-9a-f-]{36}$/), transactionId: 'tx-1' } });
    expect(Object.keys(body.result).sort()).toEqual(['expires_at', 'id', 'recording_seconds', 'steps']);
    const { id, steps, recording_seconds, expires_at } = body.result;
    expect(id).toMatch(/^chl_[0-9a-f-]{36}$/);
    expect(expires_at).toBe(new Date(T0 + TTL_SECONDS * 1000).toISOString());
    expect(steps.length === 3 || steps.length === 4).toBe(true);
    expect(recording_seconds).toBe(2 + 3 * steps.length + 1);
    steps.forEach((step: { action: string; window_s: number[] }, i: number) => {
      expect(Object.keys(step).sort()).toEqual(['action', 'window_s']);
      expect(CHALLENGE_ACTIONS).toContain(step.action);
      expect(step.window_s).toEqual([2 + 3 * i, 5 + 3 * i]);
      if (i > 0) expect(step.action).not.toBe(steps[i - 1].action);
    });
    // Stored server-side, bound to the calling app and to no session.
    expect(await repository.get(id)).toMatchObject({ appId: 'all', sessionId: null, usedAt: null, steps: steps.map((s: any) => ({ action: s.action, windowSeconds: s.window_s })) });
    expect((await issued(app)).id).not.toBe(id);
  });

  it("takes verifyVideo's credentials: 401 without, 403 for an app not allowed verifyVideo, 400 without transactionId", async () => {
    const { app } = harness();
    expect((await issue(app, { transactionId: 't' })).status).toBe(401);
    const forbidden = await issue(app, { appId: 'liveness-only', appKey: 'liveness-key', transactionId: 't' });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ status: 'failure', result: { error: 'Unauthorized Access to API' } });
    expect((await issue(app, { appId: 'all', appKey: 'all-key' })).status).toBe(400);
  });

  it('is not served when the server issues no challenges', async () => {
    const { app } = harness({ challenges: false });
    expect((await issue(app)).status).toBe(404);
  });
});

describe('POST /v1/verifyVideo with challengeId', () => {
  it('uses the challenge up and hands its id and steps to the use case', async () => {
    const { app, use, repository, advance } = harness();
    const challenge = await issued(app);
    advance(30_000);
    const res = await verify(app, challenge.id);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).result.result).toBe('approved');
    expect(use.mock.calls[0]![0]).toEqual({
      video: VIDEO,
      selfie: JPEG,
      challenge: { id: challenge.id, steps: challenge.steps.map((s) => ({ action: s.action, windowSeconds: s.window_s })) },
    });
    expect((await repository.get(challenge.id))!.usedAt).toBe(T0 + 30_000);
    // Without a challengeId nothing changes: no `challenge` in the input.
    await verify(app);
    expect(use.mock.calls[1]![0]).toEqual({ video: VIDEO, selfie: JPEG });
  });

  it('a challenge not performed: result.challenge says which step, the rules file declines (VIDEO_CHALLENGE_FAILED, not a liveness score)', async () => {
    const { app, use } = harness();
    const challenge = await issued(app);
    const failed = {
      id: challenge.id,
      passed: false,
      steps: challenge.steps.map((s, k) => ({
        action: s.action as ChallengeAction,
        window_s: s.window_s,
        detected_at_s: k === 0 ? null : s.window_s[0] + 1,
        amplitude: k === 0 ? 3 : 30,
        amplitude_unit: 'degrees' as const,
        min_amplitude: 20,
        passed: k !== 0,
      })),
    };
    use.mockResolvedValueOnce(videoVerification({ livenessScore: 0, challenge: failed }));
    const body = (await (await verify(app, challenge.id)).json()) as any;
    expect(body.result).toMatchObject({ result: 'declined', liveness_score: 0, challenge: failed });
    const first = challenge.steps[0]!;
    expect(body.result.details).toEqual([
      { code: 'VIDEO_CHALLENGE_FAILED', message: `The active liveness challenge was not performed: ${first.action} (${first.window_s[0]}–${first.window_s[1]} s)` },
    ]);
  });

  it('refuses a reused id: 409 "Challenge already used", before the pipeline', async () => {
    const { app, use } = harness();
    const { id } = await issued(app);
    expect((await verify(app, id)).status).toBe(200);
    const again = await verify(app, id);
    expect(again.status).toBe(409);
    const body = (await again.json()) as any;
    expect(body).toMatchObject({ statusCode: 409, status: 'failure', result: { error: 'Challenge already used' }, metadata: { transactionId: 'tx-1' } });
    expect(body.result.reason).toMatch(new RegExp(`challenge ${id} was already used at .*draw a new one with POST /v1/challenges`));
    expect(use).toHaveBeenCalledTimes(1);
  });

  it('refuses an expired id: 410 "Challenge expired" at the TTL, not before', async () => {
    const { app, use, advance } = harness();
    const early = await issued(app);
    const late = await issued(app);
    advance(TTL_SECONDS * 1000 - 1);
    expect((await verify(app, early.id)).status).toBe(200);
    advance(1);
    const expired = await verify(app, late.id);
    expect(expired.status).toBe(410);
    expect(await expired.json()).toMatchObject({ statusCode: 410, result: { error: 'Challenge expired', reason: expect.stringContaining(`expired at ${late.expires_at}`) } });
    expect(use).toHaveBeenCalledTimes(1);
  });

  it("refuses another app's id as an unknown one (400 \"Invalid challenge\"), and leaves it to its app", async () => {
    const { app, use } = harness();
    const theirs = await issued(app, OTHER);
    const foreign = await verify(app, theirs.id);
    expect(foreign.status).toBe(400);
    const unknown = await verify(app, 'chl_00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(400);
    const [foreignBody, unknownBody] = [(await foreign.json()) as any, (await unknown.json()) as any];
    expect(foreignBody).toMatchObject({ statusCode: 400, result: { error: 'Invalid challenge' } });
    expect(foreignBody.result.reason.replace(theirs.id, '<id>')).toBe(unknownBody.result.reason.replace('chl_00000000-0000-4000-8000-000000000000', '<id>'));
    expect(use).not.toHaveBeenCalled();
    expect((await verify(app, theirs.id, OTHER)).status).toBe(200);
  });

  it("refuses a session's challenge: 400, it belongs to that session's video upload", async () => {
    const { app, repository } = harness();
    const sessions = await repository.issue({ appId: 'all', sessionId: 'ses_1', expiresAt: T0 + 3_600_000, maxRecordingSeconds: 60 });
    const res = await verify(app, sessions.id);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).result.reason).toMatch(/belongs to session ses_1/);
    expect((await repository.get(sessions.id))!.usedAt).toBeNull();
  });

  it.each([
    ['not-an-id', /"challengeId" must be the id POST \/v1\/challenges answered/],
    ['chl_123', /"challengeId" must be the id/],
  ])('400 "Error while parsing request body" for a malformed challengeId %j', async (value, reason) => {
    const { app, use } = harness();
    const res = await verify(app, value);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ result: { error: 'Error while parsing request body', reason: expect.stringMatching(reason) } });
    expect(use).not.toHaveBeenCalled();
  });

  it('uses a challenge exactly once among concurrent requests: one 200, every other 409', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // Four slots: the requests all pass the early check and are inside the slot together when they use the challenge up.
    const { app, use } = harness({ pipeline: async () => (await held, outcome), concurrency: new ConcurrencyLimiter(4, 16) });
    const { id } = await issued(app);
    const responses = Array.from({ length: 6 }, () => verify(app, id));
    await vi.waitFor(() => expect(use).toHaveBeenCalled());
    release();
    const statuses = (await Promise.all(responses)).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409]);
    expect(use).toHaveBeenCalledTimes(1);
  });

  it('a request refused for lack of a slot (503) leaves the challenge for the retry', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { app, use } = harness({ pipeline: async () => (await held, outcome), concurrency: new ConcurrencyLimiter(1, 0) });
    const busy = await issued(app);
    const first = verify(app);
    await vi.waitFor(() => expect(use).toHaveBeenCalledTimes(1));
    expect((await verify(app, busy.id)).status).toBe(503);
    release();
    expect((await first).status).toBe(200);
    expect((await verify(app, busy.id)).status).toBe(200);
  });

  it('a request that reached the pipeline has used its challenge, whatever the outcome', async () => {
    const { app } = harness({
      pipeline: async () => {
        throw new AppError('VIDEO_INVALID', 'the video is truncated');
      },
    });
    const { id } = await issued(app);
    expect((await verify(app, id)).status).toBe(400);
    expect((await verify(app, id)).status).toBe(409);
  });

  it('refuses any challengeId when the server issues no challenges', async () => {
    const { app, use } = harness({ challenges: false });
    const res = await verify(app, 'chl_00000000-0000-4000-8000-000000000000');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ result: { error: 'Invalid challenge', reason: expect.stringMatching(/issues none/) } });
    expect(use).not.toHaveBeenCalled();
  });

  it('is described in the OpenAPI document', () => {
    const doc = openApiDocument('1') as any;
    expect(doc.paths['/v1/challenges'].post.operationId).toBe('createChallenge');
    expect(doc.paths['/v1/challenges'].post.responses['201'].content['application/json'].schema.properties.result.required).toEqual(['id', 'steps', 'recording_seconds', 'expires_at']);
    const verifyVideo = doc.paths['/v1/verifyVideo'].post;
    expect(verifyVideo.requestBody.content['multipart/form-data'].schema.properties.challengeId).toBeDefined();
    expect(verifyVideo.responses['409'].content['application/json'].schema.properties.result.properties.error.const).toBe('Challenge already used');
    expect(verifyVideo.responses['410'].content['application/json'].schema.properties.result.properties.error.const).toBe('Challenge expired');
  });
});
