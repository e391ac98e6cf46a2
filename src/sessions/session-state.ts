/**
 * The video-KYC session and its state machine, as pure functions of (session, input, now): no I/O, so
 * every transition is unit-tested without a database. The repository persists what these return.
 *
 * Status (Verilock's `status`: https://developer.verilock.io/premium-features/video-kyc):
 *   pending ──first upload──▶ in_progress ──processing finished──▶ completed
 *      └──────────┴──── expires_at passed before the video arrived ──▶ expired
 * Result (Verilock's `result`): approved | declined | needs_review, set when processing finishes and
 * replaced by a reviewer's decision (`POST /v1/sessions/{id}/review`), at most once.
 *
 * Live agent mode (`video_mode: "live_agent"`, README "Live agent mode"): after the photos the person joins the agents'
 * queue (in_progress); the agent's decision completes the session (result, agent = reviewer); no agent within
 * LIVE_QUEUE_WAIT_SECONDS expires it. The person's own recording of the call is uploaded after the decision and
 * processed like a self-recorded video, but processing only adds the scores: the agent's decision stays the result.
 */

/** Capture steps a profile may list (Verilock's `profile.steps`). */
export const SESSION_STEPS = ['document', 'selfie', 'video'] as const;
export type SessionStep = (typeof SESSION_STEPS)[number];
export type ImageStep = Exclude<SessionStep, 'video'>;

export type SessionStatus = 'pending' | 'in_progress' | 'completed' | 'expired';
/** Verilock's `profile.video_mode`. */
export const VIDEO_MODES = ['self_record', 'live_agent'] as const;
export type VideoMode = (typeof VIDEO_MODES)[number];
export type SessionResult = 'approved' | 'declined' | 'needs_review';

/** What the person agreed to before recording; a video is accepted only with one (issue #6 "Consent"). */
export interface Consent {
  /** When the person consented, ISO 8601 as sent by the capture client. */
  givenAt: string;
  /** Version of the consent text shown, e.g. "kyc-video-2026-01". */
  textVersion: string;
  /** Client IP as seen by this service (the socket peer, or the first X-Forwarded-For hop when trusted). */
  ip: string;
  /** The capture client's User-Agent header. */
  userAgent: string;
}

/** Scores from the video verification pipeline, 0–100. */
export interface SessionScores {
  durationSeconds: number;
  /** The lower of video-vs-selfie and video-vs-document (both when both were captured). */
  faceMatchScore: number;
  livenessScore: number;
}

export interface Review {
  decision: 'approved' | 'declined';
  reviewerId: string;
  notes: string | null;
  /** ms since the epoch. */
  at: number;
}

export interface Session {
  /** `ses_<uuid>`. */
  id: string;
  appId: string;
  externalId: string | null;
  redirectUrl: string | null;
  steps: SessionStep[];
  videoMode: VideoMode;
  /** Longest accepted recording, seconds. */
  videoMaxDuration: number;
  videoLanguage: string;
  /** Stored status; read it through effectiveStatus (expiry is evaluated lazily). */
  status: SessionStatus;
  result: SessionResult | null;
  /** Times in ms since the epoch. */
  createdAt: number;
  expiresAt: number;
  /** Media ids (store/media-store.ts) per captured step. */
  media: Partial<Record<SessionStep, string>>;
  consent: Consent | null;
  recordedAt: number | null;
  scores: SessionScores | null;
  /** Why the result is not approved: the decision rules' messages, or why processing could not score the video (e.g. no face in any frame). */
  resultReason: string | null;
  completedAt: number | null;
  review: Review | null;
  /**
   * When processing of the recording finished, ms since the epoch (null before). For self_record it is the completion;
   * for live_agent it comes after the agent's decision, which it does not change.
   */
  recordingProcessedAt: number | null;
}

/** The status a reader sees at `now`: a session still waiting for its video past expires_at is expired. */
export function effectiveStatus(session: Session, now: number): SessionStatus {
  if ((session.status === 'pending' || session.status === 'in_progress') && session.media.video === undefined && now >= session.expiresAt) return 'expired';
  return session.status;
}

/** A refused transition: `reason` says which rule, the caller maps it to an HTTP status. */
export class TransitionError extends Error {
  constructor(
    readonly reason:
      | 'expired'
      | 'consent_required'
      | 'step_not_in_profile'
      | 'already_uploaded'
      | 'missing_previous_steps'
      | 'not_completed'
      | 'already_reviewed'
      | 'live_not_decided'
      | 'live_only'
      | 'completed',
    message: string,
  ) {
    super(message);
    this.name = 'TransitionError';
  }
}

/** Image steps of the profile that must be captured before the video. */
export function requiredImageSteps(session: Pick<Session, 'steps'>): ImageStep[] {
  return session.steps.filter((s): s is ImageStep => s !== 'video');
}

/**
 * Checks that `step` may be uploaded now. Images may be re-taken until the video arrives (the video is
 * judged against them); the video is taken once, after every image step of the profile.
 */
