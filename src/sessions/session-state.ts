/**
 * The video-KYC session and its state machine, as pure functions of (session, input, now): no I/O, so
 * every transition is unit-tested without a database. The repository persists what these return.
 *
 * Status (Verilock's `status`: https://developer.verilock.io/premium-features/video-kyc):
 *   pending ──first upload──▶ in_progress ──processing finished──▶ completed
 *      └──────────┴──── expires_at passed before the video arrived ──▶ expired
 * Result (Verilock's `result`): approved | declined | needs_review, set when processing finishes and
 * replaced by a reviewer's decision (`POST /v1/sessions/{id}/review`), at most once.
 */

/** Capture steps a profile may list (Verilock's `profile.steps`). */
export const SESSION_STEPS = ['document', 'selfie', 'video'] as const;
export type SessionStep = (typeof SESSION_STEPS)[number];
export type ImageStep = Exclude<SessionStep, 'video'>;

export type SessionStatus = 'pending' | 'in_progress' | 'completed' | 'expired';
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
  videoMode: 'self_record';
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
}

/** The status a reader sees at `now`: a session still waiting for its video past expires_at is expired. */
export function effectiveStatus(session: Session, now: number): SessionStatus {
  if ((session.status === 'pending' || session.status === 'in_progress') && session.media.video === undefined && now >= session.expiresAt) return 'expired';
  return session.status;
}

/** A refused transition: `reason` says which rule, the caller maps it to an HTTP status. */
export class TransitionError extends Error {
  constructor(
    readonly reason: 'expired' | 'consent_required' | 'step_not_in_profile' | 'already_uploaded' | 'missing_previous_steps' | 'not_completed' | 'already_reviewed',
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
    status: 'in_progress',
    media: { ...session.media, [step]: mediaId },
    ...(step === 'video' ? { recordedAt: now, consent: consent ?? null } : {}),
  };
}

/** The session once processing has scored the video (`scores`) or given up on it (`resultReason` says why). */
export function applyCompletion(session: Session, outcome: { result: SessionResult; scores: SessionScores | null; resultReason: string | null }, now: number): Session {
  return { ...session, status: 'completed', result: outcome.result, scores: outcome.scores, resultReason: outcome.resultReason, completedAt: now };
}

/** A reviewer's decision: only on a completed session, and only once (Verilock answers 409 to a second decision). */
export function applyReview(session: Session, review: Omit<Review, 'at'>, now: number): Session {
  if (session.review) throw new TransitionError('already_reviewed', `session ${session.id} was already reviewed (${session.review.decision} by ${session.review.reviewerId})`);
  if (effectiveStatus(session, now) !== 'completed') throw new TransitionError('not_completed', `session ${session.id} is ${effectiveStatus(session, now)}; only a completed session can be reviewed`);
  return { ...session, result: review.decision, review: { ...review, at: now } };
}
