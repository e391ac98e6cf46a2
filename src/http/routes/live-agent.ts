/**
 * Live agent mode over HTTP (issue #21, README "Live agent mode"): signaling by Server-Sent Events + POST, no WebSocket.
 *
 * The person (the session's signed links from liveLinks(), in the capture page's `live`):
 *   POST /v1/sessions/{id}/live/join      consent JSON → 200 {state: "waiting", queue_position, wait_expires_at}
 *   GET  /v1/sessions/{id}/live/events    SSE: queue, call, signal, prompt, ended (decided: with the recording upload link)
 *   POST /v1/sessions/{id}/live/signal    {type: offer|candidate, sdp?, candidate?} → 204
 *   POST /v1/sessions/{id}/live/leave     → 204 (leave the queue, or hang up)
 * The agent (`Authorization: Bearer agt_…`, agents of the app: routes/agents.ts):
 *   GET  /v1/agent/me, GET /v1/agent/queue, POST /v1/agent/calls (take the next person)
 *   GET  /v1/agent/calls/{call_id}/events (SSE: signal, checks, snapshot_checks, ended), POST …/signal, …/prompts, …/snapshots,
 *   …/decision, …/hangup; GET …/media/{selfie|document} (signed link from the take's answer)
 * Evidence: GET /v1/sessions/{id}/snapshots/{snapshot_id}?expires&signature (links in GET /v1/sessions/{id}/video).
 * Errors are Verilock's `{error, message, details}`; agents count against their app's rate limit, like the sessions API.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { AppError } from '../../errors.js';
import { snapshotChecksBody, type LiveCalls } from '../../sessions/live-calls.js';
import { agentChannel, personChannel, type LiveEvent } from '../../sessions/live-events.js';
import type { LiveAgent } from '../../sessions/live-repository.js';
import type { StoredSession } from '../../sessions/session-repository.js';
import { AppRegistry, evidenceRetentionMs } from '../apps.js';
import type { ApiEnv } from '../context.js';
import {
  agentQueueBody,
  agentSignalSchema,
  checksBody,
  decisionSchema,
  liveBody,
  liveJoinSchema,
  personSignalSchema,
  promptSchema,
  SessionApiError,
  validationDetails,
  videoBody,
} from '../contracts/verilock.js';
import { serveMedia } from '../media-response.js';
import { bodyLimit } from '../middleware/body-limit.js';
import { rateLimit } from '../middleware/rate-limit.js';
import { readJson, verilockErrorHandler } from '../verilock-route.js';
import type { Session } from '../../sessions/session-state.js';
import { liveRecordingLink, liveResource, snapshotResource, type SessionsDeps } from './sessions.js';

/** Body of the JSON endpoints (join, signal, prompts, decision): an SDP offer is a few KiB; 64 KiB leaves room. */
const JSON_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The person's requests per session per minute through the signed links. A call's negotiation is one offer and a few
 * dozen trickled ICE candidates (RFC 8838); 600 allows several renegotiations and reconnects while keeping a leaked
 * link from flooding the agent's stream.
 */
export const PERSON_LIVE_REQUESTS_PER_MINUTE = 600;

/**
 * A comment line every 15 s keeps the idle events stream open through proxies and load balancers (nginx's
 * proxy_read_timeout defaults to 60 s; the WHATWG HTML standard, §9.2 "Server-sent events", suggests a comment line
 * "every 15 seconds or so" for legacy proxies).
 */
export const SSE_PING_MS = 15_000;

/** EventSource's reconnection delay, ms (`retry:` field, WHATWG HTML §9.2.6): well inside LIVE_DROP_GRACE_SECONDS' default 10 s. */
const SSE_RETRY_MS = 2000;

const mediaResource = (callId: string, step: string) => `live-media:${callId}:${step}`;

type LiveEnv = ApiEnv & { Variables: { session: StoredSession; agent: LiveAgent } };

/**
 * A Server-Sent Events response: `replay` (the current state) first, then what the channel receives; a `call` event
 * whose call was already sent is skipped (replay and live delivery may both carry it). Cancelled (the client went
 * away) → unsubscribed, which starts the channel's absence clock (LIVE_DROP_GRACE_SECONDS).
 */
