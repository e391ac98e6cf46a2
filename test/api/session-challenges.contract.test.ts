/**
 * Active liveness challenges in the sessions API (issue #14), through app.request(): a session drawn with its
 * challenge (shown in its body), the video upload using it up in the upload's own write (optional `challenge_id`),
 * wrong / expired / reused / another session's / another app's ids refused in Verilock's error format with nothing
 * stored, and the processing job handing it to the verifier: the session's video answer shows what was found, and a
 * challenge not performed declines the session by the rules file's `verifyVideo.challengeFailed`.
 */
import { describe, expect, it, vi } from 'vitest';
import { openApiDocument } from '../../src/http/openapi.js';
import type { ChallengeResult, ChallengeStep } from '../../src/pipeline/challenge.js';
import { FINGERPRINT_VERSION, type RecordingFingerprint } from '../../src/pipeline/recording-fingerprint.js';
import type { VerifyVideo } from '../../src/pipeline/verify-video.js';
import { SqliteRecordingFingerprintRepository } from '../../src/sessions/recording-fingerprints.js';
import { SqliteChallengeRepository } from '../../src/sessions/challenge-repository.js';
import { createProcessSession, type ProcessSessionPayload } from '../../src/sessions/process-session.js';
import { SqliteSessionRepository } from '../../src/sessions/session-repository.js';
import type { Job } from '../../src/store/job-queue.js';
import { seededRandom } from '../helpers/random.js';
import { videoVerification } from '../helpers/video-verification.js';
import { closeAfterEach, DEFAULT_RULES, formData, memoryStore, sessionsDeps, testApp, testApps, testClock } from '../helpers/contract.js';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 60 }, (_, i) => i)]);
const MP4 = new Uint8Array([0, 0, 0, 0x18, ...Buffer.from('ftypisom'), ...Array.from({ length: 500 }, (_, i) => i % 251)]);
const T0 = 1_773_828_000_000; // 2026-03-18T10:00:00Z
const BASE = 'http://svc.test';
const CONSENT = { consent_given_at: '2026-03-18T10:01:00Z', consent_text_version: 'video-kyc-v3' };

const apps = testApps([
  { appId: 'kyc', appKey: 'kyc-key', allowedApis: ['sessions'] },
  { appId: 'other', appKey: 'other-key', allowedApis: ['sessions'] },
]);
const auth = (key = 'kyc-key') => ({ Authorization: `Bearer ${key}` });

const outcome = videoVerification();

/** A recording's fingerprint as verifyVideo answers it: 40 frames at 4 fps, each hash drawn from `seed` (frames differ by ≈ 32 bits). */
function fingerprintOf(seed: number): RecordingFingerprint {
  const random = seededRandom(seed);
  return { version: FINGERPRINT_VERSION, fps: 4, hashes: Uint8Array.from({ length: 40 * 8 }, () => Math.floor(random() * 256)) };
}

/** The verifier's answer for `steps`, each passed or not as `passed` says (the wire shape, pipeline/challenge.ts). */
function performed(id: string, steps: ChallengeStep[], passed: boolean[]): ChallengeResult {
  return {
    id,
    passed: passed.every(Boolean),
    steps: steps.map((step, k) => ({
      action: step.action,
      window_s: step.windowSeconds,
      detected_at_s: passed[k] ? step.windowSeconds[0] + 1 : null,
      amplitude: passed[k] ? 30 : 4,
      amplitude_unit: 'degrees',
      min_amplitude: 20,
      passed: passed[k]!,
    })),
  };
}

const closeLater = closeAfterEach();

