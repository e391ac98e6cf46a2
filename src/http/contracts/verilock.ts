/**
 * Verilock-style session API wire format (pure, no HTTP objects): request schemas for POST /v1/sessions and
 * the review, the error body, and the session / video bodies. Field names and enums follow Verilock's
 * documentation: sessions (https://developer.verilock.io/kyc-sessions/create-session), video KYC
 * (https://developer.verilock.io/premium-features/video-kyc) and errors
 * (https://developer.verilock.io/reference/errors: `{error, message, details}` where `error` is a
 * machine-readable type such as validation_error 422, authentication_error 401, not_found 404,
 * rate_limit_exceeded 429, server_error 500/503; 409 for a state conflict, per
 * https://developer.verilock.io/reference/response-codes).
 */
import { z } from 'zod';
import { AppError, type ErrorCode } from '../../errors.js';
import type { ChallengeResult } from '../../pipeline/challenge.js';
import type { ReplayOf } from '../../sessions/recording-fingerprints.js';
import { ChallengeRefusedError, type ChallengeRefusal, type StoredChallenge } from '../../sessions/challenge-repository.js';
import { promptsFor, VIDEO_LANGUAGES, type Prompt, type VideoLanguage } from '../../sessions/prompts.js';
import { SessionConflictError } from '../../sessions/session-commands.js';
import { checksBody, LiveError, type LiveView } from '../../sessions/live-calls.js';
import type { LiveCall, LiveChecks, LiveEntry } from '../../sessions/live-repository.js';
import { effectiveStatus, SESSION_STEPS, type Session, type SessionStep, TransitionError } from '../../sessions/session-state.js';
import { challengeBody } from './challenge.js';

/** Verilock error types used here; the first five are Verilock's documented ones, the rest name our extra cases. */
export type VerilockErrorType =
  | 'validation_error'
  | 'authentication_error'
  | 'not_found'
  | 'rate_limit_exceeded'
  | 'server_error'
  | 'invalid_request'
  | 'forbidden'
  | 'link_expired'
  | 'session_expired'
  | 'conflict'
  | 'not_supported'
  | 'payload_too_large'
  | 'unsupported_file_type'
  | 'challenge_invalid'
  | 'challenge_used'
  | 'challenge_expired'
  // Live agent mode (README "Live agent mode"):
  | 'agent_busy'
  | 'app_call_limit'
  | 'queue_empty'
  | 'not_your_call'
  | 'call_ended'
  | 'not_in_call';

export interface VerilockErrorBody {
  error: VerilockErrorType;
  message: string;
  /** Field-level messages for validation errors (`{"profile.video_mode": ["…"]}`), else extra context or null. */
  details: Record<string, unknown> | null;
}

/** An error of this API with its wire type and HTTP status. */
export class SessionApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 422,
    readonly type: VerilockErrorType,
    message: string,
    readonly details: Record<string, unknown> | null = null,
  ) {
    super(message);
    this.name = 'SessionApiError';
  }
}

const APP_ERROR_TYPES: Partial<Record<ErrorCode, VerilockErrorType>> = {
  BAD_REQUEST: 'invalid_request',
  UNAUTHENTICATED: 'authentication_error',
  FORBIDDEN: 'forbidden',
  NOT_FOUND: 'not_found',
  RATE_LIMITED: 'rate_limit_exceeded',
  IMAGE_TOO_LARGE: 'payload_too_large',
  MEDIA_TOO_LARGE: 'payload_too_large',
  UNSUPPORTED_FILE_TYPE: 'unsupported_file_type',
  VIDEO_INVALID: 'validation_error',
  NO_FACE_DETECTED: 'validation_error',
};

const TRANSITION_ERRORS: Record<TransitionError['reason'], [SessionApiError['status'], VerilockErrorType]> = {
  expired: [403, 'session_expired'],
  consent_required: [422, 'validation_error'],
  step_not_in_profile: [422, 'validation_error'],
  missing_previous_steps: [409, 'conflict'],
  already_uploaded: [409, 'conflict'],
  not_completed: [409, 'conflict'],
  already_reviewed: [409, 'conflict'],
  live_not_decided: [409, 'conflict'],
  live_only: [409, 'conflict'],
  completed: [409, 'conflict'],
};

