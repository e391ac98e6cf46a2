/**
 * Live agent mode (issue #21, README "Live agent mode"): the queue of live_agent sessions, the calls between a person
 * and an agent of the same app, and the agent's decision. The queue and the calls are rows (./live-repository.ts), so
 * limits hold across restarts; the signaling (SDP offers and answers, ICE candidates, prompts) is relayed as opaque
 * JSON through the event hub (./live-events.ts: in process, or across replicas through PostgreSQL) to each side's
 * Server-Sent Events stream. The media never passes through this service: it flows browser to browser (WebRTC),
 * through a TURN server when NATs are in the way.
 *
 *   person                               service                                   agent
 *   join (consent) ─────────────▶ waiting (queue position) ◀──── take next (≤ 1 call per agent, ≤ N per app)
 *   ◀── call {call_id, ice_servers}         in_call            ──▶ {call_id, selfie_url, checks}
 *   offer / candidates ─────────▶ relay ───────────────────────────▶ events: signal
 *   ◀── events: signal, prompt   relay ◀─────────────────────────── answer / candidates, prompts
 *   ◀── ended {decided, result}   completed (video.completed + video.reviewed) ◀── decision {result, notes}
 *
 * A call dropped (hang-up, the person leaves, either stream gone past LIVE_DROP_GRACE_SECONDS) or timed out
 * (LIVE_CALL_MAX_SECONDS) puts the person back in front of the queue when they rejoin; no agent within
 * LIVE_QUEUE_WAIT_SECONDS expires the session. `sweep()` applies the clocks: the service runs it every second, tests
 * call it after moving their clock.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import type { IceServer, TurnSettings } from '../config.js';
import type { MediaStore } from '../store/media-store.js';
import type { WebhookEvents } from '../store/webhooks.js';
import { agentChannel, personChannel, type LiveEvent, type LiveEvents } from './live-events.js';
import { AgentBusyError, type LiveAgent, type LiveCall, type LiveChecks, type LiveEndReason, type LiveEntry, type LiveRepository, type LiveState } from './live-repository.js';
import { SessionConflictError } from './session-commands.js';
import type { SessionRepository, StoredSession } from './session-repository.js';
import { applyLiveDecision, applyLiveExpiry, applyLiveJoin, TransitionError, type Consent, type Session } from './session-state.js';
import { turnIceServer } from './turn-credentials.js';

/** A refused live-mode request: `code` is the stable wire type, `status` its HTTP status. */
export class LiveError extends Error {
  constructor(
    readonly status: 403 | 404 | 409 | 422,
    readonly code: 'agent_busy' | 'app_call_limit' | 'queue_empty' | 'not_your_call' | 'not_found' | 'call_ended' | 'not_in_call' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'LiveError';
  }
}

/**
 * The automatic checks the agent sees: liveness (0–100) of `face`, and its face match (0–100, the weakest over
 * `references`); a score that cannot be computed (no face found, unreadable image) is null.
 */
export type LiveChecker = (images: { face: Uint8Array; references: Uint8Array[] }) => Promise<LiveChecks>;

/**
 * The checks of a call's snapshots so far: how many were scored, the mean of their liveness scores (the running
 * estimate of the person in front of the camera; one blurred frame moves it a little, not to zero) and the lowest of
 * their face match scores (one frame of somebody else is the finding an agent must see). Null when no snapshot had one.
 */
export interface SnapshotChecksSoFar {
  snapshots: number;
  livenessScore: number | null;
  faceMatchScore: number | null;
}

/** What the route adds to the person's `ended {reason: "decided"}` event for the decided session (the recording link). */
export type DecidedExtras = (session: StoredSession | Session) => Record<string, unknown>;

