/**
 * Live agent mode (issue #21, README "Live agent mode") through app.request(), without a browser: the person's signed
 * live links and the agent's Bearer token, on the real SQLite stores, the real webhook dispatcher (a recording fetch)
 * and the real `session.process` handler (a verifyVideo double). Signaling messages are relayed as opaque JSON and
 * read back from the Server-Sent Events streams. The clocks (queue wait, call timeout, drop grace) move with the test's
 * clock and `sweep()`.
 */
import { describe, expect, it } from 'vitest';
import { liveLinks } from '../../src/http/routes/sessions.js';
import { verifySignature } from '../../src/webhooks/sign.js';
import { closeAfterEach, formData, TEST_SIGNING_SECRET } from '../helpers/contract.js';
import { LIVE_WEBHOOK_SECRET, liveAgentApp } from '../helpers/live-agent-app.js';
import { readEventStream } from '../helpers/server-sent-events.js';
import { videoVerification } from '../helpers/video-verification.js';
import { UrlSigner } from '../../src/http/signed-url.js';
import { TurnSettings } from '../../src/config.js';
import { createHmac } from 'node:crypto';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 60 }, (_, i) => i)]);
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...Array.from({ length: 60 }, (_, i) => i)]);
const WEBM = new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, ...Array.from({ length: 500 }, (_, i) => i % 251)]);
const T0 = 1_773_828_000_000; // 2026-03-18T10:00:00Z
const BASE = 'http://svc.test';
const OFFER = { type: 'offer', sdp: 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n' };
const ANSWER = { type: 'answer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n' };
const CANDIDATE = { type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 54400 typ host', sdpMid: '0', sdpMLineIndex: 0 } };
const CONSENT = { consent_given_at: '2026-03-18T10:01:00Z', consent_text_version: 'capture-page-live-consent-v1' };

const closeLater = closeAfterEach();

/** The call's recording as the verifyVideo double reports it: 42.4 s (a call lasts longer than a self-recorded video). */
const outcome = (overrides: Parameters<typeof videoVerification>[0] = {}) => videoVerification({ durationSeconds: 42.4, ...overrides });

function harness(options: Partial<Parameters<typeof liveAgentApp>[0]> = {}) {
  const h = liveAgentApp({ t0: T0, verifyVideo: async () => outcome(), ...options });
  closeLater(h.close);
  return h;
}
type Harness = ReturnType<typeof harness>;

const json = (body: unknown, headers: Record<string, string> = {}) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } });
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/** A live_agent session with its photos uploaded (unless `photos: false`); its capture links and the person's live links. */
async function liveSession(h: Harness, options: { photos?: boolean; key?: string; expiresIn?: number } = {}) {
  const profile = { steps: ['document', 'selfie', 'video'], video_mode: 'live_agent' };
  const res = await h.app.request(`${BASE}/v1/sessions`, json(options.expiresIn === undefined ? { profile } : { profile, expires_in: options.expiresIn }, bearer(options.key ?? 'kyc-key')));
  expect(res.status).toBe(201);
  const created = (await res.json()) as any;
  if (options.photos !== false) {
    expect((await h.app.request(created.capture.document.upload_url, { method: 'POST', body: formData({ front: JPEG, type: 'passport' }) })).status).toBe(201);
    expect((await h.app.request(created.capture.selfie.upload_url, { method: 'POST', body: formData({ image: JPEG }) })).status).toBe(201);
  }
  const session = (await h.sessions.get(created.id))!;
  const links = liveLinks(BASE, new UrlSigner(TEST_SIGNING_SECRET, 3600, h.clock.seconds), session);
  return { id: created.id as string, created, links };
}

async function newAgent(h: Harness, name = 'Ana', key = 'kyc-key') {
  const res = await h.app.request(`${BASE}/v1/agents`, json({ name }, bearer(key)));
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; name: string; token: string; created_at: string };
}

const join = (h: Harness, links: { join_url: string }, body: unknown = CONSENT) => h.app.request(links.join_url, json(body, { 'User-Agent': 'capture-page/1' }));
const getSession = async (h: Harness, id: string) => (await (await h.app.request(`${BASE}/v1/sessions/${id}`, { headers: bearer('kyc-key') })).json()) as any;
const take = (h: Harness, token: string) => h.app.request(`${BASE}/v1/agent/calls`, { method: 'POST', headers: bearer(token) });
const agentPost = (h: Harness, token: string, path: string, body?: unknown) =>
  h.app.request(`${BASE}/v1/agent/calls/${path}`, body === undefined ? { method: 'POST', headers: bearer(token) } : json(body, bearer(token)));

/** The live streams as the page and the console read them: status and type checked, events within 1 s unless told. */
function sse(res: Response) {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return readEventStream(res, 1000);
}

const personEvents = async (h: Harness, links: { events_url: string }) => sse(await h.app.request(links.events_url));
const agentEvents = async (h: Harness, token: string, callId: string) => sse(await h.app.request(`${BASE}/v1/agent/calls/${callId}/events`, { headers: bearer(token) }));