/**
 * A refused active liveness challenge at the video upload: 422 for an id this session may not use (as Verilock answers
 * a field it cannot use), 409 for one already used (a state conflict, like a second video), 410 for one past its
 * lifetime (gone for good: create a new session). `details.reason` is the stable rule; another app's challenge reads as
 * `unknown`, so an app learns nothing of the challenges of others.
 */
const CHALLENGE_ERRORS: Record<ChallengeRefusal, [number, VerilockErrorType]> = {
  unknown: [422, 'challenge_invalid'],
  another_app: [422, 'challenge_invalid'],
  another_session: [422, 'challenge_invalid'],
  already_used: [409, 'challenge_used'],
  expired: [410, 'challenge_expired'],
};

/** Status and body for anything thrown by a session route; unknown errors get a generic 500 body. */
export function verilockError(error: unknown): { status: number; body: VerilockErrorBody } {
  if (error instanceof SessionApiError) return { status: error.status, body: { error: error.type, message: error.message, details: error.details } };
  if (error instanceof ChallengeRefusedError) {
    const [status, type] = CHALLENGE_ERRORS[error.reason];
    const reason = error.reason === 'another_app' ? 'unknown' : error.reason;
    return { status, body: { error: type, message: error.message, details: { reason, challenge_id: error.challengeId } } };
  }
  if (error instanceof LiveError) {
    const type: VerilockErrorType = error.code === 'not_found' ? 'not_found' : error.code;
    return { status: error.status, body: { error: type, message: error.message, details: null } };
  }
  // A concurrent writer won more often than the command retries: the client retries.
  if (error instanceof SessionConflictError) return { status: 409, body: { error: 'conflict', message: error.message, details: null } };
  if (error instanceof TransitionError) {
    const [status, type] = TRANSITION_ERRORS[error.reason];
    return { status, body: { error: type, message: error.message, details: { reason: error.reason } } };
  }
  if (error instanceof AppError && error.status < 500) {
    return { status: error.status, body: { error: APP_ERROR_TYPES[error.code] ?? 'invalid_request', message: error.message, details: null } };
  }
  if (error instanceof AppError && error.code === 'BUSY') return { status: 503, body: { error: 'server_error', message: error.message, details: null } };
  return { status: 500, body: { error: 'server_error', message: 'internal error', details: null } };
}

/** zod issues → Verilock's `details` (dotted field path → messages). */
export function validationDetails(error: z.ZodError): Record<string, string[]> {
  const details: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.join('.') || '(body)';
    (details[key] ??= []).push(issue.message);
  }
  return details;
}

/** Verilock's session lifetime bounds and default, seconds (create-session `expires_in`: min 300, max 86400, default 3600). */
export const SESSION_EXPIRES_IN = { min: 300, max: 86_400, default: 3600 } as const;

/** POST /v1/sessions body. `maxVideoSeconds` caps video_max_duration (VIDEO_MAX_SECONDS: the pipeline refuses longer clips). */
export function createSessionSchema(maxVideoSeconds: number) {
  return z
    .object({
      profile: z
        .object({
          steps: z
            .array(z.enum(SESSION_STEPS))
            .min(1)
            .refine((steps) => new Set(steps).size === steps.length, 'steps must not repeat')
            .refine((steps) => steps.includes('video'), 'steps must include "video" (this service runs video KYC sessions)')
            .refine((steps) => steps.includes('selfie') || steps.includes('document'), 'steps must include "selfie" or "document": the video is matched against them'),
          video_mode: z.enum(['self_record', 'live_agent']).default('self_record'),
          video_max_duration: z.number().int().min(1).max(maxVideoSeconds).default(Math.min(60, maxVideoSeconds)),
          video_language: z.enum(VIDEO_LANGUAGES).default('en'),
        })
        .strict(),
      redirect_url: z.url({ protocol: /^https?$/, error: 'redirect_url must be an http(s) URL' }).max(2048).optional(),
      external_id: z.string().min(1).max(255).optional(),
      expires_in: z.number().int().min(SESSION_EXPIRES_IN.min).max(SESSION_EXPIRES_IN.max).default(SESSION_EXPIRES_IN.default),
    })
    .strict();
}
export type CreateSessionRequest = z.infer<ReturnType<typeof createSessionSchema>>;