export interface LiveLimits {
  /** LIVE_QUEUE_WAIT_SECONDS, ms. */
  queueWaitMs: number;
  /** LIVE_CALL_MAX_SECONDS, ms. */
  callMaxMs: number;
  /** LIVE_MAX_CALLS_PER_APP. */
  maxCallsPerApp: number;
  /** LIVE_DROP_GRACE_SECONDS, ms. */
  dropGraceMs: number;
  /** LIVE_RECORDING_UPLOAD_SECONDS, ms: how long after the decision the person's page may upload the call's recording. */
  recordingUploadMs: number;
}

export interface LiveCallsDeps {
  sessions: SessionRepository;
  live: LiveRepository;
  media: Pick<MediaStore, 'open' | 'put' | 'get'>;
  webhooks: WebhookEvents;
  hub: LiveEvents;
  /** Absent = the agent gets null checks. */
  checker?: LiveChecker;
  limits: LiveLimits;
  iceServers: readonly IceServer[];
  /** TURN_URLS + TURN_SHARED_SECRET: each side of each call gets its own time-limited TURN credentials (turn-credentials.ts). */
  turn?: TurnSettings;
  now: () => number;
  log?: (message: string) => void;
  /** Called once a session is completed by an agent's decision, with its result (for /metrics). */
  onDecided?: (result: 'approved' | 'declined') => void;
}

/** A live session's place as GET /v1/sessions/{id} shows it. */
export interface LiveView {
  state: LiveState;
  queuePosition: number | null;
  agentId: string | null;
  callId: string | null;
  waitExpiresAt: number | null;
  lastEndReason: LiveEndReason | null;
}

/** How often the service runs `sweep()`, ms: a tenth of the default drop grace (10 s), the coarsest clock it applies. */
export const LIVE_SWEEP_INTERVAL_MS = 1000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** What is stored of an agent token: its SHA-256, hex (the token itself is shown once). */
export const agentTokenSha256 = (token: string) => sha256(token);

/** Agent tokens: `agt_` and 32 random bytes, base64url (256 bits, as the app keys the CLI makes). */
export const newAgentToken = () => `agt_${randomBytes(32).toString('base64url')}`;

export class LiveCalls {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly log: (message: string) => void;

  constructor(private readonly deps: LiveCallsDeps) {
    this.log = deps.log ?? ((m) => console.warn(m));
  }

  /** The ICE servers of ICE_SERVERS (no per-call TURN credentials: those are handed out with a call only). */
  get iceServers(): readonly IceServer[] {
    return this.deps.iceServers;
  }

  /** LIVE_RECORDING_UPLOAD_SECONDS, ms. */
  get recordingUploadMs(): number {
    return this.deps.limits.recordingUploadMs;
  }

  /**
   * The ICE servers for one side of a call: ICE_SERVERS, and the TURN server (TURN_URLS) with credentials of its own for
   * `side` of `callId`, valid TURN_CREDENTIAL_TTL_SECONDS from now.
   */
  iceServersFor(callId: string, side: 'person' | 'agent'): IceServer[] {
    const turn = this.deps.turn;
    return [...this.deps.iceServers, ...(turn ? [turnIceServer(turn, `${callId}-${side}`, this.deps.now())] : [])];
  }

  get hub(): LiveEvents {
    return this.deps.hub;
  }

  /** Runs `sweep()` every LIVE_SWEEP_INTERVAL_MS until `stop()`. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sweep().catch((error: unknown) => this.log(`live calls: sweep failed: ${String(error)}`)), LIVE_SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }

  // ── Agents ────────────────────────────────────────────────────────────────────────────────────────────────────────

  /** A new agent of `appId`; its token is answered once (only its hash is stored). */
  async createAgent(appId: string, name: string): Promise<{ agent: LiveAgent; token: string }> {
    const agent: LiveAgent = { id: `agent_${randomUUID()}`, appId, name, createdAt: this.deps.now() };
    const token = newAgentToken();
    await this.deps.live.createAgent(agent, sha256(token));
    return { agent, token };
  }

  listAgents(appId: string) {
    return this.deps.live.agents(appId);
  }

