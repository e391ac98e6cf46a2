/**
 * The automatic checks an agent sees in a live call (src/app/live-checks.ts, README "Live agent mode"), with the real
 * embedded models on real photos, and through a call of the live agent API (the real LiveCalls and routes; only the
 * recording's verifyVideo is a double): the session's selfie and document photo are two webcam stills of one person
 * (liveness/mdoru live), the agent's snapshots are that person live, a phone held up to the camera showing them
 * (liveness/mdoru spoof, a screen replay) and somebody else (identity/…/obama).
 * - createLiveChecker: liveness (0–100) separates the live still from the replay; the face match (0–100, 50 at the
 *   threshold) is over 50 for the same person and under 50 for somebody else; no face → null scores, not 0.
 * - In a call: each snapshot gets its own scores and the running ones (`so_far`: mean liveness, lowest match) while the
 *   selfie's checks of the take stay as they were; the agent's approval completes the session `approved` whatever the
 *   snapshots scored, and the video result's scores stay empty (they are the recording's, filled by its processing):
 *   the snapshot scores are kept apart from the decision.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLiveChecker } from '../../src/app/live-checks.js';
import { ConcurrencyLimiter } from '../../src/http/concurrency.js';
import { liveLinks } from '../../src/http/routes/sessions.js';
import { UrlSigner } from '../../src/http/signed-url.js';
import { ModelRegistry } from '../../src/inference/registry.js';
import { DEFAULT_SESSION_OPTIONS } from '../../src/inference/session.js';
import { createCheckLiveness } from '../../src/pipeline/check-liveness.js';
import { createMatchFace } from '../../src/pipeline/match-face.js';
import { checksBody, type LiveChecker } from '../../src/sessions/live-calls.js';
import { closeAfterEach, formData, TEST_SIGNING_SECRET } from '../helpers/contract.js';
import { liveAgentApp } from '../helpers/live-agent-app.js';
import { repoRoot, sharedData } from '../helpers/reference.js';
import { videoVerification } from '../helpers/video-verification.js';

const bytes = (rel: string) => new Uint8Array(readFileSync(sharedData(rel)));
const SELFIE = 'liveness/mdoru/live/face.jpg';
const DOCUMENT = 'liveness/mdoru/live/face2.jpg';
const SPOOF = 'liveness/mdoru/spoof/spoofFace.jpg';
const SOMEBODY_ELSE = 'identity/face_recognition_ageitgey/obama/obama.jpg';
const NO_FACE = 'attributes/faceapi/white.png';

const T0 = 1_773_828_000_000; // 2026-03-18T10:00:00Z
const BASE = 'http://svc.test';
const CONSENT = { consent_given_at: '2026-03-18T10:01:00Z', consent_text_version: 'capture-page-live-consent-v1' };
const json = (body: unknown, headers: Record<string, string> = {}) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } });
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

describe('createLiveChecker (embedded models, real photos)', () => {
  let registry: ModelRegistry;
  let checker: LiveChecker;
  const logged: string[] = [];
  beforeAll(async () => {
    registry = await ModelRegistry.load(path.join(repoRoot, 'models'), DEFAULT_SESSION_OPTIONS);
    checker = createLiveChecker({
      checkLiveness: createCheckLiveness(registry, { maxPixels: 50_000_000 }),
      matchFace: createMatchFace(registry, { maxPixels: 50_000_000 }),
      // The service's inference slots (INFERENCE_CONCURRENCY); one is enough for these sequential checks.
      concurrency: new ConcurrencyLimiter(1, 8),
      log: (message) => logged.push(message),
    });
  });
  afterAll(async () => registry?.dispose());

  it('scores a live still above a phone replay of the same person, a match of the same person over 50, of somebody else under 50', async () => {
    const references = [bytes(SELFIE), bytes(DOCUMENT)];
    const live = await checker({ face: bytes(DOCUMENT), references: [bytes(SELFIE)] });
    const spoof = await checker({ face: bytes(SPOOF), references });
    const other = await checker({ face: bytes(SOMEBODY_ELSE), references });
    console.log(`live ${JSON.stringify(live)}, phone replay ${JSON.stringify(spoof)}, somebody else ${JSON.stringify(other)}`);
    for (const checks of [live, spoof, other]) {
      expect(checks.livenessScore).toBeGreaterThanOrEqual(0);
      expect(checks.livenessScore).toBeLessThanOrEqual(100);
      expect(checks.faceMatchScore).toBeGreaterThanOrEqual(0);
      expect(checks.faceMatchScore).toBeLessThanOrEqual(100);
    }
    expect(live.livenessScore!).toBeGreaterThan(50);
    expect(spoof.livenessScore!).toBeLessThan(50);
    expect(live.faceMatchScore!).toBeGreaterThan(50);
    expect(other.faceMatchScore!).toBeLessThan(50);
  });

  it('answers null (not 0) for a score it cannot compute: no face in the image, and says why in the log', async () => {
    const none = await checker({ face: bytes(NO_FACE), references: [bytes(SELFIE)] });
    expect(none).toEqual({ livenessScore: null, faceMatchScore: null });
    expect(logged.some((m) => /liveness not computed/.test(m))).toBe(true);
    // No references: a liveness score, no match.
    const alone = await checker({ face: bytes(SELFIE), references: [] });
    expect(alone.livenessScore!).toBeGreaterThan(50);
    expect(alone.faceMatchScore).toBeNull();
  });

  describe('in a call: snapshot scores kept apart from the selfie checks and from the decision', () => {
    const closeLater = closeAfterEach();

    it('scores each snapshot and the snapshots so far, leaves the take\'s checks alone, and the approval stands over a replayed snapshot', async () => {
      const h = liveAgentApp({ t0: T0, verifyVideo: async () => videoVerification(), checker, imageBytes: 1024 * 1024 });
      closeLater(h.close);
      const profile = { steps: ['document', 'selfie', 'video'], video_mode: 'live_agent' };
      const created = (await (await h.app.request(`${BASE}/v1/sessions`, json({ profile }, bearer('kyc-key')))).json()) as any;
      expect((await h.app.request(created.capture.document.upload_url, { method: 'POST', body: formData({ front: bytes(DOCUMENT), type: 'id_card' }) })).status).toBe(201);
      expect((await h.app.request(created.capture.selfie.upload_url, { method: 'POST', body: formData({ image: bytes(SELFIE) }) })).status).toBe(201);
      const links = liveLinks(BASE, new UrlSigner(TEST_SIGNING_SECRET, 3600, h.clock.seconds), (await h.sessions.get(created.id))!);
      expect((await h.app.request(links.join_url, json(CONSENT))).status).toBe(200);
      const agent = (await (await h.app.request(`${BASE}/v1/agents`, json({ name: 'Ana' }, bearer('kyc-key')))).json()) as any;
      const take = await h.app.request(`${BASE}/v1/agent/calls`, { method: 'POST', headers: bearer(agent.token) });
      expect(take.status).toBe(201);
      const call = (await take.json()) as any;
      // The take's checks: the selfie's liveness and its match with the document photo (the same person).
      expect(call.checks.liveness_score).toBeGreaterThan(50);
      expect(call.checks.face_match_score).toBeGreaterThan(50);

      const snapshot = async (rel: string) => {
        const res = await h.app.request(`${BASE}/v1/agent/calls/${call.call_id}/snapshots`, { method: 'POST', body: bytes(rel), headers: { ...bearer(agent.token), 'Content-Type': 'image/jpeg' } });
        expect(res.status).toBe(201);
        // A second between snapshots, as an agent takes them (the stored order is by time).
        h.clock.advance(1000);
        return (await res.json()) as any;
      };
      const live = await snapshot(DOCUMENT);
      const replay = await snapshot(SPOOF);
      const other = await snapshot(SOMEBODY_ELSE);
      console.log(`take ${JSON.stringify(call.checks)}; snapshots: live ${JSON.stringify(live)}, replay ${JSON.stringify(replay)}, other ${JSON.stringify(other)}`);
      expect(live.checks.liveness_score).toBeGreaterThan(50);
      expect(replay.checks.liveness_score).toBeLessThan(50);
      expect(other.checks.face_match_score).toBeLessThan(50);
      // so_far: the mean liveness of the snapshots (one decimal on the wire) and their lowest match.
      expect(live.so_far).toEqual({ snapshots: 1, liveness_score: live.checks.liveness_score, face_match_score: live.checks.face_match_score });
      expect(replay.so_far.snapshots).toBe(2);
      expect(replay.so_far.liveness_score).toBeCloseTo((live.checks.liveness_score + replay.checks.liveness_score) / 2, 0);
      expect(other.so_far.snapshots).toBe(3);
      expect(other.so_far.face_match_score).toBe(Math.min(live.checks.face_match_score, replay.checks.face_match_score, other.checks.face_match_score));
      // Each snapshot is stored with its own checks; the take's checks (the selfie's) are not replaced by them.
      expect((await h.live.snapshots(created.id)).map((s) => s.id)).toEqual([live.id, replay.id, other.id]);
      expect(checksBody((await h.live['deps'].live.call(call.call_id))!.checks)).toEqual(call.checks);
      const stored = await h.app.request(`${BASE}/v1/agent/calls/${call.call_id}/decision`, json({ result: 'approved', notes: 'document shown, answers matched' }, bearer(agent.token)));
      expect(stored.status).toBe(200);
      const decided = (await stored.json()) as any;
      // The agent's decision is the result; no score of a snapshot leaks into the session's own (the recording's).
      expect(decided).toMatchObject({ status: 'completed', result: 'approved', agent_id: agent.id, face_match_score: null, liveness_score: null, video_url: null });
      const session = (await h.sessions.get(created.id))!;
      expect(session).toMatchObject({ result: 'approved', scores: null });
    });
  });
});