/** POST /v1/sessions/{id}/review body. */
export const reviewSchema = z
  .object({
    decision: z.enum(['approved', 'declined']),
    reviewer_id: z.string().min(1).max(255),
    notes: z.string().max(10_000).optional(),
  })
  .strict();

/**
 * Live agent mode: the person's join (POST …/live/join), JSON; the same consent fields as the video upload: the person
 * agrees to the call (and to its recording) before joining the queue.
 */
export const liveJoinSchema = z.object({
  consent_given_at: z.iso.datetime({ offset: true, error: 'consent_given_at must be an ISO 8601 date-time, e.g. 2026-03-18T10:14:52Z' }),
  consent_text_version: z.string().min(1).max(100),
});

/**
 * A WebRTC signaling message relayed as is (README "Live agent mode"): an SDP description (RFC 8866, JSEP RFC 8829
 * offer/answer) or one ICE candidate (RTCIceCandidateInit: candidate, sdpMid, sdpMLineIndex, usernameFragment).
 * The sizes cap what one message may hold: an SDP offer with audio, video and a data channel is a few KiB.
 */
export function signalSchema(types: readonly ['offer' | 'answer', ...('offer' | 'answer' | 'candidate')[]]) {
  return z
    .object({
      type: z.enum(types as unknown as [string, ...string[]]),
      sdp: z.string().max(64 * 1024).optional(),
      candidate: z
        .union([
          z.string().max(4096),
          z.object({ candidate: z.string().max(4096), sdpMid: z.string().max(256).nullable().optional(), sdpMLineIndex: z.number().int().min(0).max(1024).nullable().optional(), usernameFragment: z.string().max(256).nullable().optional() }).strict(),
        ])
        .nullable()
        .optional(),
    })
    .strict()
    .refine((m) => m.type !== 'candidate' || m.candidate !== undefined, { message: 'a candidate message carries `candidate` (null = end of candidates)', path: ['candidate'] })
    .refine((m) => m.type === 'candidate' || typeof m.sdp === 'string', { message: 'an offer or answer carries `sdp`', path: ['sdp'] });
}
export const personSignalSchema = signalSchema(['offer', 'candidate']);
export const agentSignalSchema = signalSchema(['answer', 'candidate']);

/** POST /v1/agents body. */
export const createAgentSchema = z.object({ name: z.string().trim().min(1).max(100) }).strict();

/** POST /v1/agent/calls/{id}/prompts body: one short instruction the person reads on their page. */
export const promptSchema = z.object({ text: z.string().trim().min(1).max(200) }).strict();

/** POST /v1/agent/calls/{id}/decision body (Verilock: the agent approves or declines; their notes are attached). */
export const decisionSchema = z.object({ result: z.enum(['approved', 'declined']), notes: z.string().max(10_000) }).strict();

/** The `live` object of a live_agent session's body (extension, README "Live agent mode"). */
export function liveBody(view: LiveView) {
  return {
    state: view.state,
    queue_position: view.queuePosition,
    agent_id: view.agentId,
    call_id: view.callId,
    wait_expires_at: iso(view.waitExpiresAt),
    last_call_end: view.lastEndReason,
  };
}

/** GET /v1/agent/queue body. */
export function agentQueueBody(queue: { waiting: LiveEntry[]; activeCall: LiveCall | null }) {
  return {
    waiting: queue.waiting.map((e, i) => ({ session_id: e.sessionId, queue_position: i + 1, waiting_since: iso(e.queuedAt) })),
    active_call: queue.activeCall ? { call_id: queue.activeCall.id, session_id: queue.activeCall.sessionId } : null,
  };
}

export { checksBody };
export type { LiveChecks };

