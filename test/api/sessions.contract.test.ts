/**
 * The sessions API (issue #6, Verilock-style) through app.request(): every endpoint and its errors, on the
 * real SQLite repository and media store (temp directory), with test doubles for the job queue, webhooks and
 * the verifyVideo use case. Processing is driven by calling the `session.process` handler directly.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import type { VerifyVideo } from '../../src/pipeline/verify-video.js';
import { createProcessSession, PROCESS_SESSION_JOB, type ProcessSessionPayload } from '../../src/sessions/process-session.js';
import { SqliteSessionRepository } from '../../src/sessions/session-repository.js';
import type { Job } from '../../src/store/job-queue.js';
import type { WebhookEventData, WebhookEventName, WebhookEvents } from '../../src/store/webhooks.js';
import { closeAfterEach, DEFAULT_RULES, formData, memoryStore, sessionsDeps, testApp, testApps, testClock } from '../helpers/contract.js';
import { videoVerification } from '../helpers/video-verification.js';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 60 }, (_, i) => i)]);
const MP4 = new Uint8Array([0, 0, 0, 0x18, ...Buffer.from('ftypisom'), ...Array.from({ length: 500 }, (_, i) => i % 251)]);
const T0 = 1_773_828_000_000; // 2026-03-18T10:00:00Z

const apps = testApps([
  { appId: 'kyc', appKey: 'kyc-key', allowedApis: ['sessions'] },
  { appId: 'other', appKey: 'other-key', allowedApis: ['*'] },
  { appId: 'liveness-only', appKey: 'liveness-key', allowedApis: ['checkLiveness'] },
]);

const closeLater = closeAfterEach();

function harness(verify: VerifyVideo = async () => videoVerification()) {
  const clock = testClock(T0);
  const { db, media, close } = memoryStore(clock);
  closeLater(close);
  const sessions = new SqliteSessionRepository(db, clock.now);
  const enqueued: { type: string; payload: ProcessSessionPayload; id: string }[] = [];
  const jobs = {
    enqueue<P>(type: string, payload: P) {
      const id = `job_${enqueued.length + 1}`;
      enqueued.push({ type, payload: payload as ProcessSessionPayload, id });
      return id;
    },
  };
  const events: { appId: string; event: WebhookEventName; data: WebhookEventData }[] = [];
  const webhooks: WebhookEvents = { emit: (appId, event, data) => (events.push({ appId, event, data }), `whk_${events.length}`) };
  const app = testApp({ sessions: sessionsDeps({ apps, clock, db, media, sessions, jobs, webhooks }) });
  const processSession = createProcessSession({ sessions, media, verifyVideo: verify, rules: { current: () => DEFAULT_RULES }, webhooks, maxAttempts: 3, now: clock.now, log: () => {} });
  const runJob = (index: number, attempts = 1) => {
    const job = enqueued[index]!;
    return processSession(job.payload, { id: job.id, type: job.type, payload: job.payload, state: 'running', attempts, runAfter: clock.ms } as Job<ProcessSessionPayload>);
  };
  return { app, enqueued, events, runJob, advance: clock.advance, media, sessions };
}

type App = ReturnType<typeof harness>['app'];
const BASE = 'http://svc.test';
const auth = (key = 'kyc-key') => ({ Authorization: `Bearer ${key}` });

function createSession(app: App, body: unknown = { profile: { steps: ['document', 'selfie', 'video'], video_mode: 'self_record', video_max_duration: 60, video_language: 'en' }, redirect_url: 'https://app.example/cb', external_id: 'user_1' }, key = 'kyc-key') {
  return app.request(`${BASE}/v1/sessions`, { method: 'POST', body: JSON.stringify(body), headers: { ...auth(key), 'Content-Type': 'application/json' } });
}

function upload(app: App, url: string, field: string, bytes: Uint8Array, fields: Record<string, string> = {}, headers: Record<string, string> = {}) {
  return app.request(url, { method: 'POST', body: formData({ [field]: bytes, ...fields }), headers: { 'User-Agent': 'capture-sdk/1.0', ...headers } });
}

const CONSENT = { consent_given_at: '2026-03-18T10:01:00Z', consent_text_version: 'video-kyc-v3' };

/** A session with its photos uploaded; returns its id and capture links. */
async function readySession(h: ReturnType<typeof harness>) {
  const created = (await (await createSession(h.app)).json()) as any;
  expect((await upload(h.app, created.capture.document.upload_url, 'front', JPEG, { type: 'passport' })).status).toBe(201);
  expect((await upload(h.app, created.capture.selfie.upload_url, 'image', JPEG)).status).toBe(201);
  return created as { id: string; capture: Record<string, { upload_url: string }> };
}

