/**
 * The hosted capture page's HTTP side (issue #7) through app.request(): the page at capture_url with its embedded
 * config and headers, the static assets, every link state (tampered, expired, unknown, done, a live call decided
 * before its recording arrived), and the selfie check on a test double of the checkLiveness use case. The browser side is test/e2e/capture-page.e2e.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { CONSENT_TEXT_VERSION, CONSENT_TEXTS, LIVE_CONSENT_TEXT_VERSION } from '../../src/capture/consent.js';
import { AppError } from '../../src/errors.js';
import { CHALLENGE_ACTIONS, type ChallengeAction } from '../../src/pipeline/challenge.js';
import { challengePromptsFor, VIDEO_LANGUAGES } from '../../src/sessions/prompts.js';
import type { CheckLiveness, LivenessOptions, LivenessOutcome } from '../../src/pipeline/types.js';
import { captureApp } from '../helpers/capture-app.js';
import { closeAfterEach, formData } from '../helpers/contract.js';
import { liveAgentApp } from '../helpers/live-agent-app.js';
import { videoVerification } from '../helpers/video-verification.js';
import { tamperSignature } from '../helpers/tamper.js';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 60 }, (_, i) => i)]);
const T0 = 1_773_828_000_000; // 2026-03-18T10:00:00Z
const BASE = 'http://svc.test';
const verdict = (value: boolean) => ({ value, score: value ? 0.9 : 0.1, confidence: 'high' as const });
/** A liveFace verdict: the plain verdict plus neutral signals and no limitations. */
const liveFace = (value: boolean) => ({ ...verdict(value), signals: { humanLiveness: value ? 0.9 : 0.1, presentationDevice: 0, hands: 0, framingEdges: 0, screenRecapture: 0 }, limitations: [] });

const closeLater = closeAfterEach();

function harness(checkLiveness: CheckLiveness) {
  const built = captureApp(checkLiveness, T0);
  closeLater(built.close);
  return built;
}

type App = ReturnType<typeof harness>['app'];