  /** The agent a Bearer token belongs to, or undefined. */
  authenticateAgent(token: string | undefined): Promise<LiveAgent | undefined> {
    if (token === undefined || !token.startsWith('agt_')) return Promise.resolve(undefined);
    return this.deps.live.agentByTokenSha256(sha256(token));
  }

  /** Deletes an agent (its call in progress, if any, is dropped first: the person goes back to the head of the queue). */
  async deleteAgent(appId: string, id: string): Promise<boolean> {
    const agent = await this.deps.live.agent(appId, id);
    if (!agent) return false;
    const call = await this.deps.live.activeCallOfAgent(id);
    if (call) await this.dropCall(call.id, 'dropped');
    return this.deps.live.deleteAgent(appId, id);
  }

  // ── The person ────────────────────────────────────────────────────────────────────────────────────────────────────

  /** Where the session's person is now (a wait past its end expires the session first). */
  async view(session: StoredSession): Promise<{ session: StoredSession; live: LiveView }> {
    let entry = await this.deps.live.entry(session.id);
    if (entry?.state === 'waiting' && entry.waitExpiresAt !== null && entry.waitExpiresAt <= this.deps.now()) {
      await this.expireWait(entry);
      entry = await this.deps.live.entry(session.id);
      session = (await this.deps.sessions.get(session.id)) ?? session;
    }
    return { session, live: await this.viewOf(entry) };
  }

  private async viewOf(entry: LiveEntry | undefined): Promise<LiveView> {
    if (!entry) return { state: 'not_joined', queuePosition: null, agentId: null, callId: null, waitExpiresAt: null, lastEndReason: null };
    const position = entry.state === 'waiting' ? await this.position(entry) : null;
    return {
      state: entry.state,
      queuePosition: position,
      agentId: entry.state === 'in_call' || entry.lastEndReason === 'decided' ? entry.agentId : null,
      callId: entry.state === 'in_call' || entry.lastEndReason === 'decided' ? entry.callId : null,
      waitExpiresAt: entry.state === 'waiting' ? entry.waitExpiresAt : null,
      lastEndReason: entry.lastEndReason,
    };
  }

  /** 1-based place in its app's queue. */
  private async position(entry: LiveEntry): Promise<number | null> {
    const index = (await this.deps.live.waiting(entry.appId)).findIndex((e) => e.sessionId === entry.sessionId);
    return index < 0 ? null : index + 1;
  }

  /**
   * The person joins the queue with their consent to the call (again after a dropped call: at the head). Joining while
   * already waiting answers the current place; while in a call, 409 (the page reconnects its events stream instead).
   */
  async join(session: StoredSession, consent: Consent): Promise<LiveView> {
    const now = this.deps.now();
    const current = await this.deps.live.entry(session.id);
    if (current?.state === 'waiting' && current.waitExpiresAt !== null && current.waitExpiresAt <= now) {
      // The wait ran out before the sweep saw it: the session expires now, as it would have.
      await this.expireWait(current);
      throw new TransitionError('expired', `session ${session.id} expired: no agent took the call within the wait`);
    }
    const next = applyLiveJoin(session, consent, now);
    const waitExpiresAt = Math.min(now + this.deps.limits.queueWaitMs, session.expiresAt);
    await this.deps.sessions.transaction(async (tx) => {
      const entry = await this.deps.live.entry(session.id, tx);
      if (entry?.state === 'waiting') return;
      if (entry?.state === 'in_call') throw new LiveError(409, 'conflict', `session ${session.id} is in a call already; reconnect to its events stream`);
      if (!(await this.deps.sessions.update(session, next, tx))) throw new SessionConflictError(`session ${session.id} changed while joining; retry`);
      const back = entry?.lastEndReason === 'dropped' || entry?.lastEndReason === 'timeout';
      await this.deps.live.saveEntry(
        {
          sessionId: session.id,
          appId: session.appId,
          state: 'waiting',
          priority: back ? 1 : 0,
          queuedAt: now,
          waitExpiresAt,
          callId: entry?.callId ?? null,
          agentId: entry?.agentId ?? null,
          lastEndReason: entry?.lastEndReason ?? null,
        },
        tx,
      );
    });
    await this.publishQueue(session.appId);
    return this.viewOf(await this.deps.live.entry(session.id));
  }