function harness(options: { challenges?: boolean } = {}) {
  const clock = testClock(T0);
  const { db, media, close } = memoryStore(clock);
  closeLater(close);
  const sessions = new SqliteSessionRepository(db, clock.now);
  const challenges = new SqliteChallengeRepository(db, clock.now);
  const fingerprints = new SqliteRecordingFingerprintRepository(db, clock.now);
  const enqueued: ProcessSessionPayload[] = [];
  const app = testApp({
    sessions: sessionsDeps({
      apps,
      clock,
      db,
      media,
      sessions,
      ...(options.challenges === false ? {} : { challenges }),
      fingerprints,
      jobs: { enqueue: <P>(_type: string, payload: P) => (enqueued.push(payload as ProcessSessionPayload), `job_${enqueued.length}`) },
    }),
  });
  const use = vi.fn<VerifyVideo>(async () => outcome);
  const processSession = createProcessSession({ sessions, media, verifyVideo: use, rules: { current: () => DEFAULT_RULES }, webhooks: { emit: () => 'whk_1' }, challenges, fingerprints, maxAttempts: 3, now: clock.now, log: () => {} });
  const runJob = (index: number) => {
    const payload = enqueued[index]!;
    return processSession(payload, { id: `job_${index + 1}`, type: 'session.process', payload, state: 'running', attempts: 1, runAfter: clock.ms } as Job<ProcessSessionPayload>);
  };
  const mediaFiles = () => (db.prepare('SELECT COUNT(*) AS n FROM media').get() as { n: number }).n;
  return { app, sessions, challenges, media, mediaFiles, enqueued, use, runJob, advance: clock.advance };
}

type Harness = ReturnType<typeof harness>;

async function createSession(h: Harness, profile: Record<string, unknown> = { steps: ['selfie', 'video'] }, key = 'kyc-key') {
  const res = await h.app.request(`${BASE}/v1/sessions`, { method: 'POST', body: JSON.stringify({ profile }), headers: { ...auth(key), 'Content-Type': 'application/json' } });
  expect(res.status).toBe(201);
  return (await res.json()) as any;
}

function upload(h: Harness, url: string, field: string, bytes: Uint8Array, fields: Record<string, string> = {}) {
  return h.app.request(url, { method: 'POST', body: formData({ [field]: bytes, ...fields }) });
}

/** A session with its selfie in, ready for the video. */
async function readySession(h: Harness, key = 'kyc-key') {
  const created = await createSession(h, { steps: ['selfie', 'video'] }, key);
  expect((await upload(h, created.capture.selfie.upload_url, 'image', JPEG)).status).toBe(201);
  return created;
}

/** The session's stored video id: undefined while no video was accepted. */
const stored = async (h: Harness, sessionId: string) => (await h.sessions.get(sessionId))!.media.video;

describe("a session's challenge", () => {
  it('is drawn at creation, bound to the session, expires with it, and is shown in the session body', async () => {
    const h = harness();
    const created = await createSession(h, { steps: ['selfie', 'video'], video_max_duration: 60 });
    const { challenge } = created;
    expect(Object.keys(challenge).sort()).toEqual(['expires_at', 'id', 'recording_seconds', 'steps']);
    expect(challenge.id).toMatch(/^chl_[0-9a-f-]{36}$/);
    expect(challenge.steps.length === 3 || challenge.steps.length === 4).toBe(true);
    expect(challenge.steps[0].window_s).toEqual([2, 5]);
    expect(challenge.recording_seconds).toBe(2 + 3 * challenge.steps.length + 1);
    expect(challenge.expires_at).toBe(created.expires_at);
    expect(await h.challenges.get(challenge.id)).toMatchObject({ appId: 'kyc', sessionId: created.id, usedAt: null });
    const got = (await (await h.app.request(`${BASE}/v1/sessions/${created.id}`, { headers: auth() })).json()) as any;
    expect(got.challenge).toEqual(challenge);
  });

  it('fits in video_max_duration: 12–14 s get 3 steps; under 12 s there is none (challenge: null)', async () => {
    const h = harness();
    for (let n = 0; n < 20; n++) expect((await createSession(h, { steps: ['selfie', 'video'], video_max_duration: 14 })).challenge.recording_seconds).toBe(12);
    const short = await createSession(h, { steps: ['selfie', 'video'], video_max_duration: 11 });
    expect(short.challenge).toBeNull();
    expect(await h.challenges.forSession(short.id)).toBeUndefined();
    // Such a session still takes its video, with no challenge to use.
    expect((await upload(h, short.capture.selfie.upload_url, 'image', JPEG)).status).toBe(201);
    const video = await upload(h, short.capture.video.upload_url, 'video', MP4, CONSENT);
    expect(video.status).toBe(201);
    expect(((await video.json()) as any).challenge_id).toBeNull();
  });

  it('is not drawn when the server issues none: challenge null, and a challenge_id is refused (422)', async () => {
    const h = harness({ challenges: false });
    const created = await readySession(h);
    expect(created.challenge).toBeNull();
    const res = await upload(h, created.capture.video.upload_url, 'video', MP4, { ...CONSENT, challenge_id: 'chl_00000000-0000-4000-8000-000000000000' });
    expect(res.status).toBe(422);
    expect(((await res.json()) as any).error).toBe('challenge_invalid');
    expect((await upload(h, created.capture.video.upload_url, 'video', MP4, CONSENT)).status).toBe(201);
  });
});

