/**
 * The Verilock-style video-KYC session API (issue #6, self-record mode):
 *   POST /v1/sessions                      create (Bearer key) → id + signed capture links
 *   GET  /v1/sessions/{id}                 the session, its consent and capture progress (Bearer)
 *                                          (both answer `capture_url`: the hosted capture page, routes/capture.ts)
 *   POST /v1/sessions/{id}/{document|selfie|video}   uploads (Bearer, or the signed capture link); the video
 *                                          needs the consent fields, uses up the session's active liveness
 *                                          challenge (optional `challenge_id`) and enqueues `session.process`
 *   GET  /v1/sessions/{id}/video           Verilock's video result, with a signed 1-hour video_url (Bearer)
 *   GET  /v1/sessions/{id}/video/download  the recorded video through that signed link (HTTP Range)
 *   POST /v1/sessions/{id}/review          a reviewer's decision, once (Bearer)
 * A live_agent session (README "Live agent mode") shows `live` (queue place, call) in its body; its person's join,
 * events, signal and leave endpoints are in routes/live-agent.ts, behind the signed links of liveLinks().
 * Errors are Verilock's `{error, message, details}` (contracts/verilock.ts). Guards run cheapest first:
 * credentials → rate limit → body limit → session lookup and state check → body parsing → storage.
 */
import { Readable } from 'node:stream';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { checkDeclaredPixels } from '../../imaging/decode.js';
import type { ChallengeRepository } from '../../sessions/challenge-repository.js';
import type { LiveCalls } from '../../sessions/live-calls.js';
import type { RecordingFingerprintRepository } from '../../sessions/recording-fingerprints.js';
import type { SessionRepository, StoredSession } from '../../sessions/session-repository.js';
import { attachUpload, createSession as createSessionCommand, reviewSession, videoUploadChallenge } from '../../sessions/session-commands.js';
import { checkUpload, type Consent, type Session, type SessionStep } from '../../sessions/session-state.js';
import type { JobEnqueuer } from '../../store/job-queue.js';
import type { MediaStore } from '../../store/media-store.js';
import type { WebhookEvents } from '../../store/webhooks.js';
import { AppRegistry, evidenceRetentionMs } from '../apps.js';
import type { ApiEnv } from '../context.js';
import {
  consentBody,
  consentSchema,
  createSessionSchema,
  reviewSchema,
  SessionApiError,
  sessionBody,
  validationDetails,
  videoBody,
  type VideoEvidence,
} from '../contracts/verilock.js';
import { CHALLENGE_ID_PATTERN } from '../contracts/challenge.js';
import { serveMediaOrRedirect } from '../media-response.js';
import { multipartBoundary } from '../multipart.js';
import { bearerKey } from '../middleware/bearer-key.js';
import { bodyLimit } from '../middleware/body-limit.js';
import { rateLimit, type RateLimiter } from '../middleware/rate-limit.js';
import type { UrlSigner } from '../signed-url.js';
import { readJson, verilockErrorHandler } from '../verilock-route.js';

export interface SessionsDeps {
  apps: AppRegistry;
  rateLimiter: RateLimiter;
  sessions: SessionRepository;
  /**
   * Active liveness challenges (README "Active liveness challenges") on the sessions' database: each new session whose
   * video_max_duration can hold one gets one, shown in its body and used up by its video upload. Absent = sessions get
   * none, and an upload naming a `challenge_id` is refused (422 challenge_invalid).
   */
  challenges?: ChallengeRepository;
  /** The recordings' fingerprints (replayed recordings, README "Active liveness challenges"); absent = no replay check. */
  fingerprints?: Pick<RecordingFingerprintRepository, 'forSession'>;
  media: MediaStore;
  jobs: JobEnqueuer;
  webhooks: WebhookEvents;
  /** Signs capture links (until the session expires) and video links (ttlSeconds: Verilock's 1 hour). */
  signer: UrlSigner;
  limits: {
    /** Largest selfie / document photo, bytes. */
    imageBytes: number;
    /**
     * Largest selfie / document photo, width × height pixels (MAX_IMAGE_PIXELS), read from its header at upload:
     * past it 413 payload_too_large and nothing is stored. Absent = not checked at upload; processing still refuses
     * the photo (IMAGE_TOO_LARGE), which declines the session.
     */
    imagePixels?: number;
    /** Largest video, bytes. */
    videoBytes: number;
    /** Longest video_max_duration a profile may ask for, seconds (VIDEO_MAX_SECONDS). */
    maxVideoSeconds: number;
    /** How long captured media is kept, ms, for apps without their own evidenceRetentionDays (EVIDENCE_RETENTION_DAYS). */
    mediaRetentionMs: number;
  };
  /** The client's IP for the consent record (the socket peer; tests and proxies supply their own). */
  clientIp: (c: Context<ApiEnv>) => string;
  /** Base for absolute links; undefined = the request's origin. */
  publicBaseUrl?: string;
  /** Live agent mode (README "Live agent mode"): the queue and calls; absent = `video_mode: "live_agent"` answers 422 not_supported. */
  live?: LiveCalls;
  now?: () => number;
}