  /** The person leaves the queue, or hangs up the call (a drop: they may rejoin at the head). */
  async leave(session: Session): Promise<void> {
    const entry = await this.deps.live.entry(session.id);
    if (entry?.state === 'in_call' && entry.callId) {
      await this.dropCall(entry.callId, 'dropped');
      return;
    }
    if (entry?.state !== 'waiting') return;
    await this.deps.sessions.transaction(async (tx) => {
      const current = await this.deps.live.entry(session.id, tx);
      if (current?.state === 'waiting') await this.deps.live.saveEntry({ ...current, state: 'not_joined', waitExpiresAt: null }, tx);
    });
    await this.publishQueue(session.appId);
  }

  /** An SDP offer or ICE candidate from the person, for the agent of their call. */
  async personSignal(session: Session, signal: Record<string, unknown>): Promise<void> {
    const entry = await this.deps.live.entry(session.id);
    if (entry?.state !== 'in_call' || !entry.callId) throw new LiveError(409, 'not_in_call', `session ${session.id} is not in a call`);
    this.deps.hub.publish(agentChannel(entry.callId), 'signal', { ...signal, call_id: entry.callId });
  }

  /** What a (re)connecting person's events stream is told first: their place, their call, or how it ended. */
  async personReplay(session: Session, options: { decided?: DecidedExtras } = {}): Promise<LiveEvent[]> {
    const entry = await this.deps.live.entry(session.id);
    if (!entry) return [];
    switch (entry.state) {
      case 'waiting':
        return [{ event: 'queue', data: { queue_position: await this.position(entry), wait_expires_at: iso(entry.waitExpiresAt) } }];
      case 'in_call':
        return [{ event: 'call', data: this.callEvent(entry.callId!, entry.agentId!) }];
      case 'ended': {
        const current = await this.deps.sessions.get(session.id);
        const decided = entry.lastEndReason === 'decided' ? { result: current?.result ?? null, ...(current && options.decided ? options.decided(current) : {}) } : {};
        return [{ event: 'ended', data: { reason: entry.lastEndReason, ...decided } }];
      }
      default:
        return entry.lastEndReason ? [{ event: 'ended', data: { reason: entry.lastEndReason } }] : [];
    }
  }

  private callEvent(callId: string, agentId: string) {
    return { call_id: callId, agent_id: agentId, ice_servers: this.iceServersFor(callId, 'person') };
  }

  // ── The agent ─────────────────────────────────────────────────────────────────────────────────────────────────────

  /** The app's queue, head first, and the agent's call in progress. */
  async queue(agent: LiveAgent) {
    await this.expireDueWaits();
    const waiting = await this.deps.live.waiting(agent.appId);
    const active = await this.deps.live.activeCallOfAgent(agent.id);
    return { waiting, activeCall: active ?? null };
  }