function eventStream(live: LiveCalls, channel: string, replay: () => Promise<LiveEvent[]>, log: (message: string) => void): Response {
  const encoder = new TextEncoder();
  let cleanup = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let ready = false;
      let open = true;
      let lastCallId: unknown;
      const pending: LiveEvent[] = [];
      const write = (text: string) => {
        if (!open) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          cleanup();
        }
      };
      const send = (message: LiveEvent) => {
        if (message.event === 'call') {
          const id = (message.data as { call_id?: unknown }).call_id;
          if (id === lastCallId) return;
          lastCallId = id;
        }
        write(`event: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`);
      };
      const unsubscribe = live.hub.subscribe(channel, (message) => (ready ? send(message) : pending.push(message)));
      const ping = setInterval(() => write(': ping\n\n'), SSE_PING_MS);
      ping.unref();
      const unregister = live.hub.onEnd(() => {
        cleanup();
        try {
          controller.close();
        } catch {
          // already closed by the client
        }
      });
      cleanup = () => {
        open = false;
        clearInterval(ping);
        unsubscribe();
        unregister();
      };
      write(`retry: ${SSE_RETRY_MS}\n\n`);
      replay().then(
        (events) => {
          events.forEach(send);
          ready = true;
          pending.splice(0).forEach(send);
        },
        (error: unknown) => {
          log(`live events: replay failed on ${channel}: ${String(error)}`);
          ready = true;
          pending.splice(0).forEach(send);
        },
      );
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(body, {
    status: 200,
    headers: {
      'Content-Type': 'text/event-stream; charset=utf-8',
      // The stream carries signaling for one call: never cached (RFC 9111 §5.2.2.5), never buffered by nginx.
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    },
  });
}