/** Body of the JSON endpoints (create, review): small. */
const JSON_BODY_LIMIT_BYTES = 64 * 1024;
const UPLOAD_STEPS: readonly SessionStep[] = ['document', 'selfie', 'video'];
/** Multipart field of each step: Verilock's `front` (documents) and `image` (selfie); `video` for the video. */
const FILE_FIELD: Record<SessionStep, string> = { document: 'front', selfie: 'image', video: 'video' };
const DOCUMENT_TYPES = ['passport', 'id_card', 'driving_license', 'residence_permit'];

const captureResource = (id: string, step: SessionStep) => `session-capture:${id}:${step}`;
export const videoResource = (id: string) => `session-video:${id}`;
/** A snapshot an agent took of a live call (routes/live-agent.ts serves it behind this signature). */
export const snapshotResource = (sessionId: string, snapshotId: string) => `session-snapshot:${sessionId}:${snapshotId}`;

/** The person's live-call endpoints of a session (routes/live-agent.ts): one resource for the four, so one link signs each. */
export const liveResource = (id: string) => `session-live:${id}`;

/** The signed links of a live_agent session's person (join, events, signal, leave), valid until the session expires. */
export function liveLinks(base: string, signer: UrlSigner, session: Session) {
  const expires = Math.floor(session.expiresAt / 1000);
  const query = `?expires=${expires}&signature=${signer.signature(liveResource(session.id), expires)}`;
  const url = (action: string) => `${base}/v1/sessions/${session.id}/live/${action}${query}`;
  return { join_url: url('join'), events_url: url('events'), signal_url: url('signal'), leave_url: url('leave') };
}

/** The upload of a live call's recording after the agent's decision: its own resource, so no other link can stand in for it. */
export const liveRecordingResource = (id: string) => `session-live-recording:${id}`;

/**
 * The signed link the person's page uploads the call's recording to after the agent's decision (POST
 * /v1/sessions/{id}/video, as the capture link does), valid LIVE_RECORDING_UPLOAD_SECONDS from the decision whatever
 * the session's own expiry: a call that ends near `expires_at` still hands its recording over. Used once: the
 * session takes one video (a second upload answers 409 already_uploaded). Undefined when there is nothing to upload
 * (not decided, a recording stored already) or the window has passed.
 */
export function liveRecordingLink(base: string, signer: UrlSigner, session: Session, windowMs: number, nowMs: number): { url: string; expiresAt: number } | undefined {
  if (session.videoMode !== 'live_agent' || session.review === null || session.media.video !== undefined) return undefined;
  const expires = Math.floor((session.review.at + windowMs) / 1000);
  if (expires * 1000 <= nowMs) return undefined;
  return { url: `${base}/v1/sessions/${session.id}/video?expires=${expires}&signature=${signer.signature(liveRecordingResource(session.id), expires)}`, expiresAt: expires * 1000 };
}

/** The hosted capture page of a session (routes/capture.ts): its own resource, so an upload link cannot open it. */
export const capturePageResource = (id: string) => `session-page:${id}`;

/** A signed upload link for one step; capture links die with the session: the link is the end user's only credential. */
export function captureUploadLink(base: string, signer: UrlSigner, session: Session, step: SessionStep): string {
  const expires = Math.floor(session.expiresAt / 1000);
  return `${base}/v1/sessions/${session.id}/${step}?expires=${expires}&signature=${signer.signature(captureResource(session.id, step), expires)}`;
}