  /**
   * The agent takes the person at the head of the queue: 409 agent_busy when the agent has a call, 409 app_call_limit
   * at LIVE_MAX_CALLS_PER_APP calls, 404 queue_empty. The person's page is told (`call`) and makes the offer; the
   * answer carries the automatic checks of the session's photos.
   */
  async takeNext(agent: LiveAgent): Promise<{ call: LiveCall; session: StoredSession }> {
    await this.expireDueWaits();
    const now = this.deps.now();
    const taken = await this.deps.sessions.transaction(async (tx) => {
      await this.deps.live.lockApp(tx, agent.appId);
      if (await this.deps.live.activeCallOfAgent(agent.id, tx)) throw new LiveError(409, 'agent_busy', `agent ${agent.id} already has a call in progress (one call per agent); end it first`);
      const active = await this.deps.live.activeCallCount(agent.appId, tx);
      if (active >= this.deps.limits.maxCallsPerApp) {
        throw new LiveError(409, 'app_call_limit', `app "${agent.appId}" has ${active} calls in progress, its limit (LIVE_MAX_CALLS_PER_APP); retry when one ends`);
      }
      const head = (await this.deps.live.waiting(agent.appId, tx)).find((e) => e.waitExpiresAt === null || e.waitExpiresAt > now);
      if (!head) throw new LiveError(404, 'queue_empty', 'nobody is waiting for an agent');
      const session = (await this.deps.sessions.get(head.sessionId, tx))!;
      const call: LiveCall = {
        id: `call_${randomUUID()}`,
        appId: agent.appId,
        sessionId: head.sessionId,
        agentId: agent.id,
        startedAt: now,
        // A call cannot outlive its session (its links and its decision die with it).
        expiresAt: Math.min(now + this.deps.limits.callMaxMs, session.expiresAt),
        endedAt: null,
        endReason: null,
        checks: { faceMatchScore: null, livenessScore: null },
      };
      try {
        await this.deps.live.insertCall(call, tx);
      } catch (error) {
        if (error instanceof AgentBusyError) throw new LiveError(409, 'agent_busy', error.message);
        throw error;
      }
      await this.deps.live.saveEntry({ ...head, state: 'in_call', callId: call.id, agentId: agent.id, waitExpiresAt: null }, tx);
      return { call, session };
    });
    const { call, session } = taken;
    // The person has LIVE_DROP_GRACE_SECONDS to be (or stay) connected from now on.
    this.deps.hub.expect(personChannel(session.id));
    this.deps.hub.publish(personChannel(session.id), 'call', this.callEvent(call.id, agent.id), { live: true });
    await this.publishQueue(agent.appId);
    try {
      call.checks = await this.photoChecks(session);
      await this.deps.live.setCallChecks(call.id, call.checks);
    } finally {
      // The agent learns the call (and can open its events stream) only from this answer, after the photo checks: its
      // grace starts now (also when the answer fails, so that the sweep drops the call). Started before the checks, a
      // loaded node whose checks outlast the grace dropped the call before the console could connect.
      this.deps.hub.expect(agentChannel(call.id));
    }
    return taken;
  }

  /** The call `callId` if it is `agent`'s and in progress: 404 unknown (or another app's), 403 not_your_call, 409 call_ended. */
  async ownCall(agent: LiveAgent, callId: string, options: { ended?: 'allowed' } = {}): Promise<LiveCall> {
    const call = await this.deps.live.call(callId);
    if (!call || call.appId !== agent.appId) throw new LiveError(404, 'not_found', `no call ${callId}`);
    if (call.agentId !== agent.id) throw new LiveError(403, 'not_your_call', `call ${callId} is another agent's; an agent acts only on their own call`);
    if (call.endedAt !== null && options.ended !== 'allowed') throw new LiveError(409, 'call_ended', `call ${callId} has ended (${call.endReason})`);
    return call;
  }

  /** An SDP answer or ICE candidate from the agent, for the person. */
  async agentSignal(agent: LiveAgent, callId: string, signal: Record<string, unknown>): Promise<void> {
    const call = await this.ownCall(agent, callId);
    this.deps.hub.publish(personChannel(call.sessionId), 'signal', { ...signal, call_id: call.id });
  }

  /** The agent asks the person for an action ("show the front of your document"). */
  async prompt(agent: LiveAgent, callId: string, text: string): Promise<void> {
    const call = await this.ownCall(agent, callId);
    this.deps.hub.publish(personChannel(call.sessionId), 'prompt', { text, call_id: call.id });
  }