describe('POST /v1/sessions', () => {
  it('creates a pending ses_<uuid> session with signed capture links and prompts in its language', async () => {
    const { app } = harness();
    const res = await createSession(app, { profile: { steps: ['selfie', 'video'], video_language: 'es' }, external_id: 'u-9' });
    expect(res.status).toBe(201);
    expect(res.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await res.json()) as any;
    expect(body.id).toMatch(/^ses_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(body).toMatchObject({
      status: 'pending',
      result: null,
      external_id: 'u-9',
      redirect_url: null,
      profile: { steps: ['selfie', 'video'], video_mode: 'self_record', video_max_duration: 60, video_language: 'es' },
      consent: null,
      expires_at: new Date(T0 + 3_600_000).toISOString(),
    });
    expect(body.prompts[0]).toEqual({ id: 'state_name_date', text: 'Diga su nombre completo y la fecha de hoy' });
    expect(Object.keys(body.capture)).toEqual(['selfie', 'video']);
    expect(body.capture.video.upload_url).toMatch(new RegExp(`^${BASE}/v1/sessions/${body.id}/video\\?expires=\\d+&signature=[0-9a-f]{64}$`));
  });

  // live_agent sessions are served where the live calls are wired (the service always wires them; their contract tests:
  // test/api/live-agent.contract.test.ts). This harness has none: the answer says so instead of creating a session no
  // agent could ever take.
  it("answers live_agent with a clear 'not configured' error where live agent mode is not wired", async () => {
    const res = await createSession(harness().app, { profile: { steps: ['selfie', 'video'], video_mode: 'live_agent' } });
    expect(res.status).toBe(422);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ error: 'not_supported', details: { 'profile.video_mode': [expect.stringContaining('not configured')] } });
    expect(body.message).toMatch(/live_agent.*not configured/);
  });

  it('answers validation errors in Verilock\'s {error, message, details} form', async () => {
    const res = await createSession(harness().app, { profile: { steps: ['selfie'], video_language: 'it', video_max_duration: 600 }, redirect_url: 'ftp://x' });
    expect(res.status).toBe(422);
    const body = (await res.json()) as any;
    expect(body.error).toBe('validation_error');
    expect(Object.keys(body.details).sort()).toEqual(['profile.steps', 'profile.video_language', 'profile.video_max_duration', 'redirect_url']);
    const notJson = await harness().app.request(`${BASE}/v1/sessions`, { method: 'POST', body: '{', headers: { ...auth(), 'Content-Type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as any).error).toBe('invalid_request');
  });

  it('401 without or with a wrong bearer key, 403 for an app not allowed the sessions API', async () => {
    const { app } = harness();
    for (const headers of [{}, { Authorization: 'Bearer nope' }, { Authorization: 'Basic a2V5' }] as Record<string, string>[]) {
      const res = await app.request(`${BASE}/v1/sessions`, { method: 'POST', body: '{}', headers: { ...headers, 'Content-Type': 'application/json' } });
      expect(res.status).toBe(401);
      expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
      expect(((await res.json()) as any).error).toBe('authentication_error');
    }
    const forbidden = await createSession(app, undefined, 'liveness-key');
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as any).error).toBe('forbidden');
  });
});