describe('replayed recordings', () => {
  it('a recording already uploaded to another session of the app is flagged replayed_recording and declined; a new one, or one of another app, is not', async () => {
    const h = harness();
    const videoOf = async (key = 'kyc-key') => {
      const created = await createSession(h, { steps: ['selfie', 'video'] }, key);
      expect((await upload(h, created.capture.selfie.upload_url, 'image', JPEG)).status).toBe(201);
      expect((await upload(h, created.capture.video.upload_url, 'video', MP4, CONSENT)).status).toBe(201);
      return created;
    };
    const process = async (index: number, seed: number) => {
      h.use.mockResolvedValueOnce(videoVerification({ fingerprint: fingerprintOf(seed) }));
      await h.runJob(index);
      expect(h.use.mock.calls[index]![0].fingerprint).toBe(true);
    };
    const first = await videoOf();
    await process(0, 1);
    const again = await videoOf();
    h.advance(1000);
    await process(1, 1);
    const fresh = await videoOf();
    await process(2, 2);
    const foreign = await videoOf('other-key');
    await process(3, 1);
    const answer = async (id: string, key = 'kyc-key') => (await (await h.app.request(`${BASE}/v1/sessions/${id}/video`, { headers: auth(key) })).json()) as any;
    expect(await answer(first.id)).toMatchObject({ result: 'approved', replayed_recording: null });
    expect(await answer(again.id)).toMatchObject({ result: 'declined', replayed_recording: { session_id: first.id, similarity: 1 } });
    const stored = (await (await h.app.request(`${BASE}/v1/sessions/${again.id}`, { headers: auth() })).json()) as any;
    expect(stored.result_reason).toBe(`The video is a recording already uploaded to session ${first.id}`);
    expect(await answer(fresh.id)).toMatchObject({ result: 'approved', replayed_recording: null });
    expect(await answer(foreign.id, 'other-key')).toMatchObject({ result: 'approved', replayed_recording: null });
  });
});