export function liveAgentRoute(deps: SessionsDeps & { live: LiveCalls }): Hono<ApiEnv> {
  const route = new Hono<LiveEnv>();
  const live = deps.live;
  const now = deps.now ?? Date.now;
  const base = (c: Context) => deps.publicBaseUrl ?? new URL(c.req.url).origin;
  const log = (c: Context<LiveEnv>) => (message: string) => c.get('log')?.warn(message);
  /** What the person's `ended {reason: "decided"}` carries: the signed link for the call's recording, while it may be sent. */
  const recordingUpload = (c: Context) => (session: Session) => {
    const link = liveRecordingLink(base(c), deps.signer, session, live.recordingUploadMs, now());
    return link ? { recording_upload_url: link.url, recording_upload_expires_at: new Date(link.expiresAt).toISOString() } : {};
  };

  // Verilock returns X-Request-Id on every response (https://developer.verilock.io/reference/response-codes); only on
  // this route's own paths (a '*' here would reach every /v1 route).
  const requestIdHeader: MiddlewareHandler<LiveEnv> = async function requestIdHeader(c, next) {
    await next();
    const requestId = c.get('requestId');
    if (requestId) c.header('X-Request-Id', requestId);
  };
  route.use('/agent/*', requestIdHeader);
  route.use('/sessions/:id/live/*', requestIdHeader);

  // ── The person ──────────────────────────────────────────────────────────────────────────────────────────────────

  /** The session's signed live link (403 invalid or expired), its app, and the person's per-session rate limit. */
  const personAccess: MiddlewareHandler<LiveEnv> = async function livePersonAccess(c, next) {
    const id = c.req.param('id')!;
    const check = deps.signer.check(liveResource(id), c.req.query('expires'), c.req.query('signature'));
    if (check === 'invalid') throw new SessionApiError(403, 'forbidden', 'the live call link is invalid');
    if (check === 'expired') throw new SessionApiError(403, 'link_expired', 'the live call link has expired; create a new session');
    const session = await deps.sessions.get(id);
    if (!session) throw new SessionApiError(404, 'not_found', `no session ${id}`);
    const app = deps.apps.get(session.appId);
    if (!app) throw new SessionApiError(403, 'forbidden', `the app of session ${id} is no longer configured`);
    const retryAfter = deps.rateLimiter.take(`live:${id}`, PERSON_LIVE_REQUESTS_PER_MINUTE);
    if (retryAfter > 0) {
      c.header('Retry-After', String(retryAfter));
      throw new AppError('RATE_LIMITED', `at most ${PERSON_LIVE_REQUESTS_PER_MINUTE} live call requests per minute per session; retry in ${retryAfter} s`);
    }
    c.set('app', app);
    c.set('session', session);
    await next();
  };

  route.post('/sessions/:id/live/join', bodyLimit(JSON_BODY_LIMIT_BYTES), personAccess, async function joinQueue(c) {
    const parsed = liveJoinSchema.safeParse(await readJson(c.req.raw));
    if (!parsed.success) throw new SessionApiError(422, 'validation_error', 'joining a call needs the recorded consent: consent_given_at and consent_text_version', validationDetails(parsed.error));
    const consent = { givenAt: parsed.data.consent_given_at, textVersion: parsed.data.consent_text_version, ip: deps.clientIp(c as unknown as Context<ApiEnv>), userAgent: c.req.header('User-Agent') ?? '' };
    const view = await live.join(c.get('session'), consent);
    const body = liveBody(view);
    return c.json({ state: body.state, queue_position: body.queue_position, wait_expires_at: body.wait_expires_at }, 200);
  });

  route.get('/sessions/:id/live/events', personAccess, function personEvents(c) {
    const session = c.get('session');
    return eventStream(live, personChannel(session.id), () => live.personReplay(session, { decided: recordingUpload(c) }), log(c));
  });

  route.post('/sessions/:id/live/signal', bodyLimit(JSON_BODY_LIMIT_BYTES), personAccess, async function personSignal(c) {
    const parsed = personSignalSchema.safeParse(await readJson(c.req.raw));
    if (!parsed.success) throw new SessionApiError(422, 'validation_error', 'The given data was invalid.', validationDetails(parsed.error));
    await live.personSignal(c.get('session'), parsed.data);
    return c.body(null, 204);
  });

  route.post('/sessions/:id/live/leave', personAccess, async function leaveCall(c) {
    await live.leave(c.get('session'));
    return c.body(null, 204);
  });

  // ── The agent ───────────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * `Authorization: Bearer agt_…` → the agent and its app (401 otherwise, also for an app key: agents and apps are
   * different principals); a suspended app, or one without the sessions API, 403; then the app's rate limit.
   */
  const agentAuth: MiddlewareHandler<LiveEnv> = async function agentBearer(c, next) {
    const token = /^Bearer +(\S+) *$/i.exec(c.req.header('Authorization') ?? '')?.[1];
    const agent = await live.authenticateAgent(token);
    if (!agent) {
      c.header('WWW-Authenticate', 'Bearer');
      throw new AppError('UNAUTHENTICATED', 'send "Authorization: Bearer <agent token>" with an agent token (agt_…) from POST /v1/agents; app keys are not accepted here');
    }
    const app = deps.apps.get(agent.appId);
    if (!app || app.allowedApis.length === 0) throw new SessionApiError(403, 'forbidden', `the app of agent ${agent.id} is suspended or no longer configured`);
    if (!AppRegistry.allows(app, 'sessions')) throw new SessionApiError(403, 'forbidden', `app "${app.appId}" may not call the sessions API`);
    c.set('app', app);
    c.set('agent', agent);
    await rateLimit(deps.rateLimiter)(c as unknown as Context<ApiEnv>, next);
  };

  route.get('/agent/me', agentAuth, function agentMe(c) {
    const agent = c.get('agent');
    return c.json({ id: agent.id, name: agent.name, app_id: agent.appId }, 200);
  });

  route.get('/agent/queue', agentAuth, async function agentQueue(c) {
    return c.json(agentQueueBody(await live.queue(c.get('agent'))), 200);
  });

  route.post('/agent/calls', agentAuth, async function takeNext(c) {
    const { call } = await live.takeNext(c.get('agent'));
    const session = (await deps.sessions.get(call.sessionId))!;
    const expires = Math.floor(call.expiresAt / 1000);
    const photoUrl = (step: 'selfie' | 'document') =>
      session.media[step] === undefined ? null : `${base(c)}/v1/agent/calls/${call.id}/media/${step}?expires=${expires}&signature=${deps.signer.signature(mediaResource(call.id, step), expires)}`;
    return c.json(
      {
        call_id: call.id,
        session_id: call.sessionId,
        // The agent's own TURN credentials for this call (TURN_URLS), next to ICE_SERVERS.
        ice_servers: live.iceServersFor(call.id, 'agent'),
        selfie_url: photoUrl('selfie'),
        document_url: photoUrl('document'),
        checks: checksBody(call.checks),
        expires_at: new Date(call.expiresAt).toISOString(),
      },
      201,
    );
  });

  /** The photos the agent compares: signed per call, served while the call is in progress. */
  route.get('/agent/calls/:callId/media/:step{selfie|document}', async function callPhoto(c) {
    const { callId, step } = c.req.param() as { callId: string; step: 'selfie' | 'document' };
    const check = deps.signer.check(mediaResource(callId, step), c.req.query('expires'), c.req.query('signature'));
    if (check === 'invalid') throw new SessionApiError(403, 'forbidden', 'the photo link is invalid');
    if (check === 'expired') throw new SessionApiError(403, 'link_expired', 'the photo link has expired');
    const record = await live.callPhoto(callId, step);
    if (!record) throw new SessionApiError(404, 'not_found', `no ${step} for call ${callId} (the call has ended, or the photo is past retention)`);
    // The link is a bearer credential: keep the photo out of shared caches (RFC 9111 §5.2.2.7).
    return serveMedia(deps.media, record, c.req.raw, { 'Cache-Control': 'private, no-store' });
  });

  /** A snapshot behind the signed link of GET /v1/sessions/{id}/video's `snapshots` (1 hour, like video_url). */
  route.get('/sessions/:id/snapshots/:snapshotId', async function downloadSnapshot(c) {
    const { id, snapshotId } = c.req.param();
    const check = deps.signer.check(snapshotResource(id, snapshotId), c.req.query('expires'), c.req.query('signature'));
    if (check === 'invalid') throw new SessionApiError(403, 'forbidden', 'the snapshot link is invalid');
    if (check === 'expired') throw new SessionApiError(403, 'link_expired', 'the snapshot link has expired; get a new one from GET /v1/sessions/{id}/video');
    const record = await live.snapshotMedia(id, snapshotId);
    if (!record) throw new SessionApiError(404, 'not_found', `snapshot ${snapshotId} is not stored (unknown, or past retention)`);
    return serveMedia(deps.media, record, c.req.raw, { 'Cache-Control': 'private, no-store' });
  });

  route.get('/agent/calls/:callId/events', agentAuth, async function agentEvents(c) {
    const call = await live.ownCall(c.get('agent'), c.req.param('callId'), { ended: 'allowed' });
    return eventStream(live, agentChannel(call.id), () => live.agentReplay(call), log(c));
  });

  route.post('/agent/calls/:callId/signal', agentAuth, bodyLimit(JSON_BODY_LIMIT_BYTES), async function agentSignal(c) {
    const parsed = agentSignalSchema.safeParse(await readJson(c.req.raw));
    if (!parsed.success) throw new SessionApiError(422, 'validation_error', 'The given data was invalid.', validationDetails(parsed.error));
    await live.agentSignal(c.get('agent'), c.req.param('callId'), parsed.data);
    return c.body(null, 204);
  });

  route.post('/agent/calls/:callId/prompts', agentAuth, bodyLimit(JSON_BODY_LIMIT_BYTES), async function prompt(c) {
    const parsed = promptSchema.safeParse(await readJson(c.req.raw));
    if (!parsed.success) throw new SessionApiError(422, 'validation_error', 'The given data was invalid.', validationDetails(parsed.error));
    await live.prompt(c.get('agent'), c.req.param('callId'), parsed.data.text);
    return c.body(null, 204);
  });

  route.post('/agent/calls/:callId/snapshots', agentAuth, bodyLimit(deps.limits.imageBytes), async function snapshot(c) {
    const type = c.req.header('Content-Type') ?? '';
    if (!/^image\/(jpeg|png)\s*(;|$)/i.test(type)) throw new SessionApiError(422, 'unsupported_file_type', 'send the snapshot as the body, Content-Type image/jpeg or image/png');
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length === 0) throw new SessionApiError(422, 'validation_error', 'the snapshot is empty');
    const taken = await live.snapshot(c.get('agent'), c.req.param('callId'), bytes, {
      maxBytes: deps.limits.imageBytes,
      retentionMs: evidenceRetentionMs(c.get('app'), deps.limits.mediaRetentionMs),
    });
    // The snapshot's own checks, and the call's snapshots so far (the selfie's checks stay those of the take).
    return c.json({ id: taken.id, checks: checksBody(taken.checks), so_far: snapshotChecksBody(taken.id, taken.checks, taken.soFar).so_far }, 201);
  });

  route.post('/agent/calls/:callId/decision', agentAuth, bodyLimit(JSON_BODY_LIMIT_BYTES), async function decision(c) {
    const parsed = decisionSchema.safeParse(await readJson(c.req.raw));
    if (!parsed.success) throw new SessionApiError(422, 'validation_error', 'The given data was invalid.', validationDetails(parsed.error));
    const session = await live.decide(c.get('agent'), c.req.param('callId'), { result: parsed.data.result, notes: parsed.data.notes }, { personEnded: recordingUpload(c) });
    // The recording arrives after the decision (the person's page uploads it when told `ended`): no video_url yet.
    return c.json(videoBody(session, now(), null), 200);
  });

  route.post('/agent/calls/:callId/hangup', agentAuth, async function hangup(c) {
    await live.hangup(c.get('agent'), c.req.param('callId'));
    return c.body(null, 204);
  });

  route.all('/agent/*', function unknownAgentEndpoint() {
    throw new SessionApiError(404, 'not_found', 'no such agent endpoint');
  });
  route.all('/sessions/:id/live/*', function unknownLiveEndpoint() {
    throw new SessionApiError(404, 'not_found', 'no such live call endpoint');
  });

  route.onError(verilockErrorHandler('live agent API'));

  return route as unknown as Hono<ApiEnv>;
}