describe('uploads', () => {
  it('takes photos through the signed capture link or the bearer key; 404 for unknown and other apps\' sessions', async () => {
    const h = harness();
    const created = (await (await createSession(h.app)).json()) as any;
    const viaLink = await upload(h.app, created.capture.document.upload_url, 'front', JPEG, { type: 'passport' });
    expect(viaLink.status).toBe(201);
    expect(await viaLink.json()).toMatchObject({ session_id: created.id, step: 'document', status: 'uploaded', content_type: 'image/jpeg', bytes: JPEG.length, session_status: 'in_progress' });
    const viaBearer = await upload(h.app, `${BASE}/v1/sessions/${created.id}/selfie`, 'image', JPEG, {}, auth());
    expect(viaBearer.status).toBe(201);
    expect((await upload(h.app, `${BASE}/v1/sessions/ses_00000000-0000-4000-8000-000000000000/selfie`, 'image', JPEG, {}, auth())).status).toBe(404);
    const foreign = await upload(h.app, `${BASE}/v1/sessions/${created.id}/selfie`, 'image', JPEG, {}, auth('other-key'));
    expect(foreign.status).toBe(404);
    expect(((await foreign.json()) as any).error).toBe('not_found');
    const get = await h.app.request(`${BASE}/v1/sessions/${created.id}`, { headers: auth() });
    expect(await get.json()).toMatchObject({ status: 'in_progress', uploaded: { document: true, selfie: true, video: false } });
  });

  it('403 for a tampered link and for a link past the session\'s expiry; no upload after expiry', async () => {
    const h = harness();
    const created = (await (await createSession(h.app)).json()) as any;
    const tampered = created.capture.selfie.upload_url.replace('/selfie?', '/document?');
    const bad = await upload(h.app, tampered, 'front', JPEG);
    expect(bad.status).toBe(403);
    expect(((await bad.json()) as any).error).toBe('forbidden');
    h.advance(3_600_000 + 1000);
    const expired = await upload(h.app, created.capture.selfie.upload_url, 'image', JPEG);
    expect(expired.status).toBe(403);
    expect(((await expired.json()) as any).error).toBe('link_expired');
    const viaBearer = await upload(h.app, `${BASE}/v1/sessions/${created.id}/selfie`, 'image', JPEG, {}, auth());
    expect(viaBearer.status).toBe(403);
    expect(((await viaBearer.json()) as any).error).toBe('session_expired');
    expect(((await (await h.app.request(`${BASE}/v1/sessions/${created.id}/video`, { headers: auth() })).json()) as any).status).toBe('expired');
  });

  it('refuses the video before the photos (409), without consent (422), and a file of the wrong kind (400)', async () => {
    const h = harness();
    const created = (await (await createSession(h.app)).json()) as any;
    const early = await upload(h.app, created.capture.video.upload_url, 'video', MP4, CONSENT);
    expect(early.status).toBe(409);
    expect(((await early.json()) as any).message).toMatch(/upload the document and selfie before the video/);
    const wrongKind = await upload(h.app, created.capture.selfie.upload_url, 'image', MP4);
    expect(wrongKind.status).toBe(400);
    expect(((await wrongKind.json()) as any).error).toBe('unsupported_file_type');
    await upload(h.app, created.capture.document.upload_url, 'front', JPEG);
    await upload(h.app, created.capture.selfie.upload_url, 'image', JPEG);
    const noConsent = await upload(h.app, created.capture.video.upload_url, 'video', MP4);
    expect(noConsent.status).toBe(422);
    const body = (await noConsent.json()) as any;
    expect(body).toMatchObject({ error: 'validation_error', details: { consent_given_at: expect.any(Array), consent_text_version: expect.any(Array) } });
    expect(body.message).toMatch(/consent/);
    const badDate = await upload(h.app, created.capture.video.upload_url, 'video', MP4, { ...CONSENT, consent_given_at: 'yesterday' });
    expect(badDate.status).toBe(422);
    expect(h.enqueued).toEqual([]);
  });

  it('takes raw bodies too: the photo as image/jpeg, the video with X-Consent-* headers', async () => {
    const h = harness();
    const created = (await (await createSession(h.app, { profile: { steps: ['selfie', 'video'] } })).json()) as any;
    const selfie = await h.app.request(`${BASE}/v1/sessions/${created.id}/selfie`, { method: 'POST', body: Buffer.from(JPEG), headers: { ...auth(), 'Content-Type': 'image/jpeg' } });
    expect(selfie.status).toBe(201);
    const noConsent = await h.app.request(created.capture.video.upload_url, { method: 'POST', body: Buffer.from(MP4), headers: { 'Content-Type': 'video/mp4' } });
    expect(noConsent.status).toBe(422);
    const video = await h.app.request(created.capture.video.upload_url, {
      method: 'POST',
      body: Buffer.from(MP4),
      headers: { 'Content-Type': 'video/mp4', 'X-Consent-Given-At': '2026-03-18T10:01:00+01:00', 'X-Consent-Text-Version': 'v9', 'User-Agent': 'raw-client' },
    });
    expect(video.status).toBe(201);
    expect(await video.json()).toMatchObject({ bytes: MP4.length, sha256: createHash('sha256').update(MP4).digest('hex'), consent: { given_at: '2026-03-18T10:01:00+01:00', text_version: 'v9', user_agent: 'raw-client' } });
    expect(h.enqueued).toHaveLength(1);
  });

  it('413 for a photo over the limit', async () => {
    const h = harness();
    const created = (await (await createSession(h.app)).json()) as any;
    const big = new Uint8Array(200 * 1024);
    big.set(JPEG);
    const res = await upload(h.app, created.capture.selfie.upload_url, 'image', big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error).toBe('payload_too_large');
  });
});