/** The signed link to the hosted capture page (GET /capture/{id}), valid until the session expires. */
export function capturePageLink(base: string, signer: UrlSigner, session: Session): string {
  const expires = Math.floor(session.expiresAt / 1000);
  return `${base}/capture/${session.id}?expires=${expires}&signature=${signer.signature(capturePageResource(session.id), expires)}`;
}

type SessionEnv = ApiEnv & { Variables: { session: StoredSession; viaLink: boolean } };

export function sessionsRoute(deps: SessionsDeps): Hono<ApiEnv> {
  const route = new Hono<SessionEnv>();
  const now = deps.now ?? Date.now;
  const base = (c: Context) => deps.publicBaseUrl ?? new URL(c.req.url).origin;
  const commands = { sessions: deps.sessions, media: deps.media, jobs: deps.jobs, webhooks: deps.webhooks, now, ...(deps.challenges ? { challenges: deps.challenges } : {}) };

  const captureLink = (c: Context, session: Session, step: SessionStep) => captureUploadLink(base(c), deps.signer, session, step);
  const videoLink = (c: Context, session: Session) => {
    if (!session.media.video) return null;
    const { expires, signature } = deps.signer.sign(videoResource(session.id));
    return `${base(c)}/v1/sessions/${session.id}/video/download?expires=${expires}&signature=${signature}`;
  };

  /** `Authorization: Bearer <appKey>` → the app (401 without); 403 when the app may not call `sessions`. */
  const authenticate = bearerKey(deps.apps) as unknown as MiddlewareHandler<SessionEnv>;
  const bearer: MiddlewareHandler<SessionEnv> = async function sessionsBearerMiddleware(c, next) {
    await authenticate(c, async () => {
      const app = c.get('app');
      if (!AppRegistry.allows(app, 'sessions')) throw new SessionApiError(403, 'forbidden', `app "${app.appId}" may not call the sessions API`);
      await next();
    });
  };

  /** Loads `:id`; another app's session is reported as missing (no existence oracle across apps). */
  const loadOwnSession: MiddlewareHandler<SessionEnv> = async function loadSessionMiddleware(c, next) {
    const id = c.req.param('id')!;
    const session = await deps.sessions.get(id);
    if (!session || session.appId !== c.get('app').appId) throw new SessionApiError(404, 'not_found', `no session ${id}`);
    c.set('session', session);
    await next();
  };

  /**
   * Uploads take the Bearer key (server-side integrations) or the signed capture link of that session and
   * step (the end user's device, which must never hold the API key). A link past its expiry is 403.
   */
  const uploadAccess: MiddlewareHandler<SessionEnv> = async function uploadAccessMiddleware(c, next) {
    const step = c.req.param('step') as SessionStep;
    const id = c.req.param('id')!;
    const expires = c.req.query('expires');
    const signature = c.req.query('signature');
    if (expires === undefined && signature === undefined) {
      await bearer(c, async () => {
        await rateLimit(deps.rateLimiter)(c as unknown as Context<ApiEnv>, async () => {
          await loadOwnSession(c, next);
        });
      });
      return;
    }
    const captureCheck = deps.signer.check(captureResource(id, step), expires, signature);
    // The video may also come through the recording link of a live call's decision (liveRecordingLink).
    const recordingCheck = captureCheck === 'invalid' && step === 'video' ? deps.signer.check(liveRecordingResource(id), expires, signature) : 'invalid';
    const viaRecordingLink = recordingCheck !== 'invalid';
    const check = viaRecordingLink ? recordingCheck : captureCheck;
    if (check === 'invalid') throw new SessionApiError(403, 'forbidden', 'the capture link is invalid');
    if (check === 'expired' && viaRecordingLink) {
      throw new SessionApiError(403, 'link_expired', `the recording link has expired (it is valid LIVE_RECORDING_UPLOAD_SECONDS after the agent's decision)`);
    }
    if (check === 'expired') throw new SessionApiError(403, 'link_expired', 'the capture link has expired; create a new session');
    const session = await deps.sessions.get(id);
    if (!session) throw new SessionApiError(404, 'not_found', `no session ${id}`);
    const app = deps.apps.get(session.appId);
    if (!app) throw new SessionApiError(403, 'forbidden', `the app of session ${id} is no longer configured`);
    c.set('app', app);
    c.set('session', session);
    c.set('viaLink', true);
    await next();
  };

  route.use('/sessions/*', async function requestIdHeader(c, next) {
    await next();
    // Verilock returns X-Request-Id on every response (https://developer.verilock.io/reference/response-codes).
    const requestId = c.get('requestId');
    if (requestId) c.header('X-Request-Id', requestId);
  });
  route.use('/sessions', async function requestIdHeaderRoot(c, next) {
    await next();
    const requestId = c.get('requestId');
    if (requestId) c.header('X-Request-Id', requestId);
  });

  route.post('/sessions', bearer, rateLimit(deps.rateLimiter), bodyLimit(JSON_BODY_LIMIT_BYTES), async function createSession(c) {
    const json = await readJson(c.req.raw);
    // live_agent is Verilock's real-time call with a human agent: served when the live calls are wired (the service
    // always wires them; an app built without them, as some tests build it, has no queue to put the person in).
    if (!deps.live && isRecord(json) && isRecord(json.profile) && json.profile.video_mode === 'live_agent') {
      throw new SessionApiError(422, 'not_supported', 'video_mode "live_agent" is not served here (live agent mode is not configured); use "self_record"', {
        'profile.video_mode': ['live_agent is not configured; use self_record'],
      });
    }
    const parsed = createSessionSchema(deps.limits.maxVideoSeconds).safeParse(json);
    if (!parsed.success) throw new SessionApiError(422, 'validation_error', 'The given data was invalid.', validationDetails(parsed.error));
    const request = parsed.data;
    const { session, challenge } = await createSessionCommand(commands, {
      appId: c.get('app').appId,
      externalId: request.external_id ?? null,
      redirectUrl: request.redirect_url ?? null,
      steps: request.profile.steps,
      videoMode: request.profile.video_mode,
      videoMaxDuration: request.profile.video_max_duration,
      videoLanguage: request.profile.video_language,
      expiresAt: now() + request.expires_in * 1000,
    });
    const capture = Object.fromEntries(session.steps.map((step) => [step, captureLink(c, session, step)]));
    const live = session.videoMode === 'live_agent' && deps.live ? (await deps.live.view(session)).live : null;
    return c.json(sessionBody(session, now(), { capture, captureUrl: capturePageLink(base(c), deps.signer, session) }, challenge, live), 201);
  });

  route.get('/sessions/:id', bearer, rateLimit(deps.rateLimiter), loadOwnSession, async function getSession(c) {
    let session: Session = c.get('session');
    let live = null;
    if (session.videoMode === 'live_agent' && deps.live) ({ session, live } = await deps.live.view(c.get('session')));
    const capture = Object.fromEntries(session.steps.map((step) => [step, captureLink(c, session, step)]));
    const challenge = (await deps.challenges?.forSession(session.id)) ?? null;
    return c.json(sessionBody(session, now(), { capture, captureUrl: capturePageLink(base(c), deps.signer, session) }, challenge, live), 200);
  });

  /** The video answer's extension fields: what the verifier found for the session's challenge, and a replay. */
  const videoEvidence = async (sessionId: string, c: Context): Promise<VideoEvidence> => ({
    challenge: (await deps.challenges?.forSession(sessionId))?.result ?? null,
    replayOf: (await deps.fingerprints?.forSession(sessionId))?.replayOf ?? null,
    // Signed like video_url (1 hour).
    snapshots: deps.live
      ? (await deps.live.snapshots(sessionId)).map((s) => {
          const { expires, signature } = deps.signer.sign(snapshotResource(sessionId, s.id));
          return { id: s.id, takenAt: s.createdAt, url: `${base(c)}/v1/sessions/${sessionId}/snapshots/${s.id}?expires=${expires}&signature=${signature}` };
        })
      : [],
  });

  route.get('/sessions/:id/video', bearer, rateLimit(deps.rateLimiter), loadOwnSession, async function getVideo(c) {
    const session = c.get('session');
    return c.json(videoBody(session, now(), videoLink(c, session), await videoEvidence(session.id, c)), 200);
  });

  route.get('/sessions/:id/video/download', async function downloadVideo(c) {
    const id = c.req.param('id');
    const check = deps.signer.check(videoResource(id), c.req.query('expires'), c.req.query('signature'));
    if (check === 'invalid') throw new SessionApiError(403, 'forbidden', 'the video link is invalid');
    if (check === 'expired') throw new SessionApiError(403, 'link_expired', 'the video link has expired; get a new one from GET /v1/sessions/{id}/video');
    const mediaId = (await deps.sessions.get(id))?.media.video;
    const record = mediaId ? await deps.media.get(mediaId) : undefined;
    if (!record) throw new SessionApiError(404, 'not_found', `the video of session ${id} is not stored (not recorded yet, or past retention)`);
    // S3_PUBLIC_URLS=presigned: a redirect to the bucket, valid as long as this link (media-response.ts).
    return serveMediaOrRedirect(
      deps.media,
      record,
      c.req.raw,
      {
        // The link is a bearer credential: keep the video out of shared caches (RFC 9111 §5.2.2.7).
        'Cache-Control': 'private, no-store',
        'Content-Disposition': `attachment; filename="${id}-video"`,
      },
      { expiresAtMs: Number(c.req.query('expires')) * 1000, nowMs: now() },
    );
  });

  route.post('/sessions/:id/review', bearer, rateLimit(deps.rateLimiter), bodyLimit(JSON_BODY_LIMIT_BYTES), loadOwnSession, async function review(c) {
    const parsed = reviewSchema.safeParse(await readJson(c.req.raw));
    if (!parsed.success) throw new SessionApiError(422, 'validation_error', 'The given data was invalid.', validationDetails(parsed.error));
    const request = parsed.data;
    const next = await reviewSession(commands, c.get('session'), { decision: request.decision, reviewerId: request.reviewer_id, notes: request.notes ?? null });
    return c.json(videoBody(next, now(), videoLink(c, next), await videoEvidence(next.id, c)), 200);
  });

  route.post('/sessions/:id/:step{document|selfie|video}', uploadAccess, async function upload(c, next) {
    const step = c.req.param('step') as SessionStep;
    const limit = step === 'video' ? deps.limits.videoBytes : deps.limits.imageBytes;
    // Body limit: a little over the file limit for the multipart framing and consent fields.
    await bodyLimit(limit + 64 * 1024)(c, next);
  }, async function uploadStep(c) {
    const step = c.req.param('step') as SessionStep;
    const session = c.get('session');
    checkUpload(session, step, now());
    const { file, fields } = await readUpload(c.req.raw, step);
    // A pixel bomb (a small file whose header declares a huge picture) is refused before it is stored, as the
    // photo APIs refuse it (README "Configuration", MAX_IMAGE_PIXELS: past it 413), whatever its format.
    if (step !== 'video' && file instanceof Uint8Array && deps.limits.imagePixels !== undefined) await checkDeclaredPixels(file, deps.limits.imagePixels);
    let consent: Consent | undefined;
    let challengeId: string | undefined;
    if (step === 'video') {
      consent = parseConsent(fields, c, deps.clientIp(c as unknown as Context<ApiEnv>));
      // Refused here (wrong, expired, used) before the video is stored; attachUpload uses it up in the upload's write.
      challengeId = await videoUploadChallenge(commands, session, parseChallengeId(fields));
    }
    if (step === 'document' && fields.type !== undefined && !DOCUMENT_TYPES.includes(fields.type)) {
      throw new SessionApiError(422, 'validation_error', 'The given data was invalid.', { type: [`type must be one of ${DOCUMENT_TYPES.join(', ')}`] });
    }
    const record = await deps.media.put(file, {
      kind: step === 'video' ? 'video' : 'image',
      appId: session.appId,
      maxBytes: step === 'video' ? deps.limits.videoBytes : deps.limits.imageBytes,
      // The app's own evidenceRetentionDays (APPS_FILE) when set, else EVIDENCE_RETENTION_DAYS.
      retentionMs: evidenceRetentionMs(deps.apps.get(session.appId), deps.limits.mediaRetentionMs),
    });
    const { stored, jobId } = await attachUpload(commands, session, step, record.id, consent, challengeId);
    return c.json(
      {
        id: record.id,
        session_id: stored.id,
        step,
        status: 'uploaded',
        content_type: record.contentType,
        bytes: record.bytes,
        sha256: record.sha256,
        created_at: new Date(record.createdAt).toISOString(),
        session_status: stored.status,
        ...(step === 'video' ? { consent: consentBody(stored), job_id: jobId ?? null, challenge_id: challengeId ?? null } : {}),
      },
      201,
    );
  });

  route.all('/sessions/*', () => {
    throw new SessionApiError(404, 'not_found', 'no such sessions endpoint');
  });

  route.onError(verilockErrorHandler('sessions API'));

  return route as unknown as Hono<ApiEnv>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * An upload body: multipart/form-data with the step's file field (`front` + optional `type` for the document,
 * `image` for the selfie, `video` + consent fields and optional `challenge_id` for the video), or the raw file as the
 * body (consent in X-Consent-Given-At / X-Consent-Text-Version headers, the challenge id in X-Challenge-Id).
 */