  /**
   * What a (re)connecting agent's events stream is told first: the selfie's checks and each snapshot's (with the checks
   * so far), or how the call ended.
   */
  async agentReplay(call: LiveCall): Promise<LiveEvent[]> {
    const current = (await this.deps.live.call(call.id)) ?? call;
    if (current.endedAt !== null) return [{ event: 'ended', data: { reason: current.endReason } }];
    const snapshots = await this.deps.live.callSnapshots(call.id);
    return [
      { event: 'checks', data: checksBody(current.checks) },
      ...snapshots.map((snapshot, index) => ({ event: 'snapshot_checks', data: snapshotChecksBody(snapshot.id, snapshot.checks, snapshotChecksSoFar(snapshots.slice(0, index + 1))) })),
    ];
  }

  /**
   * Stores a snapshot the agent took of the call (an image, in the media store with the app's evidence retention) with
   * its checks (liveness of the snapshot, its match with the session's photos), and answers them with the checks of
   * the call's snapshots so far. The selfie's checks (the call's) stay as they are: a snapshot is another image.
   */
  async snapshot(
    agent: LiveAgent,
    callId: string,
    image: Uint8Array,
    storage: { maxBytes: number; retentionMs: number },
  ): Promise<{ id: string; mediaId: string; checks: LiveChecks; soFar: SnapshotChecksSoFar }> {
    const call = await this.ownCall(agent, callId);
    const record = await this.deps.media.put(image, { kind: 'image', appId: call.appId, maxBytes: storage.maxBytes, retentionMs: storage.retentionMs });
    const id = `snp_${randomUUID()}`;
    const session = await this.deps.sessions.get(call.sessionId);
    const references = session ? await this.photos(session) : [];
    const checks = await this.check(image, references);
    await this.deps.live.addSnapshot({ id, callId: call.id, sessionId: call.sessionId, appId: call.appId, mediaId: record.id, createdAt: this.deps.now(), checks });
    const soFar = snapshotChecksSoFar(await this.deps.live.callSnapshots(call.id));
    this.deps.hub.publish(agentChannel(call.id), 'snapshot_checks', snapshotChecksBody(id, checks, soFar));
    return { id, mediaId: record.id, checks, soFar };
  }

  /**
   * The agent's decision: ends the call, completes the session (result, agent_id, agent_notes) and records
   * `video.completed` and `video.reviewed`, all in one transaction. The person is told `ended {decided, result}`.
   */
  async decide(agent: LiveAgent, callId: string, decision: { result: 'approved' | 'declined'; notes: string | null }, options: { personEnded?: DecidedExtras } = {}): Promise<Session> {
    const call = await this.ownCall(agent, callId);
    const now = this.deps.now();
    const next = await this.deps.sessions.transaction(async (tx) => {
      if (!(await this.deps.live.endCall(call.id, 'decided', now, tx))) throw new LiveError(409, 'call_ended', `call ${callId} has ended`);
      const session = (await this.deps.sessions.get(call.sessionId, tx))!;
      const decided = applyLiveDecision(session, { agentId: agent.id, ...decision }, now);
      if (!(await this.deps.sessions.update(session, decided, tx))) throw new SessionConflictError(`session ${session.id} changed during the decision; retry`);
      const entry = await this.deps.live.entry(call.sessionId, tx);
      if (entry) await this.deps.live.saveEntry({ ...entry, state: 'ended', lastEndReason: 'decided', waitExpiresAt: null }, tx);
      const data = { session_id: decided.id, video_mode: decided.videoMode, duration_seconds: null };
      await this.deps.webhooks.emit(decided.appId, 'video.completed', { ...data, status: decided.status }, tx);
      // README "Webhooks": for video.reviewed, `status` is the decision.
      await this.deps.webhooks.emit(decided.appId, 'video.reviewed', { ...data, status: decision.result }, tx);
      return decided;
    });
    this.deps.onDecided?.(decision.result);
    this.deps.hub.publish(personChannel(call.sessionId), 'ended', { reason: 'decided', result: decision.result, call_id: call.id, ...options.personEnded?.(next) }, { final: true });
    this.deps.hub.publish(agentChannel(call.id), 'ended', { reason: 'decided', result: decision.result }, { final: true });
    return next;
  }