/** Consent fields sent with the video (multipart fields, or X-Consent-* headers with a raw body). */
export const consentSchema = z.object({
  consent_given_at: z.iso.datetime({ offset: true, error: 'consent_given_at must be an ISO 8601 date-time, e.g. 2026-03-18T10:14:52Z' }),
  consent_text_version: z.string().min(1).max(100),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export type CaptureLinks = Record<SessionStep, string | undefined>;

/**
 * 201 body of POST /v1/sessions and 200 body of GET /v1/sessions/{id}. `challenge` (extension, README "Active liveness
 * challenges"): the session's active liveness challenge, null when it has none.
 */
export function sessionBody(
  session: Session,
  now: number,
  links: { capture?: Partial<CaptureLinks>; captureUrl?: string } = {},
  challenge: StoredChallenge | null = null,
  live: LiveView | null = null,
) {
  const prompts: Prompt[] = promptsFor(session.videoLanguage as VideoLanguage);
  return {
    id: session.id,
    status: effectiveStatus(session, now),
    result: session.result,
    external_id: session.externalId,
    redirect_url: session.redirectUrl,
    profile: {
      steps: session.steps,
      video_mode: session.videoMode,
      video_max_duration: session.videoMaxDuration,
      video_language: session.videoLanguage,
    },
    prompts,
    ...(links.capture ? { capture: Object.fromEntries(session.steps.map((step) => [step, { upload_url: links.capture![step] ?? null }])) } : {}),
    // The hosted capture page (README "Capture page"): send the person there instead of building a capture UI.
    ...(links.captureUrl ? { capture_url: links.captureUrl } : {}),
    challenge: challenge ? challengeBody(challenge) : null,
    uploaded: Object.fromEntries(session.steps.map((step) => [step, session.media[step] !== undefined])),
    consent: consentBody(session),
    result_reason: session.resultReason,
    created_at: iso(session.createdAt),
    expires_at: iso(session.expiresAt),
    completed_at: iso(session.completedAt),
    // Live agent mode (README "Live agent mode"): where the person is in the queue or call; live_agent sessions only.
    ...(live ? { live: liveBody(live) } : {}),
  };
}

export function consentBody(session: Session) {
  const c = session.consent;
  return c ? { given_at: c.givenAt, text_version: c.textVersion, ip: c.ip, user_agent: c.userAgent } : null;
}

/** Rounds a 0–100 score to one decimal. */
const score = (value: number) => Math.round(Math.min(100, Math.max(0, value)) * 10) / 10;

/** What the service found in a session's recording beyond Verilock's scores (extension fields of the video answer). */
export interface VideoEvidence {
  /** The active liveness challenge's answer (issue #14); null when the session had none or its video is not processed yet. */
  challenge: ChallengeResult | null;
  /** The earlier session of the same app whose recording this one replays (issue #14); null when none (or not processed yet). */
  replayOf: ReplayOf | null;
  /** live_agent sessions: the agent's snapshots of the call, oldest first, each with its signed download link. */
  snapshots?: { id: string; takenAt: number; url: string }[];
}

/**
 * GET /v1/sessions/{id}/video: Verilock's fields; agent_id and agent_notes only once a reviewer decided.
 * duration_seconds is an integer (Verilock's type), rounded; scores are 0–100; transcript is null (no speech
 * recognition model is embedded). Extensions (README "Active liveness challenges"): `challenge`, the verifier's answer
 * for the session's challenge, the same object as verifyVideo's `result.challenge`; `replayed_recording`, the earlier
 * session whose recording this one is (and how alike, 0–1), or null.
 */
export function videoBody(session: Session, now: number, videoUrl: string | null, evidence: VideoEvidence = { challenge: null, replayOf: null }) {
  return {
    session_id: session.id,
    video_mode: session.videoMode,
    status: effectiveStatus(session, now),
    result: session.result,
    video_url: videoUrl,
    duration_seconds: session.scores ? Math.round(session.scores.durationSeconds) : null,
    face_match_score: session.scores ? score(session.scores.faceMatchScore) : null,
    liveness_score: session.scores ? score(session.scores.livenessScore) : null,
    transcript: null,
    recorded_at: iso(session.recordedAt),
    reviewed_at: iso(session.review?.at ?? null),
    ...(session.review ? { agent_id: session.review.reviewerId, agent_notes: session.review.notes } : {}),
    challenge: evidence.challenge,
    replayed_recording: evidence.replayOf ? { session_id: evidence.replayOf.sessionId, similarity: Math.round(evidence.replayOf.similarity * 1000) / 1000 } : null,
    // Extension (README "Live agent mode"): the agent's snapshots of a live call; live_agent sessions only.
    ...(session.videoMode === 'live_agent' ? { snapshots: (evidence.snapshots ?? []).map((s) => ({ id: s.id, taken_at: iso(s.takenAt), url: s.url })) } : {}),
  };
}