async function createSession(app: App, profile: Record<string, unknown> = { steps: ['selfie', 'video'], video_max_duration: 20, video_language: 'fr' }) {
  const res = await app.request(`${BASE}/v1/sessions`, {
    method: 'POST',
    body: JSON.stringify({ profile, redirect_url: 'https://app.example/done' }),
    headers: { Authorization: 'Bearer kyc-key', 'Content-Type': 'application/json' },
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; capture_url: string; capture: Record<string, { upload_url: string }> };
}

/** The link with the first hex digit of its signature changed. */

/** The JSON the page embeds. */
const embedded = (html: string) => JSON.parse(html.match(/<script id="capture-config" type="application\/json">(.*?)<\/script>/s)![1]!) as Record<string, any>;

const passing: CheckLiveness = async () => ({
  liveFace: liveFace(true),
  qualityChecks: { dull: verdict(false), eyesClosed: verdict(false), multipleFaces: verdict(false), headTurned: verdict(false) },
});

describe('GET /capture/{id}', () => {
  it('capture_url opens the page with the session capture info embedded, private headers and the French consent', async () => {
    const { app } = harness(passing);
    const session = await createSession(app);
    expect(session.capture_url).toMatch(new RegExp(`^${BASE}/capture/${session.id}\\?expires=\\d+&signature=[0-9a-f]{64}$`));
    const res = await app.request(session.capture_url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain('<html lang="fr">');
    const config = embedded(html);
    expect(config).toMatchObject({
      state: 'ready',
      sessionId: session.id,
      language: 'fr',
      steps: ['selfie', 'video'],
      videoMaxDuration: 20,
      consent: { version: CONSENT_TEXT_VERSION, text: CONSENT_TEXTS.fr.text },
      uploads: { selfie: session.capture.selfie!.upload_url, video: session.capture.video!.upload_url },
      redirectUrl: 'https://app.example/done',
    });
    expect(config.prompts[0].text).toBe("Indiquez votre nom complet et la date d'aujourd'hui");
    expect(config.selfieCheckUrl).toBe(session.capture_url.replace(`/capture/${session.id}?`, `/capture/${session.id}/selfie-check?`));
    // GET /v1/sessions/{id} answers the same link.
    const got = (await (await app.request(`${BASE}/v1/sessions/${session.id}`, { headers: { Authorization: 'Bearer kyc-key' } })).json()) as any;
    expect(got.capture_url).toBe(session.capture_url);
    // The session's active liveness challenge, as the page runs it: the same id, steps and windows as the session's
    // body, each step's prompt in the session's language, and the recording length.
    expect(config.challenge).toEqual({
      id: got.challenge.id,
      recordingSeconds: got.challenge.recording_seconds,
      steps: got.challenge.steps.map((s: any) => ({ action: s.action, windowSeconds: s.window_s, text: challengePromptsFor('fr')[s.action as ChallengeAction] })),
      leadIn: 'Regardez bien la caméra sans bouger',
      tail: "C'est fait. Continuez à regarder la caméra",
    });
  });

  it('a session too short for a challenge runs the fixed prompts (challenge null); every language has every prompt', async () => {
    const { app } = harness(passing);
    const short = await createSession(app, { steps: ['selfie', 'video'], video_max_duration: 8, video_language: 'de' });
    expect(embedded(await (await app.request(short.capture_url)).text()).challenge).toBeNull();
    for (const language of VIDEO_LANGUAGES) {
      const texts = challengePromptsFor(language);
      for (const id of [...CHALLENGE_ACTIONS, 'leadIn', 'tail'] as const) expect(texts[id], `${language} ${id}`).toMatch(/\S/);
      // Each language says each thing differently (no untranslated copy of another action's text).
      expect(new Set(Object.values(texts)).size).toBe(CHALLENGE_ACTIONS.length + 2);
    }
  });

  it('a tampered link is 403, an upload link does not open the page, an expired session is 410, a finished one says so', async () => {
    const { app, advance } = harness(passing);
    const session = await createSession(app);
    const tampered = await app.request(tamperSignature(session.capture_url));
    expect(tampered.status).toBe(403);
    expect(embedded(await tampered.text())).toEqual({ state: 'invalid_link', language: 'en' });
    const uploadQuery = new URL(session.capture.selfie!.upload_url).search;
    expect((await app.request(`${BASE}/capture/${session.id}${uploadQuery}`)).status).toBe(403);

    const form = new FormData();
    form.append('image', new Blob([Buffer.from(JPEG)]), 'selfie.jpg');
    expect((await app.request(session.capture.selfie!.upload_url, { method: 'POST', body: form })).status).toBe(201);
    const video = new FormData();
    video.append('video', new Blob([Buffer.from([0, 0, 0, 0x18, ...Buffer.from('ftypisom'), ...new Array(200).fill(1)])]), 'v.mp4');
    video.append('consent_given_at', '2026-03-18T10:01:00Z');
    video.append('consent_text_version', CONSENT_TEXT_VERSION);
    expect((await app.request(session.capture.video!.upload_url, { method: 'POST', body: video })).status).toBe(201);
    const done = await app.request(session.capture_url);
    expect(done.status).toBe(200);
    expect(embedded(await done.text())).toEqual({ state: 'completed', language: 'fr' });

    const other = await createSession(app);
    advance(3601_000);
    const expired = await app.request(other.capture_url);
    expect(expired.status).toBe(410);
    expect(embedded(await expired.text()).state).toBe('expired');
  });

  it('serves the assets with their content types, a cache lifetime and ETag revalidation', async () => {
    const { app } = harness(passing);
    for (const [file, type] of [
      ['capture.js', 'text/javascript; charset=utf-8'],
      ['capture.css', 'text/css; charset=utf-8'],
    ] as const) {
      const res = await app.request(`${BASE}/capture/assets/${file}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      const etag = res.headers.get('etag')!;
      expect((await res.text()).length).toBeGreaterThan(500);
      expect((await app.request(`${BASE}/capture/assets/${file}`, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    }
    expect((await app.request(`${BASE}/capture/assets/other.js`)).status).toBe(404);
  });
});

describe('GET /capture/{id} of a live call decided before its recording arrived', () => {
  it('embeds only the session id and the recording link while that link is valid, even past the session’s expiry; then the page is 410', async () => {
    const h = liveAgentApp({ t0: T0, verifyVideo: async () => videoVerification() });
    closeLater(h.close);
    const post = (url: string, body: unknown, key = 'kyc-key') =>
      h.app.request(url, { method: 'POST', body: JSON.stringify(body), headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' } });
    // Verilock's shortest lifetime (expires_in 300 s), the photos uploaded, the person in the queue through the page's link.
    const created = (await (await post(`${BASE}/v1/sessions`, { profile: { steps: ['document', 'selfie', 'video'], video_mode: 'live_agent' }, expires_in: 300 })).json()) as any;
    expect((await h.app.request(created.capture.document.upload_url, { method: 'POST', body: formData({ front: JPEG, type: 'passport' }) })).status).toBe(201);
    expect((await h.app.request(created.capture.selfie.upload_url, { method: 'POST', body: formData({ image: JPEG }) })).status).toBe(201);
    const ready = embedded(await (await h.app.request(created.capture_url)).text());
    expect(ready).toMatchObject({ state: 'ready', sessionId: created.id, videoMode: 'live_agent' });
    expect((await h.app.request(ready.live.join_url, { method: 'POST', body: JSON.stringify({ consent_given_at: '2026-03-18T10:01:00Z', consent_text_version: LIVE_CONSENT_TEXT_VERSION }), headers: { 'Content-Type': 'application/json' } })).status).toBe(200);
    const agent = (await (await post(`${BASE}/v1/agents`, { name: 'Ana' })).json()) as { token: string };
    const call = (await (await h.app.request(`${BASE}/v1/agent/calls`, { method: 'POST', headers: { Authorization: `Bearer ${agent.token}` } })).json()) as { call_id: string };
    // Decided 10 s before the session expires: the recording link is valid LIVE_RECORDING_UPLOAD_SECONDS (30 min here) from then.
    h.clock.advance(290_000);
    expect((await post(`${BASE}/v1/agent/calls/${call.call_id}/decision`, { result: 'approved', notes: 'Seen on the call.' }, agent.token)).status).toBe(200);
    const linkExpiresAt = T0 + 290_000 + 1_800_000;
    const pending = {
      state: 'completed',
      language: 'en',
      sessionId: created.id,
      pendingRecording: {
        upload_url: expect.stringMatching(new RegExp(`^${BASE}/v1/sessions/${created.id}/video\\?expires=${linkExpiresAt / 1000}&signature=[0-9a-f]{64}$`)),
        expires_at: new Date(linkExpiresAt).toISOString(),
      },
    };
    const reopened = await h.app.request(created.capture_url);
    expect(reopened.status).toBe(200);
    expect(embedded(await reopened.text())).toEqual(pending);
    // Past the session's expiry (its page link's too), the link still open: the same.
    h.clock.advance(100_000);
    const late = await h.app.request(created.capture_url);
    expect(late.status).toBe(200);
    expect(embedded(await late.text())).toEqual(pending);
    // Past the recording link's expiry: nothing left to send, the page is an expired one.
    h.clock.advance(linkExpiresAt - h.clock.ms);
    const gone = await h.app.request(created.capture_url);
    expect(gone.status).toBe(410);
    expect(embedded(await gone.text())).toEqual({ state: 'expired', language: 'en' });
  });
});

describe('POST /capture/{id}/selfie-check', () => {
  it('runs the four fixable quality checks and answers advice for the failed ones; no face is advice too', async () => {
    const calls: LivenessOptions[] = [];
    let outcome: LivenessOutcome | Error = new Error('unset');
    const { app } = harness(async (_bytes, options) => {
      calls.push(options);
      if (outcome instanceof Error) throw outcome;
      return outcome;
    });
    const session = await createSession(app);
    const checkUrl = session.capture_url.replace(`/capture/${session.id}?`, `/capture/${session.id}/selfie-check?`);
    const post = (url = checkUrl) => app.request(url, { method: 'POST', body: Buffer.from(JPEG), headers: { 'Content-Type': 'image/jpeg' } });

    outcome = { liveFace: liveFace(true), qualityChecks: { dull: verdict(true), eyesClosed: verdict(false), multipleFaces: verdict(true), headTurned: verdict(false) } };
    const res = await post();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ok: false,
      issues: [
        { check: 'dull', message: expect.stringMatching(/too dark/) },
        { check: 'multipleFaces', message: expect.stringMatching(/More than one face/) },
      ],
    });
    expect(calls[0]).toEqual({ qualityChecks: ['dull', 'eyesClosed', 'multipleFaces', 'headTurned'], ageRange: false, gender: false, croppedImage: false });

    outcome = await passing(JPEG, calls[0]!);
    expect(await (await post()).json()).toEqual({ ok: true, issues: [] });

    outcome = new AppError('NO_FACE_DETECTED', 'no face');
    expect(await (await post()).json()).toEqual({ ok: false, issues: [{ check: 'noFace', message: expect.stringMatching(/No face found/) }] });

    outcome = new AppError('UNSUPPORTED_FILE_TYPE', 'not an image');
    expect((await post()).status).toBe(400);
    expect((await post(tamperSignature(checkUrl))).status).toBe(403);
  });

  it('allows 20 checks per session and minute', async () => {
    const { app, advance } = harness(passing);
    const session = await createSession(app);
    const checkUrl = session.capture_url.replace(`/capture/${session.id}?`, `/capture/${session.id}/selfie-check?`);
    const post = () => app.request(checkUrl, { method: 'POST', body: Buffer.from(JPEG), headers: { 'Content-Type': 'image/jpeg' } });
    for (let i = 0; i < 20; i++) expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(429);
    advance(60_000);
    expect((await post()).status).toBe(200);
  });
});