describe('live agent mode: the full call without a browser', () => {
  it('create → photos → join → take → signals both ways → prompt → snapshot → decision → webhooks → recording processed', async () => {
    // The selfie (a JPEG) scores 97.04 live; the snapshots (PNGs) score what `snapshotScores` says, one each.
    const snapshotScores = [
      { livenessScore: 61.26, faceMatchScore: 88.26 },
      { livenessScore: 80, faceMatchScore: 70.04 },
      { livenessScore: null, faceMatchScore: null },
    ];
    const h = harness({
      iceServers: [{ urls: 'stun:stun.example.com:3478' }],
      checker: async ({ face, references }) => (face[0] === 0x89 ? snapshotScores.shift()! : { livenessScore: 97.04, faceMatchScore: references.length > 0 ? 88.26 : null }),
    });
    const { id, created, links } = await liveSession(h);
    expect(created).toMatchObject({ status: 'pending', profile: { video_mode: 'live_agent' }, challenge: null, live: { state: 'not_joined', queue_position: null } });
    const agent = await newAgent(h);
    expect(agent.token).toMatch(/^agt_[A-Za-z0-9_-]{43}$/);
    expect(await (await h.app.request(`${BASE}/v1/agent/me`, { headers: bearer(agent.token) })).json()).toEqual({ id: agent.id, name: 'Ana', app_id: 'kyc' });

    // The person joins with their consent and waits.
    const person = await personEvents(h, links);
    const joined = await join(h, links);
    expect(joined.status).toBe(200);
    expect(await joined.json()).toEqual({ state: 'waiting', queue_position: 1, wait_expires_at: new Date(T0 + 60_000).toISOString() });
    expect((await person.next('queue')).data).toEqual({ queue_position: 1, wait_expires_at: new Date(T0 + 60_000).toISOString() });
    const waiting = await getSession(h, id);
    expect(waiting).toMatchObject({ status: 'in_progress', consent: { text_version: 'capture-page-live-consent-v1', user_agent: 'capture-page/1' } });
    expect(waiting.live).toEqual({ state: 'waiting', queue_position: 1, agent_id: null, call_id: null, wait_expires_at: new Date(T0 + 60_000).toISOString(), last_call_end: null });
    const queue = await (await h.app.request(`${BASE}/v1/agent/queue`, { headers: bearer(agent.token) })).json();
    expect(queue).toEqual({ waiting: [{ session_id: id, queue_position: 1, waiting_since: new Date(T0).toISOString() }], active_call: null });

    // The agent takes them: the person's page is told to call, the agent gets the photos and the checks.
    const taken = await take(h, agent.token);
    expect(taken.status).toBe(201);
    const call = (await taken.json()) as any;
    expect(call).toMatchObject({ session_id: id, ice_servers: [{ urls: 'stun:stun.example.com:3478' }], checks: { face_match_score: 88.3, liveness_score: 97 } });
    expect(call.call_id).toMatch(/^call_[0-9a-f-]{36}$/);
    const selfie = await h.app.request(call.selfie_url);
    expect(selfie.status).toBe(200);
    expect(selfie.headers.get('content-type')).toBe('image/jpeg');
    expect(new Uint8Array(await selfie.arrayBuffer())).toEqual(JPEG);
    expect((await h.app.request(call.document_url)).status).toBe(200);
    expect((await h.app.request(call.selfie_url.replace(/signature=[0-9a-f]{4}/, 'signature=0000'))).status).toBe(403);
    expect((await person.next('call')).data).toEqual({ call_id: call.call_id, agent_id: agent.id, ice_servers: [{ urls: 'stun:stun.example.com:3478' }] });
    expect((await getSession(h, id)).live).toMatchObject({ state: 'in_call', queue_position: null, agent_id: agent.id, call_id: call.call_id });

    // The person offers before the agent's console opened its stream: the offer is kept and delivered on connect.
    expect((await h.app.request(links.signal_url, json(OFFER))).status).toBe(204);
    expect((await h.app.request(links.signal_url, json(CANDIDATE))).status).toBe(204);
    const console_ = await agentEvents(h, agent.token, call.call_id);
    expect((await console_.next('checks')).data).toEqual({ face_match_score: 88.3, liveness_score: 97 });
    expect((await console_.next('signal')).data).toEqual({ ...OFFER, call_id: call.call_id });
    expect((await console_.next('signal')).data).toEqual({ ...CANDIDATE, call_id: call.call_id });
    expect((await agentPost(h, agent.token, `${call.call_id}/signal`, ANSWER)).status).toBe(204);
    expect((await agentPost(h, agent.token, `${call.call_id}/signal`, { type: 'candidate', candidate: null })).status).toBe(204);
    expect((await person.next('signal')).data).toEqual({ ...ANSWER, call_id: call.call_id });
    expect((await person.next('signal')).data).toEqual({ type: 'candidate', candidate: null, call_id: call.call_id });
    // Each side may only send its own half of the negotiation.
    expect((await h.app.request(links.signal_url, json(ANSWER))).status).toBe(422);
    expect((await agentPost(h, agent.token, `${call.call_id}/signal`, OFFER)).status).toBe(422);

    // Prompts and snapshots.
    expect((await agentPost(h, agent.token, `${call.call_id}/prompts`, { text: 'Show the front of your document' })).status).toBe(204);
    expect((await person.next('prompt')).data).toEqual({ text: 'Show the front of your document', call_id: call.call_id });
    expect((await agentPost(h, agent.token, `${call.call_id}/prompts`, { text: 'x'.repeat(201) })).status).toBe(422);
    const takeSnapshot = async () => {
      const res = await h.app.request(`${BASE}/v1/agent/calls/${call.call_id}/snapshots`, { method: 'POST', body: PNG, headers: { ...bearer(agent.token), 'Content-Type': 'image/png' } });
      expect(res.status).toBe(201);
      return (await res.json()) as any;
    };
    // Each snapshot answers its own checks and those of the call's snapshots so far (liveness: the mean; face match:
    // the lowest); the selfie's checks stay what the agent was shown at the take.
    const snapshot = await takeSnapshot();
    expect(snapshot).toEqual({ id: expect.stringMatching(/^snp_/), checks: { face_match_score: 88.3, liveness_score: 61.3 }, so_far: { snapshots: 1, liveness_score: 61.3, face_match_score: 88.3 } });
    expect((await console_.next('snapshot_checks')).data).toEqual({ snapshot_id: snapshot.id, face_match_score: 88.3, liveness_score: 61.3, so_far: { snapshots: 1, liveness_score: 61.3, face_match_score: 88.3 } });
    h.clock.advance(1000);
    const second = await takeSnapshot();
    expect(second).toMatchObject({ checks: { face_match_score: 70, liveness_score: 80 }, so_far: { snapshots: 2, liveness_score: 70.6, face_match_score: 70 } });
    // A snapshot without a face: its scores are null, and the scores so far are those of the others.
    h.clock.advance(1000);
    const third = await takeSnapshot();
    expect(third).toMatchObject({ checks: { face_match_score: null, liveness_score: null }, so_far: { snapshots: 3, liveness_score: 70.6, face_match_score: 70 } });
    expect((await h.live['deps'].live.call(call.call_id))?.checks).toEqual({ faceMatchScore: 88.26, livenessScore: 97.04 });
    // A console that reconnects is told the selfie's checks, then each snapshot's.
    const reconnected = await agentEvents(h, agent.token, call.call_id);
    expect((await reconnected.next('checks')).data).toEqual({ face_match_score: 88.3, liveness_score: 97 });
    expect((await reconnected.next('snapshot_checks')).data).toMatchObject({ snapshot_id: snapshot.id, liveness_score: 61.3, so_far: { snapshots: 1 } });
    expect((await reconnected.next('snapshot_checks')).data).toMatchObject({ snapshot_id: second.id, so_far: { snapshots: 2, liveness_score: 70.6 } });
    expect((await reconnected.next('snapshot_checks')).data).toMatchObject({ snapshot_id: third.id, so_far: { snapshots: 3, liveness_score: 70.6, face_match_score: 70 } });
    reconnected.close();
    const stored = await h.live['deps'].live.snapshots(id);
    expect(stored).toHaveLength(3);
    expect((await h.media.get(stored[0]!.mediaId))?.contentType).toBe('image/png');

    // The recording is taken only after the decision.
    const early = await h.app.request(created.capture.video.upload_url, { method: 'POST', body: formData({ video: WEBM, ...CONSENT }) });
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({ error: 'conflict', details: { reason: 'live_not_decided' } });

    // The decision completes the session and sends both webhooks.
    h.clock.advance(93_000);
    const decided = await agentPost(h, agent.token, `${call.call_id}/decision`, { result: 'approved', notes: 'Document and face match; answered all questions.' });
    expect(decided.status).toBe(200);
    expect(await decided.json()).toMatchObject({
      session_id: id,
      video_mode: 'live_agent',
      status: 'completed',
      result: 'approved',
      agent_id: agent.id,
      agent_notes: 'Document and face match; answered all questions.',
      reviewed_at: new Date(T0 + 95_000).toISOString(),
      video_url: null,
    });
    // The person's page is handed the link for the call's recording, valid LIVE_RECORDING_UPLOAD_SECONDS (30 min here).
    const ended = (await person.next('ended')).data;
    expect(ended).toEqual({
      reason: 'decided',
      result: 'approved',
      call_id: call.call_id,
      recording_upload_url: expect.stringMatching(new RegExp(`^${BASE}/v1/sessions/${id}/video\\?expires=${(T0 + 95_000 + 1_800_000) / 1000}&signature=[0-9a-f]{64}$`)),
      recording_upload_expires_at: new Date(T0 + 95_000 + 1_800_000).toISOString(),
    });
    expect((await console_.next('ended')).data).toEqual({ reason: 'decided', result: 'approved' });
    expect((await getSession(h, id)).live).toMatchObject({ state: 'ended', agent_id: agent.id, call_id: call.call_id, last_call_end: 'decided' });
    await h.webhooks.deliverDue();
    expect(h.delivered.map((d) => JSON.parse(d.body).event).sort()).toEqual(['video.completed', 'video.reviewed']);
    for (const hook of h.delivered) {
      expect(hook.url).toBe('https://kyc.example/hooks');
      expect(verifySignature(LIVE_WEBHOOK_SECRET, hook.body, hook.headers.get('X-Webhook-Signature'), { nowSeconds: h.clock.seconds() })).toEqual({ ok: true, timestampSeconds: h.clock.seconds() });
      expect(JSON.parse(hook.body).data).toMatchObject({ session_id: id, video_mode: 'live_agent' });
    }
    expect(JSON.parse(h.delivered.find((d) => d.body.includes('video.reviewed'))!.body).data.status).toBe('approved');
    // A second decision (or a reviewer's) is refused: the agent's decision stands.
    expect((await agentPost(h, agent.token, `${call.call_id}/decision`, { result: 'declined', notes: '' })).status).toBe(409);
    const review = await h.app.request(`${BASE}/v1/sessions/${id}/review`, json({ decision: 'declined', reviewer_id: 'r1' }, bearer('kyc-key')));
    expect(review.status).toBe(409);

    // The person's recording (through the link of the decision) goes through the same processing: scores and video_url,
    // the result untouched.
    const upload = await h.app.request(ended.recording_upload_url, { method: 'POST', body: formData({ video: WEBM, ...CONSENT }) });
    expect(upload.status).toBe(201);
    expect(await upload.json()).toMatchObject({ session_status: 'completed', challenge_id: null, job_id: 'job_1' });
    await h.runJobs();
    const video = (await (await h.app.request(`${BASE}/v1/sessions/${id}/video`, { headers: bearer('kyc-key') })).json()) as any;
    expect(video).toMatchObject({ status: 'completed', result: 'approved', agent_id: agent.id, duration_seconds: 42, face_match_score: 91.3, liveness_score: 88 });
    expect(video.video_url).toMatch(new RegExp(`^${BASE}/v1/sessions/${id}/video/download\\?expires=\\d+&signature=[0-9a-f]{64}$`));
    // The agent's snapshot is part of the evidence, behind its own signed link.
    expect(video.snapshots).toHaveLength(3);
    expect(video.snapshots.slice(0, 1)).toEqual([{ id: snapshot.id, taken_at: new Date(T0).toISOString(), url: expect.stringMatching(new RegExp(`^${BASE}/v1/sessions/${id}/snapshots/${snapshot.id}\\?expires=\\d+&signature=[0-9a-f]{64}$`)) }]);
    const image = await h.app.request(video.snapshots[0].url);
    expect(image.status).toBe(200);
    expect(new Uint8Array(await image.arrayBuffer())).toEqual(PNG);
    const tampered = video.snapshots[0].url.replace(/signature=([0-9a-f])/, (_: string, first: string) => `signature=${first === '0' ? '1' : '0'}`);
    expect((await h.app.request(tampered)).status).toBe(403);
    const download = await h.app.request(video.video_url);
    expect(download.status).toBe(200);
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(WEBM);
    // Processing sent no third webhook.
    await h.webhooks.deliverDue();
    expect(h.delivered).toHaveLength(2);
    person.close();
    console_.close();
  });

  it('keeps a declined agent decision even when the automatic checks would approve, and an approval when they would decline', async () => {
    for (const [agentResult, livenessScore] of [
      ['declined', 95],
      ['approved', 3],
    ] as const) {
      const h = harness({ verifyVideo: async () => outcome({ livenessScore }) });
      const { id, created, links } = await liveSession(h);
      const agent = await newAgent(h);
      await join(h, links);
      const call = (await (await take(h, agent.token)).json()) as any;
      expect((await agentPost(h, agent.token, `${call.call_id}/decision`, { result: agentResult, notes: 'n' })).status).toBe(200);
      expect((await h.app.request(created.capture.video.upload_url, { method: 'POST', body: formData({ video: WEBM, ...CONSENT }) })).status).toBe(201);
      await h.runJobs();
      const video = (await (await h.app.request(`${BASE}/v1/sessions/${id}/video`, { headers: bearer('kyc-key') })).json()) as any;
      expect(video).toMatchObject({ result: agentResult, liveness_score: livenessScore, agent_id: agent.id });
    }
  });
});