export function checkUpload(session: Session, step: SessionStep, now: number): void {
  const status = effectiveStatus(session, now);
  if (status === 'expired') throw new TransitionError('expired', `session ${session.id} expired at ${new Date(session.expiresAt).toISOString()}`);
  if (!session.steps.includes(step)) throw new TransitionError('step_not_in_profile', `step "${step}" is not in this session's profile (steps: ${session.steps.join(', ')})`);
  if (session.media.video !== undefined) throw new TransitionError('already_uploaded', `the video of session ${session.id} was already uploaded; create a new session to record again`);
  if (session.videoMode === 'live_agent') {
    // The call's recording is kept once the agent has decided (an interrupted call's recording is not the evidence of
    // the decision); the photos the agent compared during the call are not replaced after it.
    if (step === 'video' && session.review === null) throw new TransitionError('live_not_decided', `session ${session.id} is a live_agent session: upload the call's recording after the agent's decision`);
    if (step !== 'video' && session.status === 'completed') throw new TransitionError('completed', `session ${session.id} was decided by the agent; its photos can no longer be replaced`);
  }
  if (step === 'video') {
    const missing = requiredImageSteps(session).filter((s) => session.media[s] === undefined);
    if (missing.length > 0) throw new TransitionError('missing_previous_steps', `upload the ${missing.join(' and ')} before the video`);
  }
}

/** The session after an accepted upload of `step` (media id `mediaId`). */
export function applyUpload(session: Session, step: SessionStep, mediaId: string, now: number, consent?: Consent): Session {
  checkUpload(session, step, now);
  if (step === 'video' && !consent) throw new TransitionError('consent_required', 'a video is accepted only with the recorded consent (consent_given_at, consent_text_version)');
  return {
    ...session,
    // A live session's recording arrives after the agent completed it: it stays completed.
    status: session.status === 'completed' ? 'completed' : 'in_progress',
    media: { ...session.media, [step]: mediaId },
    ...(step === 'video' ? { recordedAt: now, consent: consent ?? null } : {}),
  };
}

/** The session once processing has scored the video (`scores`) or given up on it (`resultReason` says why). */
export function applyCompletion(session: Session, outcome: { result: SessionResult; scores: SessionScores | null; resultReason: string | null }, now: number): Session {
  return { ...session, status: 'completed', result: outcome.result, scores: outcome.scores, resultReason: outcome.resultReason, completedAt: now, recordingProcessedAt: now };
}

/** Whether the `session.process` job still has work on this session (a re-run after a crash finds it done). */
export function awaitsProcessing(session: Session): boolean {
  if (session.media.video === undefined) return false;
  return session.videoMode === 'live_agent' ? session.recordingProcessedAt === null : session.status !== 'completed';
}

/**
 * A live session's recording, processed: the automatic scores are kept beside the agent's decision (issue #21: "the
 * agent's decision is authoritative for `result`"); `findings` (the decision rules' messages, or why the recording could
 * not be scored) go to result_reason, marked as the automatic checks' so they are not read as the agent's reason.
 */
export function applyRecordingScores(session: Session, outcome: { scores: SessionScores | null; findings: string | null }, now: number): Session {
  return {
    ...session,
    scores: outcome.scores,
    resultReason: outcome.findings === null ? session.resultReason : `automatic checks of the recording: ${outcome.findings}`,
    recordingProcessedAt: now,
  };
}

/** Only a live_agent session has a queue, a call and an agent's decision. */
function checkLive(session: Session, now: number): void {
  if (session.videoMode !== 'live_agent') throw new TransitionError('live_only', `session ${session.id} is a ${session.videoMode} session; only live_agent sessions join the agents' queue`);
  const status = effectiveStatus(session, now);
  if (status === 'expired') throw new TransitionError('expired', `session ${session.id} has expired`);
  if (status === 'completed') throw new TransitionError('completed', `session ${session.id} was already decided`);
}

/**
 * The person joins the agents' queue (or rejoins after a dropped call), having consented to the call. Every photo step
 * of the profile must be uploaded first: the agent compares the person with them.
 */
export function applyLiveJoin(session: Session, consent: Consent, now: number): Session {
  checkLive(session, now);
  const missing = requiredImageSteps(session).filter((s) => session.media[s] === undefined);
  if (missing.length > 0) throw new TransitionError('missing_previous_steps', `upload the ${missing.join(' and ')} before joining the call`);
  return { ...session, status: 'in_progress', consent };
}

/** The agent's decision on the call: completes the session with the agent as its reviewer (Verilock's agent_id, agent_notes). */
export function applyLiveDecision(session: Session, decision: { agentId: string; result: 'approved' | 'declined'; notes: string | null }, now: number): Session {
  checkLive(session, now);
  if (session.review) throw new TransitionError('already_reviewed', `session ${session.id} was already decided (${session.review.decision} by ${session.review.reviewerId})`);
  return {
    ...session,
    status: 'completed',
    result: decision.result,
    resultReason: decision.result === 'declined' ? 'declined by the agent on the call' : null,
    completedAt: now,
    review: { decision: decision.result, reviewerId: decision.agentId, notes: decision.notes, at: now },
  };
}

/** No agent took the person within LIVE_QUEUE_WAIT_SECONDS: the session expires (Verilock's `expired`). */
export function applyLiveExpiry(session: Session): Session {
  return { ...session, status: 'expired' };
}

/** A reviewer's decision: only on a completed session, and only once (Verilock answers 409 to a second decision). */
export function applyReview(session: Session, review: Omit<Review, 'at'>, now: number): Session {
  if (session.review) throw new TransitionError('already_reviewed', `session ${session.id} was already reviewed (${session.review.decision} by ${session.review.reviewerId})`);
  if (effectiveStatus(session, now) !== 'completed') throw new TransitionError('not_completed', `session ${session.id} is ${effectiveStatus(session, now)}; only a completed session can be reviewed`);
  return { ...session, result: review.decision, review: { ...review, at: now } };
}