  /** The agent hangs up without deciding: the person may rejoin at the head of the queue. */
  async hangup(agent: LiveAgent, callId: string): Promise<void> {
    const call = await this.ownCall(agent, callId);
    await this.dropCall(call.id, 'dropped');
  }

  /** The agent's snapshots of a session's calls, oldest first. */
  snapshots(sessionId: string) {
    return this.deps.live.snapshots(sessionId);
  }

  /** The stored image of a session's snapshot, or undefined (unknown, or past retention). */
  async snapshotMedia(sessionId: string, snapshotId: string) {
    const snapshot = (await this.deps.live.snapshots(sessionId)).find((s) => s.id === snapshotId);
    return snapshot ? this.deps.media.get(snapshot.mediaId) : undefined;
  }

  /** The media of the session behind an agent's call in progress (its selfie or document photo), for the console. */
  async callPhoto(callId: string, step: 'selfie' | 'document') {
    const call = await this.deps.live.call(callId);
    if (!call || call.endedAt !== null) return undefined;
    const mediaId = (await this.deps.sessions.get(call.sessionId))?.media[step];
    return mediaId ? this.deps.media.get(mediaId) : undefined;
  }

  // ── Clocks ────────────────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Applies the clocks: waits past LIVE_QUEUE_WAIT_SECONDS expire their session, calls past LIVE_CALL_MAX_SECONDS time
   * out, and calls whose person's or agent's events stream has been gone LIVE_DROP_GRACE_SECONDS are dropped.
   */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    await this.expireDueWaits();
    const now = this.deps.now();
    for (const call of await this.deps.live.activeCalls()) {
      if (now >= call.expiresAt) {
        await this.dropCall(call.id, 'timeout');
        continue;
      }
      const gone = [personChannel(call.sessionId), agentChannel(call.id)].some((channel) => {
        const since = this.deps.hub.absentSince(channel);
        return since !== undefined && now - since >= this.deps.limits.dropGraceMs;
      });
      if (gone) await this.dropCall(call.id, 'dropped');
    }
  }

  private async expireDueWaits(): Promise<void> {
    for (const entry of await this.deps.live.waitingPastExpiry(this.deps.now())) await this.expireWait(entry);
  }

  /** Nobody took the person in time: the wait ends and the session expires (Verilock's `expired`). */
  private async expireWait(entry: LiveEntry): Promise<void> {
    const expired = await this.deps.sessions.transaction(async (tx) => {
      const current = await this.deps.live.entry(entry.sessionId, tx);
      if (current?.state !== 'waiting' || current.waitExpiresAt === null || current.waitExpiresAt > this.deps.now()) return false;
      const session = await this.deps.sessions.get(entry.sessionId, tx);
      if (session && session.status !== 'completed' && !(await this.deps.sessions.update(session, applyLiveExpiry(session), tx))) return false;
      await this.deps.live.saveEntry({ ...current, state: 'ended', lastEndReason: 'expired' }, tx);
      return true;
    });
    if (!expired) return;
    this.deps.hub.publish(personChannel(entry.sessionId), 'ended', { reason: 'expired' }, { final: true });
    await this.publishQueue(entry.appId);
  }

  /** Ends a call without a decision ('dropped' or 'timeout'); the person goes back to the head of the queue when they rejoin. */
  private async dropCall(callId: string, reason: 'dropped' | 'timeout'): Promise<void> {
    const call = await this.deps.sessions.transaction(async (tx) => {
      const current = await this.deps.live.call(callId, tx);
      if (!current || !(await this.deps.live.endCall(callId, reason, this.deps.now(), tx))) return undefined;
      const entry = await this.deps.live.entry(current.sessionId, tx);
      if (entry?.state === 'in_call' && entry.callId === callId) {
        await this.deps.live.saveEntry({ ...entry, state: 'not_joined', priority: 1, waitExpiresAt: null, lastEndReason: reason }, tx);
      }
      return current;
    });
    if (!call) return;
    this.deps.hub.publish(personChannel(call.sessionId), 'ended', { reason, call_id: call.id }, { final: true });
    this.deps.hub.publish(agentChannel(call.id), 'ended', { reason }, { final: true });
  }

  /** Tells every waiting person of the app their place. */
  private async publishQueue(appId: string): Promise<void> {
    const waiting = await this.deps.live.waiting(appId);
    waiting.forEach((entry, index) => {
      this.deps.hub.publish(personChannel(entry.sessionId), 'queue', { queue_position: index + 1, wait_expires_at: iso(entry.waitExpiresAt) }, { live: true });
    });
  }

  // ── Checks ────────────────────────────────────────────────────────────────────────────────────────────────────────

  /** The session's photos: the selfie first (the face the agent compares), then the document. */
  private async photos(session: Session): Promise<Uint8Array[]> {
    const photos: Uint8Array[] = [];
    for (const step of ['selfie', 'document'] as const) {
      const id = session.media[step];
      if (id === undefined) continue;
      try {
        photos.push(new Uint8Array(await buffer(await this.deps.media.open(id))));
      } catch (error) {
        this.log(`live calls: the ${step} of session ${session.id} could not be read (${(error as Error).message})`);
      }
    }
    return photos;
  }

  /** Liveness of the selfie (else the document photo) and its match with the document photo. */
  private async photoChecks(session: Session): Promise<LiveChecks> {
    const [face, ...references] = await this.photos(session);
    return face ? this.check(face, references) : { faceMatchScore: null, livenessScore: null };
  }

  private async check(face: Uint8Array, references: Uint8Array[]): Promise<LiveChecks> {
    if (!this.deps.checker) return { faceMatchScore: null, livenessScore: null };
    try {
      return await this.deps.checker({ face, references });
    } catch (error) {
      this.log(`live calls: automatic checks failed (${(error as Error).message})`);
      return { faceMatchScore: null, livenessScore: null };
    }
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const oneDecimal = (score: number | null) => (score === null ? null : Math.round(score * 10) / 10);

/** The checks on the wire (0–100, one decimal; null when not computed). */
export const checksBody = (checks: LiveChecks) => ({
  face_match_score: oneDecimal(checks.faceMatchScore),
  liveness_score: oneDecimal(checks.livenessScore),
});

/** SnapshotChecksSoFar over `snapshots` (a call's, oldest first). */
export function snapshotChecksSoFar(snapshots: readonly { checks: LiveChecks }[]): SnapshotChecksSoFar {
  const liveness = snapshots.map((s) => s.checks.livenessScore).filter((score): score is number => score !== null);
  const match = snapshots.map((s) => s.checks.faceMatchScore).filter((score): score is number => score !== null);
  return {
    snapshots: snapshots.length,
    livenessScore: liveness.length === 0 ? null : liveness.reduce((sum, score) => sum + score, 0) / liveness.length,
    faceMatchScore: match.length === 0 ? null : Math.min(...match),
  };
}

/** A snapshot's checks on the wire (the `snapshot_checks` event, the snapshot's answer): its own and the call's so far. */
export const snapshotChecksBody = (snapshotId: string, checks: LiveChecks, soFar: SnapshotChecksSoFar) => ({
  snapshot_id: snapshotId,
  ...checksBody(checks),
  so_far: { snapshots: soFar.snapshots, liveness_score: oneDecimal(soFar.livenessScore), face_match_score: oneDecimal(soFar.faceMatchScore) },
});