describe('live agent mode: time-limited TURN credentials (TURN_URLS, TURN_SHARED_SECRET)', () => {
  it('hands each side of each call its own TURN credentials, valid TURN_CREDENTIAL_TTL_SECONDS, next to ICE_SERVERS', async () => {
    const secret = 'coturn-static-auth-secret-0123456789abcdef';
    const h = harness({ iceServers: [{ urls: 'stun:stun.example.com:3478' }], turn: new TurnSettings(['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349'], secret, 2100) });
    const { links } = await liveSession(h);
    const agent = await newAgent(h);
    const person = await personEvents(h, links);
    await join(h, links);
    const call = (await (await take(h, agent.token)).json()) as any;
    const personCall = (await person.next('call')).data;
    const expiry = T0 / 1000 + 2100;
    const hmac = (username: string) => createHmac('sha1', secret).update(username).digest('base64');
    for (const [servers, side] of [
      [call.ice_servers, 'agent'],
      [personCall.ice_servers, 'person'],
    ] as const) {
      const username = `${expiry}:${call.call_id}-${side}`;
      expect(servers).toEqual([
        { urls: 'stun:stun.example.com:3478' },
        { urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349'], username, credential: hmac(username) },
      ]);
    }
    // The capture page's own configuration carries no TURN credentials: they come with a call only.
    expect(h.live.iceServers).toEqual([{ urls: 'stun:stun.example.com:3478' }]);
    person.close();
  });
});

describe('live agent mode: the recording after a decision near the session’s expiry', () => {
  it('hands the person a recording link valid LIVE_RECORDING_UPLOAD_SECONDS after the decision, past the session’s expiry; used once', async () => {
    const h = harness();
    // Two sessions of Verilock's shortest lifetime (expires_in 300 s), each taken by its own agent, both decided 10 s
    // before the sessions expire (their capture links with them).
    const sessions = [await liveSession(h, { expiresIn: 300 }), await liveSession(h, { expiresIn: 300 })];
    expect(Date.parse(sessions[0]!.created.expires_at)).toBe(T0 + 300_000);
    const persons = [];
    for (const s of sessions) {
      persons.push(await personEvents(h, s.links));
      expect((await join(h, s.links)).status).toBe(200);
      // One after the other: the queue is first come, first served.
      h.clock.advance(1000);
    }
    const agents = [await newAgent(h, 'Ana'), await newAgent(h, 'Ben')];
    const calls = [];
    for (const agent of agents) calls.push((await (await take(h, agent.token)).json()) as any);
    expect(calls.map((c) => c.session_id)).toEqual(sessions.map((s) => s.id));
    h.clock.advance(288_000);
    const links: string[] = [];
    for (const [i, call] of calls.entries()) {
      expect((await agentPost(h, agents[i]!.token, `${call.call_id}/decision`, { result: 'approved', notes: 'Seen on the call.' })).status).toBe(200);
      const ended = (await persons[i]!.next('ended')).data;
      expect(ended.recording_upload_expires_at).toBe(new Date(T0 + 290_000 + 1_800_000).toISOString());
      links.push(ended.recording_upload_url);
    }
    // A page that reconnects before the session expires is told the same link again.
    const again = await personEvents(h, sessions[0]!.links);
    expect((await again.next('ended')).data).toMatchObject({ reason: 'decided', recording_upload_url: links[0] });
    again.close();
    persons.forEach((p) => p.close());

    // 100 s after the decision the session's own links have expired; the recording link has not.
    h.clock.advance(100_000);
    const upload = (url: string) => h.app.request(url, { method: 'POST', body: formData({ video: WEBM, ...CONSENT }) });
    const viaCapture = await upload(sessions[0]!.created.capture.video.upload_url);
    expect(viaCapture.status).toBe(403);
    expect(await viaCapture.json()).toMatchObject({ error: 'link_expired' });
    // It opens nothing else: another step of the same session, or the video of the other session.
    const query = new URL(links[0]!).search;
    expect((await h.app.request(`${BASE}/v1/sessions/${sessions[0]!.id}/selfie${query}`, { method: 'POST', body: formData({ image: JPEG }) })).status).toBe(403);
    expect((await upload(`${BASE}/v1/sessions/${sessions[1]!.id}/video${query}`)).status).toBe(403);
    const stored = await upload(links[0]!);
    expect(stored.status).toBe(201);
    expect(await stored.json()).toMatchObject({ session_status: 'completed', job_id: 'job_1' });
    // Used once: the session holds one recording.
    const twice = await upload(links[0]!);
    expect(twice.status).toBe(409);
    expect(await twice.json()).toMatchObject({ details: { reason: 'already_uploaded' } });
    await h.runJobs();
    const video = (await (await h.app.request(`${BASE}/v1/sessions/${sessions[0]!.id}/video`, { headers: bearer('kyc-key') })).json()) as any;
    expect(video).toMatchObject({ status: 'completed', result: 'approved', liveness_score: 88 });
    expect(video.video_url).toEqual(expect.any(String));

    // Past the window, the other session's link is refused, and says why.
    h.clock.advance(1_701_000);
    const late = await upload(links[1]!);
    expect(late.status).toBe(403);
    expect(await late.json()).toMatchObject({ error: 'link_expired', message: expect.stringMatching(/recording link has expired/) });
  });
});

describe('live agent mode: queue, drops and limits', () => {
  it('refuses to join before the photos (409) and without consent (422)', async () => {
    const h = harness();
    const { links } = await liveSession(h, { photos: false });
    const early = await join(h, links);
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({ error: 'conflict', details: { reason: 'missing_previous_steps' } });
    const { links: ready } = await liveSession(h);
    const noConsent = await join(h, ready, { consent_given_at: 'yesterday' });
    expect(noConsent.status).toBe(422);
    expect(await noConsent.json()).toMatchObject({ error: 'validation_error', details: { consent_given_at: expect.any(Array), consent_text_version: expect.any(Array) } });
  });

  it('expires the session when no agent takes the person within LIVE_QUEUE_WAIT_SECONDS', async () => {
    const h = harness();
    const { id, links } = await liveSession(h);
    const agent = await newAgent(h);
    const person = await personEvents(h, links);
    await join(h, links);
    await person.next('queue');
    h.clock.advance(59_000);
    await h.live.sweep();
    expect((await getSession(h, id)).status).toBe('in_progress');
    h.clock.advance(1000);
    await h.live.sweep();
    expect((await person.next('ended')).data).toEqual({ reason: 'expired' });
    const expired = await getSession(h, id);
    expect(expired.status).toBe('expired');
    expect(expired.live).toMatchObject({ state: 'ended', queue_position: null, last_call_end: 'expired' });
    const none = await take(h, agent.token);
    expect(none.status).toBe(404);
    expect(await none.json()).toMatchObject({ error: 'queue_empty' });
    const again = await join(h, links);
    expect(again.status).toBe(403);
    expect(await again.json()).toMatchObject({ error: 'session_expired' });
    person.close();
  });

  it('expires a due wait on read, or on a join again, without the sweep', async () => {
    const h = harness();
    const { id, links } = await liveSession(h);
    await join(h, links);
    h.clock.advance(60_000);
    expect((await getSession(h, id)).status).toBe('expired');
    const other = await liveSession(h);
    await join(h, other.links);
    h.clock.advance(60_000);
    const late = await join(h, other.links);
    expect(late.status).toBe(403);
    expect(await late.json()).toMatchObject({ error: 'session_expired' });
    expect((await getSession(h, other.id)).live).toMatchObject({ state: 'ended', last_call_end: 'expired' });
  });

  it('starts the agent’s grace when the take answers: checks slower than the grace do not drop the call', async () => {
    // The console learns the call id (and opens its events stream) only from the take's answer, which waits for the
    // photo checks; on a loaded node they can take longer than LIVE_DROP_GRACE_SECONDS (10 s here).
    let clock: Harness['clock'] | undefined;
    const h = harness({
      checker: async () => {
        clock?.advance(11_000);
        return { livenessScore: 97.04, faceMatchScore: 88.26 };
      },
    });
    clock = h.clock;
    const { id, links } = await liveSession(h);
    const agent = await newAgent(h);
    const person = await personEvents(h, links);
    await join(h, links);
    const call = (await (await take(h, agent.token)).json()) as any;
    await h.live.sweep();
    expect((await getSession(h, id)).live.state).toBe('in_call');
    const console_ = await agentEvents(h, agent.token, call.call_id);
    h.clock.advance(9999);
    await h.live.sweep();
    expect((await getSession(h, id)).live.state).toBe('in_call');
    console_.close();
    person.close();
  });

  it('drops the call when the person’s events stream stays closed past the grace, and puts them back at the head', async () => {
    const h = harness();
    const first = await liveSession(h);
    const second = await liveSession(h);
    const agent = await newAgent(h);
    const person = await personEvents(h, first.links);
    await join(h, first.links);
    h.clock.advance(1000);
    await join(h, second.links);
    const call = (await (await take(h, agent.token)).json()) as any;
    expect(call.session_id).toBe(first.id);
    await person.next('call');
    const console_ = await agentEvents(h, agent.token, call.call_id);
    // The page goes away; back within the grace, the call survives (the reconnect is told about its call again).
    await person.close();
    h.clock.advance(9000);
    await h.live.sweep();
    const back = await personEvents(h, first.links);
    expect((await back.next('call')).data).toMatchObject({ call_id: call.call_id });
    await back.close();
    h.clock.advance(9999);
    await h.live.sweep();
    expect((await getSession(h, first.id)).live.state).toBe('in_call');
    h.clock.advance(1);
    await h.live.sweep();
    expect((await console_.next('ended')).data).toEqual({ reason: 'dropped' });
    expect((await getSession(h, first.id)).live).toMatchObject({ state: 'not_joined', last_call_end: 'dropped', call_id: null });
    expect((await getSession(h, second.id)).live.queue_position).toBe(1);
    // The agent can no longer act on it; the person rejoins in front of the one who waited.
    expect((await agentPost(h, agent.token, `${call.call_id}/decision`, { result: 'approved', notes: '' })).status).toBe(409);
    const reconnected = await personEvents(h, first.links);
    expect((await reconnected.next('ended')).data).toEqual({ reason: 'dropped' });
    const rejoined = await join(h, first.links);
    expect(await rejoined.json()).toMatchObject({ state: 'waiting', queue_position: 1 });
    expect((await getSession(h, second.id)).live.queue_position).toBe(2);
    const next = (await (await take(h, agent.token)).json()) as any;
    expect(next.session_id).toBe(first.id);
    reconnected.close();
    console_.close();
  });

  it('drops on hang-up by either side and on the call timeout; each time the person rejoins at the head', async () => {
    const h = harness();
    const first = await liveSession(h);
    const second = await liveSession(h);
    const agent = await newAgent(h);
    await join(h, first.links);
    h.clock.advance(1000);
    await join(h, second.links);
    // The agent hangs up.
    let call = (await (await take(h, agent.token)).json()) as any;
    const person = await personEvents(h, first.links);
    await person.next('call');
    expect((await agentPost(h, agent.token, `${call.call_id}/hangup`)).status).toBe(204);
    expect((await person.next('ended')).data).toEqual({ reason: 'dropped', call_id: call.call_id });
    expect((await join(h, first.links)).status).toBe(200);
    // The person leaves the call.
    call = (await (await take(h, agent.token)).json()) as any;
    expect(call.session_id).toBe(first.id);
    expect((await h.app.request(first.links.leave_url, { method: 'POST' })).status).toBe(204);
    expect((await getSession(h, first.id)).live.last_call_end).toBe('dropped');
    expect((await join(h, first.links)).status).toBe(200);
    // The call runs past LIVE_CALL_MAX_SECONDS (the streams are kept open meanwhile).
    call = (await (await take(h, agent.token)).json()) as any;
    expect(call.session_id).toBe(first.id);
    const console_ = await agentEvents(h, agent.token, call.call_id);
    h.clock.advance(120_000);
    await h.live.sweep();
    expect((await console_.next('ended')).data).toEqual({ reason: 'timeout' });
    expect((await getSession(h, first.id)).live).toMatchObject({ state: 'not_joined', last_call_end: 'timeout' });
    expect(await (await join(h, first.links)).json()).toMatchObject({ queue_position: 1 });
    // Leaving the queue gives up the place.
    expect((await h.app.request(first.links.leave_url, { method: 'POST' })).status).toBe(204);
    expect((await getSession(h, first.id)).live.state).toBe('not_joined');
    person.close();
    console_.close();
  });

  it('refuses an agent acting on a call that is not theirs (403 not_your_call; another app’s: 404)', async () => {
    const h = harness();
    const { id, links } = await liveSession(h);
    const ana = await newAgent(h, 'Ana');
    const ben = await newAgent(h, 'Ben');
    const stranger = await newAgent(h, 'Eve', 'other-key');
    await join(h, links);
    const call = (await (await take(h, ana.token)).json()) as any;
    for (const path of ['decision', 'prompts', 'signal', 'hangup']) {
      const body = path === 'decision' ? { result: 'approved', notes: 'looks fine' } : path === 'prompts' ? { text: 'smile' } : path === 'signal' ? ANSWER : undefined;
      const refused = await agentPost(h, ben.token, `${call.call_id}/${path}`, body);
      expect(refused.status, path).toBe(403);
      expect(await refused.json()).toMatchObject({ error: 'not_your_call' });
      const unknown = await agentPost(h, stranger.token, `${call.call_id}/${path}`, body);
      expect(unknown.status, path).toBe(404);
      expect(await unknown.json()).toMatchObject({ error: 'not_found' });
    }
    expect((await h.app.request(`${BASE}/v1/agent/calls/${call.call_id}/events`, { headers: bearer(ben.token) })).status).toBe(403);
    // Nothing changed: the session is still in Ana's call, undecided.
    expect(await getSession(h, id)).toMatchObject({ status: 'in_progress', result: null, live: { state: 'in_call', agent_id: ana.id } });
  });

  it('allows one call per agent (409 agent_busy) and LIVE_MAX_CALLS_PER_APP per app (409 app_call_limit); 404 queue_empty', async () => {
    const h = harness();
    const agents = [];
    for (const name of ['A', 'B', 'C']) {
      agents.push(await newAgent(h, name));
      h.clock.advance(1); // listed oldest first
    }
    const empty = await take(h, agents[0]!.token);
    expect(empty.status).toBe(404);
    expect(await empty.json()).toMatchObject({ error: 'queue_empty' });
    for (let i = 0; i < 4; i++) await join(h, (await liveSession(h)).links);
    const first = (await (await take(h, agents[0]!.token)).json()) as any;
    const busy = await take(h, agents[0]!.token);
    expect(busy.status).toBe(409);
    expect(await busy.json()).toMatchObject({ error: 'agent_busy' });
    expect((await take(h, agents[1]!.token)).status).toBe(201);
    const limit = await take(h, agents[2]!.token);
    expect(limit.status).toBe(409);
    expect(await limit.json()).toMatchObject({ error: 'app_call_limit' });
    const listed = (await (await h.app.request(`${BASE}/v1/agents`, { headers: bearer('kyc-key') })).json()) as any;
    expect(listed.data.map((a: any) => [a.name, a.active_call_id !== null])).toEqual([
      ['A', true],
      ['B', true],
      ['C', false],
    ]);
    expect(listed.data[0].token).toBeUndefined();
    // Once a call ends the next one may start.
    expect((await agentPost(h, agents[0]!.token, `${first.call_id}/decision`, { result: 'declined', notes: 'document not shown' })).status).toBe(200);
    expect((await take(h, agents[2]!.token)).status).toBe(201);
  });
});

describe('live agent mode: credentials and errors', () => {
  it('takes agent tokens only on agent endpoints and app keys only on /v1/agents, in Verilock’s error format', async () => {
    const h = harness();
    const agent = await newAgent(h);
    const appKey = await h.app.request(`${BASE}/v1/agent/me`, { headers: bearer('kyc-key') });
    expect(appKey.status).toBe(401);
    expect(appKey.headers.get('www-authenticate')).toBe('Bearer');
    expect(await appKey.json()).toMatchObject({ error: 'authentication_error', details: null });
    expect((await h.app.request(`${BASE}/v1/agent/queue`)).status).toBe(401);
    expect((await h.app.request(`${BASE}/v1/agent/me`, { headers: bearer('agt_not-a-real-token') })).status).toBe(401);
    expect((await h.app.request(`${BASE}/v1/agents`, { headers: bearer(agent.token) })).status).toBe(401);
    const notAllowed = await h.app.request(`${BASE}/v1/agents`, json({ name: 'x' }, bearer('liveness-key')));
    expect(notAllowed.status).toBe(403);
    expect(await notAllowed.json()).toMatchObject({ error: 'forbidden' });
    expect((await h.app.request(`${BASE}/v1/agents`, json({ name: '' }, bearer('kyc-key')))).status).toBe(422);
    // Another app cannot see or delete the agent; its own app deletes it, and the token stops working.
    expect((await (await h.app.request(`${BASE}/v1/agents`, { headers: bearer('other-key') })).json()) as any).toEqual({ data: [] });
    expect((await h.app.request(`${BASE}/v1/agents/${agent.id}`, { method: 'DELETE', headers: bearer('other-key') })).status).toBe(404);
    expect((await h.app.request(`${BASE}/v1/agents/${agent.id}`, { method: 'DELETE', headers: bearer('kyc-key') })).status).toBe(204);
    expect((await h.app.request(`${BASE}/v1/agent/me`, { headers: bearer(agent.token) })).status).toBe(401);
    // Unknown paths answer in the same format.
    for (const path of ['/v1/agent/nope', '/v1/agents/a/b', `/v1/sessions/ses_x/live/nope`]) {
      const missing = await h.app.request(`${BASE}${path}`);
      expect(missing.status, path).toBe(404);
      expect(await missing.json()).toMatchObject({ error: 'not_found', details: null });
    }
  });

  it('takes the person’s live links only as signed, for their own session', async () => {
    const h = harness();
    const a = await liveSession(h);
    const b = await liveSession(h);
    const forged = a.links.join_url.replace(a.id, b.id);
    const refused = await h.app.request(forged, json(CONSENT));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'forbidden' });
    expect((await h.app.request(`${BASE}/v1/sessions/${a.id}/live/events`)).status).toBe(403);
    h.clock.advance(3_601_000);
    const late = await h.app.request(a.links.join_url, json(CONSENT));
    expect(late.status).toBe(403);
    expect(await late.json()).toMatchObject({ error: 'link_expired' });
  });

  it('answers 409 not_in_call to a signal outside a call, and keeps self_record sessions out of the queue', async () => {
    const h = harness();
    const { links } = await liveSession(h);
    await join(h, links);
    const signal = await h.app.request(links.signal_url, json(OFFER));
    expect(signal.status).toBe(409);
    expect(await signal.json()).toMatchObject({ error: 'not_in_call' });
    const res = await h.app.request(`${BASE}/v1/sessions`, json({ profile: { steps: ['selfie', 'video'] } }, bearer('kyc-key')));
    const selfRecord = (await res.json()) as any;
    expect(selfRecord.live).toBeUndefined();
    const own = liveLinks(BASE, new UrlSigner(TEST_SIGNING_SECRET, 3600, h.clock.seconds), (await h.sessions.get(selfRecord.id))!);
    const wrongMode = await join(h, own);
    expect(wrongMode.status).toBe(409);
    expect(await wrongMode.json()).toMatchObject({ details: { reason: 'live_only' } });
  });
});