describe('video, processing, result, review', () => {
  it('records the video with consent, enqueues session.process, serves the result and the video through a signed link', async () => {
    const h = harness(async (input) => {
      expect(input.selfie).toEqual(JPEG);
      expect(input.id).toEqual(JPEG);
      expect(input.video).toEqual(MP4);
      return videoVerification({ idMatch: { score: 74.0, distance: 0.5 } });
    });
    const { id, capture } = await readySession(h);
    const res = await upload(h.app, capture.video!.upload_url, 'video', MP4, CONSENT, { 'User-Agent': 'Mozilla/5.0 test' });
    expect(res.status).toBe(201);
    const uploaded = (await res.json()) as any;
    expect(uploaded).toMatchObject({
      step: 'video',
      content_type: 'video/mp4',
      session_status: 'in_progress',
      job_id: 'job_1',
      consent: { given_at: '2026-03-18T10:01:00Z', text_version: 'video-kyc-v3', ip: '203.0.113.7', user_agent: 'Mozilla/5.0 test' },
    });
    expect(h.enqueued).toEqual([{ type: PROCESS_SESSION_JOB, payload: { sessionId: id }, id: 'job_1' }]);
    expect((await upload(h.app, capture.video!.upload_url, 'video', MP4, CONSENT)).status).toBe(409);

    const pending = (await (await h.app.request(`${BASE}/v1/sessions/${id}/video`, { headers: auth() })).json()) as any;
    expect(pending).toMatchObject({ status: 'in_progress', result: null, face_match_score: null, recorded_at: new Date(T0).toISOString() });

    h.advance(5000);
    await h.runJob(0);
    const videoRes = await h.app.request(`${BASE}/v1/sessions/${id}/video`, { headers: auth() });
    const video = (await videoRes.json()) as any;
    expect(Object.keys(video).sort()).toEqual(
      // Verilock's fields, and the extensions `challenge` and `replayed_recording` (null: no challenge, no replay check here).
      ['session_id', 'video_mode', 'status', 'result', 'video_url', 'duration_seconds', 'face_match_score', 'liveness_score', 'transcript', 'recorded_at', 'reviewed_at', 'challenge', 'replayed_recording'].sort(),
    );
    expect(video).toMatchObject({
      session_id: id,
      video_mode: 'self_record',
      status: 'completed',
      result: 'approved',
      duration_seconds: 10,
      face_match_score: 74, // the weaker of selfie (91.3) and document (74.0)
      liveness_score: 88,
      transcript: null,
      reviewed_at: null,
    });
    expect(h.events).toEqual([{ appId: 'kyc', event: 'video.completed', data: { session_id: id, video_mode: 'self_record', status: 'completed', duration_seconds: 10 } }]);
    expect(h.events[0]!.data.duration_seconds).toBe(10); // 10.02 s to one decimal
    const session = (await (await h.app.request(`${BASE}/v1/sessions/${id}`, { headers: auth() })).json()) as any;
    expect(session.consent).toEqual(uploaded.consent);

    // The signed link serves the exact bytes (and ranges), with no bearer key; it dies after an hour.
    const url = new URL(video.video_url);
    expect(url.pathname).toBe(`/v1/sessions/${id}/video/download`);
    expect(Number(url.searchParams.get('expires')) - Math.floor((T0 + 5000) / 1000)).toBe(3600);
    const download = await h.app.request(video.video_url);
    expect(download.status).toBe(200);
    expect(download.headers.get('Content-Type')).toBe('video/mp4');
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(MP4);
    const part = await h.app.request(video.video_url, { headers: { Range: 'bytes=4-11' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).toString('latin1')).toBe('ftypisom');
    const forged = video.video_url.replace(/signature=[0-9a-f]{4}/, 'signature=0000');
    expect((await h.app.request(forged)).status).toBe(403);
    h.advance(3601 * 1000);
    const late = await h.app.request(video.video_url);
    expect(late.status).toBe(403);
    expect(((await late.json()) as any).error).toBe('link_expired');
  });

  it('review: 409 before completion, then the decision with agent_id/agent_notes and video.reviewed, then 409 again', async () => {
    const h = harness(async () => videoVerification({ livenessScore: 55 }));
    const { id, capture } = await readySession(h);
    await upload(h.app, capture.video!.upload_url, 'video', MP4, CONSENT);
    const review = (body: unknown) => h.app.request(`${BASE}/v1/sessions/${id}/review`, { method: 'POST', body: JSON.stringify(body), headers: { ...auth(), 'Content-Type': 'application/json' } });
    const early = await review({ decision: 'approved', reviewer_id: 'agent_7' });
    expect(early.status).toBe(409);
    expect(((await early.json()) as any).error).toBe('conflict');
    await h.runJob(0);
    const before = (await (await h.app.request(`${BASE}/v1/sessions/${id}/video`, { headers: auth() })).json()) as any;
    expect(before.result).toBe('needs_review');
    expect((await review({ decision: 'maybe', reviewer_id: 'agent_7' })).status).toBe(422);
    h.advance(60_000);
    const done = await review({ decision: 'approved', reviewer_id: 'agent_7', notes: 'checked against passport' });
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ result: 'approved', agent_id: 'agent_7', agent_notes: 'checked against passport', reviewed_at: new Date(T0 + 60_000).toISOString() });
    expect(h.events.map((e) => [e.event, e.data.status])).toEqual([['video.completed', 'completed'], ['video.reviewed', 'approved']]);
    const again = await review({ decision: 'declined', reviewer_id: 'agent_8' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as any).message).toMatch(/already reviewed/);
    const other = await h.app.request(`${BASE}/v1/sessions/${id}/review`, { method: 'POST', body: '{}', headers: { ...auth('other-key'), 'Content-Type': 'application/json' } });
    expect(other.status).toBe(404);
  });

  it('processing: a capture problem declines with a reason; a transient failure is retried, and the last attempt gives up as needs_review', async () => {
    const noFace = harness(async () => {
      throw new AppError('NO_FACE_DETECTED', 'no face detected in any of the 40 frames sampled from the video');
    });
    const a = await readySession(noFace);
    await upload(noFace.app, a.capture.video!.upload_url, 'video', MP4, CONSENT);
    await noFace.runJob(0);
    const session = (await (await noFace.app.request(`${BASE}/v1/sessions/${a.id}`, { headers: auth() })).json()) as any;
    expect(session).toMatchObject({ status: 'completed', result: 'declined', result_reason: expect.stringContaining('no face') });

    let calls = 0;
    const flaky = harness(async () => {
      calls += 1;
      throw new Error('disk hiccup');
    });
    const b = await readySession(flaky);
    await upload(flaky.app, b.capture.video!.upload_url, 'video', MP4, CONSENT);
    await expect(flaky.runJob(0, 1)).rejects.toThrow('disk hiccup');
    expect(((await (await flaky.app.request(`${BASE}/v1/sessions/${b.id}/video`, { headers: auth() })).json()) as any).status).toBe('in_progress');
    await flaky.runJob(0, 3);
    expect(calls).toBe(2);
    const video = (await (await flaky.app.request(`${BASE}/v1/sessions/${b.id}/video`, { headers: auth() })).json()) as any;
    expect(video).toMatchObject({ status: 'completed', result: 'needs_review' });
    // A re-run after completion (at-least-once delivery) changes nothing and emits nothing more.
    await flaky.runJob(0, 3);
    expect(flaky.events).toHaveLength(1);
  });

  it('unknown session 404 on every bearer endpoint', async () => {
    const { app } = harness();
    const id = 'ses_00000000-0000-4000-8000-000000000000';
    for (const [method, url] of [['GET', `/v1/sessions/${id}`], ['GET', `/v1/sessions/${id}/video`], ['POST', `/v1/sessions/${id}/review`], ['GET', `/v1/sessions/${id}/nope`]] as const) {
      const res = await app.request(`${BASE}${url}`, { method, headers: { ...auth(), 'Content-Type': 'application/json' }, ...(method === 'POST' ? { body: '{}' } : {}) });
      expect(res.status, url).toBe(404);
      expect(((await res.json()) as any).error).toBe('not_found');
    }
  });
});