describe('the video upload', () => {
  it("uses the session's own challenge when it names none, in the upload's write; processing verifies it and the video answer shows the result", async () => {
    const h = harness();
    const created = await readySession(h);
    h.advance(60_000);
    const res = await upload(h, created.capture.video.upload_url, 'video', MP4, CONSENT);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ job_id: 'job_1', challenge_id: created.challenge.id });
    expect((await h.challenges.get(created.challenge.id))!.usedAt).toBe(T0 + 60_000);
    const before = (await (await h.app.request(`${BASE}/v1/sessions/${created.id}/video`, { headers: auth() })).json()) as any;
    expect(before.challenge).toBeNull();
    const steps = (await h.challenges.get(created.challenge.id))!.steps;
    h.use.mockResolvedValueOnce(videoVerification({ challenge: performed(created.challenge.id, steps, steps.map(() => true)) }));
    await h.runJob(0);
    expect(h.use).toHaveBeenCalledTimes(1);
    expect(h.use.mock.calls[0]![0].challenge).toEqual({ id: created.challenge.id, steps });
    const video = (await (await h.app.request(`${BASE}/v1/sessions/${created.id}/video`, { headers: auth() })).json()) as any;
    expect(video).toMatchObject({ status: 'completed', result: 'approved', challenge: { id: created.challenge.id, passed: true } });
    expect(video.challenge.steps.map((s: any) => s.action)).toEqual(steps.map((s) => s.action));
    expect((await h.challenges.get(created.challenge.id))!.result).toEqual(video.challenge);
  });

  it('a challenge not performed declines the session (VIDEO_CHALLENGE_FAILED naming the step), whatever the other scores', async () => {
    const h = harness();
    const created = await readySession(h);
    expect((await upload(h, created.capture.video.upload_url, 'video', MP4, CONSENT)).status).toBe(201);
    const steps = (await h.challenges.get(created.challenge.id))!.steps;
    const passed = steps.map((_, k) => k !== 1);
    h.use.mockResolvedValueOnce(videoVerification({ livenessScore: 0, challenge: performed(created.challenge.id, steps, passed) }));
    await h.runJob(0);
    const session = (await (await h.app.request(`${BASE}/v1/sessions/${created.id}`, { headers: auth() })).json()) as any;
    expect(session).toMatchObject({ status: 'completed', result: 'declined' });
    const missed = steps[1]!;
    expect(session.result_reason).toBe(`The active liveness challenge was not performed: ${missed.action} (${missed.windowSeconds[0]}–${missed.windowSeconds[1]} s)`);
    const video = (await (await h.app.request(`${BASE}/v1/sessions/${created.id}/video`, { headers: auth() })).json()) as any;
    expect(video).toMatchObject({ result: 'declined', liveness_score: 0, challenge: { passed: false } });
    expect(video.challenge.steps.map((s: any) => s.passed)).toEqual(passed);
  });

  it('a session without a challenge is verified without one (challenge null in the video answer)', async () => {
    const h = harness();
    const short = await createSession(h, { steps: ['selfie', 'video'], video_max_duration: 11 });
    expect((await upload(h, short.capture.selfie.upload_url, 'image', JPEG)).status).toBe(201);
    expect((await upload(h, short.capture.video.upload_url, 'video', MP4, CONSENT)).status).toBe(201);
    h.use.mockResolvedValueOnce(videoVerification({ durationSeconds: 10.5 }));
    await h.runJob(0);
    expect(h.use.mock.calls[0]![0]).not.toHaveProperty('challenge');
    const video = (await (await h.app.request(`${BASE}/v1/sessions/${short.id}/video`, { headers: auth() })).json()) as any;
    expect(video).toMatchObject({ status: 'completed', result: 'approved', challenge: null });
  });

  it('takes its own challenge_id, as a form field or X-Challenge-Id with a raw body', async () => {
    const h = harness();
    const form = await readySession(h);
    const res = await upload(h, form.capture.video.upload_url, 'video', MP4, { ...CONSENT, challenge_id: form.challenge.id });
    expect(res.status).toBe(201);
    expect(((await res.json()) as any).challenge_id).toBe(form.challenge.id);
    const raw = await readySession(h);
    const rawRes = await h.app.request(raw.capture.video.upload_url, {
      method: 'POST',
      body: Buffer.from(MP4),
      headers: { 'Content-Type': 'video/mp4', 'X-Consent-Given-At': CONSENT.consent_given_at, 'X-Consent-Text-Version': 'v1', 'X-Challenge-Id': raw.challenge.id },
    });
    expect(rawRes.status).toBe(201);
    expect((await h.challenges.get(raw.challenge.id))!.usedAt).toBe(T0);
  });

  it("refuses another session's challenge (422 challenge_invalid, reason another_session) and stores nothing", async () => {
    const h = harness();
    const mine = await readySession(h);
    const theirs = await readySession(h);
    const res = await upload(h, mine.capture.video.upload_url, 'video', MP4, { ...CONSENT, challenge_id: theirs.challenge.id });
    expect(res.status).toBe(422);
    const body = (await res.json()) as any;
    expect(body).toEqual({ error: 'challenge_invalid', message: `challenge ${theirs.challenge.id} belongs to another session`, details: { reason: 'another_session', challenge_id: theirs.challenge.id } });
    expect(await stored(h, mine.id)).toBeUndefined();
    expect(h.mediaFiles()).toBe(2); // the two selfies
    expect(h.enqueued).toEqual([]);
    expect((await h.challenges.get(theirs.challenge.id))!.usedAt).toBeNull();
    expect((await h.challenges.get(mine.challenge.id))!.usedAt).toBeNull();
    // The right one still works afterwards.
    expect((await upload(h, mine.capture.video.upload_url, 'video', MP4, CONSENT)).status).toBe(201);
  });

  it("refuses another app's challenge as an unknown one (422, reason unknown), and a verifyVideo caller's (reason another_session)", async () => {
    const h = harness();
    const mine = await readySession(h);
    const foreign = await createSession(h, { steps: ['selfie', 'video'] }, 'other-key');
    const res = await upload(h, mine.capture.video.upload_url, 'video', MP4, { ...CONSENT, challenge_id: foreign.challenge.id });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: 'challenge_invalid', message: `no challenge ${foreign.challenge.id} was issued to this app`, details: { reason: 'unknown' } });
    const unknown = await upload(h, mine.capture.video.upload_url, 'video', MP4, { ...CONSENT, challenge_id: 'chl_00000000-0000-4000-8000-000000000000' });
    expect(await unknown.json()).toMatchObject({ error: 'challenge_invalid', details: { reason: 'unknown' } });
    const callers = await h.challenges.issue({ appId: 'kyc', sessionId: null, expiresAt: T0 + 600_000, maxRecordingSeconds: 60 });
    const caller = await upload(h, mine.capture.video.upload_url, 'video', MP4, { ...CONSENT, challenge_id: callers.id });
    expect(caller.status).toBe(422);
    expect(await caller.json()).toMatchObject({ error: 'challenge_invalid', message: expect.stringMatching(/issued for POST \/v1\/verifyVideo/), details: { reason: 'another_session' } });
    expect(await stored(h, mine.id)).toBeUndefined();
  });

  it('refuses an expired challenge (410 challenge_expired) and a used one (409 challenge_used), storing nothing', async () => {
    const h = harness();
    const created = await readySession(h);
    // Two more challenges bound to this session (as a redraw would make): one that expires early, one already used.
    const early = await h.challenges.issue({ appId: 'kyc', sessionId: created.id, expiresAt: T0 + 60_000, maxRecordingSeconds: 60 });
    const used = await h.challenges.issue({ appId: 'kyc', sessionId: created.id, expiresAt: T0 + 3_600_000, maxRecordingSeconds: 60 });
    await h.challenges.consume(used.id, 'kyc', created.id);
    h.advance(60_000);
    const expired = await upload(h, created.capture.video.upload_url, 'video', MP4, { ...CONSENT, challenge_id: early.id });
    expect(expired.status).toBe(410);
    expect(await expired.json()).toMatchObject({ error: 'challenge_expired', message: expect.stringMatching(/expired at 2026-03-18T10:01:00.000Z; create a new session/), details: { reason: 'expired' } });
    const reused = await upload(h, created.capture.video.upload_url, 'video', MP4, { ...CONSENT, challenge_id: used.id });
    expect(reused.status).toBe(409);
    expect(await reused.json()).toMatchObject({ error: 'challenge_used', details: { reason: 'already_used', challenge_id: used.id } });
    expect(await stored(h, created.id)).toBeUndefined();
    expect(h.mediaFiles()).toBe(1); // the selfie
    expect(h.enqueued).toEqual([]);
  });

  it('a second video after the first used the challenge: 409 conflict, the challenge stays used by the first', async () => {
    const h = harness();
    const created = await readySession(h);
    expect((await upload(h, created.capture.video.upload_url, 'video', MP4, CONSENT)).status).toBe(201);
    const again = await upload(h, created.capture.video.upload_url, 'video', MP4, { ...CONSENT, challenge_id: created.challenge.id });
    expect(again.status).toBe(409);
    expect(((await again.json()) as any).error).toBe('conflict');
  });

  it('422 validation_error for a malformed challenge_id', async () => {
    const h = harness();
    const created = await readySession(h);
    const res = await upload(h, created.capture.video.upload_url, 'video', MP4, { ...CONSENT, challenge_id: 'nope' });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: 'validation_error', details: { challenge_id: [expect.stringContaining('chl_')] } });
  });

  it('is described in the OpenAPI document', () => {
    const doc = openApiDocument('1') as any;
    const session = doc.paths['/v1/sessions'].post.responses['201'].content['application/json'].schema;
    expect(session.properties.challenge.oneOf[1]).toEqual({ type: 'null' });
    const uploadOp = doc.paths['/v1/sessions/{id}/{step}'].post;
    expect(uploadOp.requestBody.content['multipart/form-data'].schema.properties.challenge_id).toBeDefined();
    expect(uploadOp.responses['410']).toBeDefined();
  });
});