async function readUpload(req: Request, step: SessionStep): Promise<{ file: Uint8Array | Readable; fields: Record<string, string> }> {
  const type = req.headers.get('content-type') ?? '';
  if (/^multipart\/form-data\s*;/i.test(type)) {
    let form: FormData;
    try {
      // RFC 2046 §5.1.1, before the body is read: one boundary of 1–70 characters, no parameter given twice.
      multipartBoundary(type);
    } catch (error) {
      throw new SessionApiError(400, 'invalid_request', (error as Error).message);
    }
    try {
      form = await req.formData();
    } catch (error) {
      throw new SessionApiError(400, 'invalid_request', `malformed multipart body (${(error as Error).message})`);
    }
    const fileField = FILE_FIELD[step];
    const files = form.getAll(fileField);
    if (files.length !== 1 || typeof files[0] === 'string') {
      throw new SessionApiError(422, 'validation_error', 'The given data was invalid.', { [fileField]: [files.length > 1 ? `send "${fileField}" once` : `"${fileField}" (a file) is required`] });
    }
    const fields: Record<string, string> = {};
    for (const [name, value] of form.entries()) {
      if (name === fileField) continue;
      if (typeof value !== 'string') throw new SessionApiError(422, 'validation_error', 'The given data was invalid.', { [name]: ['unexpected file field'] });
      fields[name] = value;
    }
    const blob = files[0] as Blob;
    if (blob.size === 0) throw new SessionApiError(422, 'validation_error', 'The given data was invalid.', { [fileField]: ['the file is empty'] });
    return { file: new Uint8Array(await blob.arrayBuffer()), fields };
  }
  if (!req.body) throw new SessionApiError(422, 'validation_error', 'The given data was invalid.', { body: ['send the file as the body, or as multipart/form-data'] });
  // Photos are read whole (≤ imageBytes, held by the body limit) so their header can be checked before storing.
  if (step !== 'video') return { file: new Uint8Array(await req.arrayBuffer()), fields: {} };
  const fields: Record<string, string> = {};
  const givenAt = req.headers.get('X-Consent-Given-At');
  const textVersion = req.headers.get('X-Consent-Text-Version');
  const challengeId = req.headers.get('X-Challenge-Id');
  if (givenAt !== null) fields.consent_given_at = givenAt;
  if (textVersion !== null) fields.consent_text_version = textVersion;
  if (challengeId !== null) fields.challenge_id = challengeId;
  return { file: Readable.fromWeb(req.body as import('node:stream/web').ReadableStream<Uint8Array>), fields };
}

/**
 * The video upload's optional `challenge_id` (form field, or X-Challenge-Id with a raw body): the id of the session's
 * challenge as its body shows it. Absent = the session's own challenge is used.
 */
function parseChallengeId(fields: Record<string, string>): string | undefined {
  const value = fields.challenge_id?.trim();
  if (value === undefined) return undefined;
  if (!CHALLENGE_ID_PATTERN.test(value)) {
    throw new SessionApiError(422, 'validation_error', 'The given data was invalid.', { challenge_id: ['challenge_id must be the id of the session\'s challenge ("chl_" and a UUID), or absent'] });
  }
  return value;
}

function parseConsent(fields: Record<string, string>, c: Context, ip: string): Consent {
  const parsed = consentSchema.safeParse(fields);
  if (!parsed.success) {
    throw new SessionApiError(422, 'validation_error', 'a video is accepted only with the recorded consent: consent_given_at and consent_text_version', validationDetails(parsed.error));
  }
  return { givenAt: parsed.data.consent_given_at, textVersion: parsed.data.consent_text_version, ip, userAgent: c.req.header('User-Agent') ?? '' };
}
