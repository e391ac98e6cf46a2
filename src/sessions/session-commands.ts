/**
 * The sessions API's state-changing commands (issue #16, "thin HTTP"): each one applies a transition of the state
 * machine (./session-state.ts) and writes it with its side effects (the processing job, the webhook event) in one
 * compare-and-set transaction of the repository. The routes (src/http/routes/sessions.ts) parse, call one of these and
 * map the result to Verilock's wire format.
 */
import type { JobQueue } from '../store/job-queue.js';
import type { MediaStore } from '../store/media-store.js';
import type { WebhookEvents } from '../store/webhooks.js';
import { CHALLENGE_MIN_RECORDING_SECONDS } from './challenge-draw.js';
import { noChallengesIssued, type ChallengeRepository, type StoredChallenge } from './challenge-repository.js';
import { type ProcessSessionPayload, PROCESS_SESSION_JOB } from './process-session.js';
import type { NewSession, SessionRepository, StoredSession } from './session-repository.js';
import { applyReview, applyUpload, type Consent, type Review, type Session, type SessionStep } from './session-state.js';

export interface SessionCommandsDeps {
  sessions: SessionRepository;
  media: Pick<MediaStore, 'delete'>;
  jobs: Pick<JobQueue, 'enqueue'>;
  webhooks: WebhookEvents;
  /** Active liveness challenges, on the sessions' database; absent = sessions get none. */
  challenges?: ChallengeRepository;
  now: () => number;
}

/**
 * Creates a session and, when challenges are issued and its video_max_duration can hold one
 * (CHALLENGE_MIN_RECORDING_SECONDS), draws its active liveness challenge, bound to it and living as long as it, in
 * the same transaction (a session is never stored without the challenge it was meant to have). A session whose
 * recording is too short for any challenge (Verilock allows 1 s) gets none: its video is judged by the passive signals
 * alone, and its body says `challenge: null`.
 */
export function createSession(deps: Pick<SessionCommandsDeps, 'sessions' | 'challenges'>, fields: NewSession): { session: StoredSession; challenge: StoredChallenge | null } {
  return deps.sessions.db.transaction(() => {
    const session = deps.sessions.create(fields);
    const challenge =
      deps.challenges && session.videoMaxDuration >= CHALLENGE_MIN_RECORDING_SECONDS
        ? deps.challenges.issue({ appId: session.appId, sessionId: session.id, expiresAt: session.expiresAt, maxRecordingSeconds: session.videoMaxDuration })
        : null;
    return { session, challenge };
  })();
}

/**
 * The challenge a session's video upload uses: the one the upload names (`challenge_id`), else the session's own.
 * Checked here, before the video is stored, so a wrong, expired or used one is refused without writing anything;
 * attachUpload consumes it in the upload's own transaction. Undefined when the session has no challenge and the upload
 * names none. Throws ChallengeRefusedError.
 */
export function videoUploadChallenge(deps: Pick<SessionCommandsDeps, 'challenges'>, session: Session, namedId: string | undefined): string | undefined {
  const id = namedId ?? deps.challenges?.forSession(session.id)?.id;
  if (id === undefined) return undefined;
  if (!deps.challenges) throw noChallengesIssued(id);
  deps.challenges.check(id, session.appId, session.id);
  return id;
}

/**
 * Another writer changed the session between read and write, more often than the command retries; the caller retries
 * (Verilock: 409 conflict).
 */
export class SessionConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SessionConflictError';
  }
}

/** Attempts of an upload's compare-and-set before it gives up with SessionConflictError. */
export const UPLOAD_WRITE_ATTEMPTS = 3;

/**
 * Records a reviewer's decision and its `video.reviewed` event in one transaction (a decision is never stored without
 * its event). Throws TransitionError when the session cannot be reviewed (not completed, already reviewed), also when
 * that became true during the review, and SessionConflictError when it changed otherwise.
 */
export function reviewSession(deps: SessionCommandsDeps, current: StoredSession, review: Omit<Review, 'at'>): Session {
  const next = applyReview(current, review, deps.now());
  const written = deps.sessions.update(current, next, () => {
    deps.webhooks.emit(next.appId, 'video.reviewed', {
      session_id: next.id,
      video_mode: next.videoMode,
      // README "Webhooks": for video.reviewed, `status` is the reviewer's decision.
      status: next.review!.decision,
      duration_seconds: next.scores ? Math.round(next.scores.durationSeconds * 10) / 10 : null,
    });
  });
  if (!written) {
    // Lost a race with another writer: the state machine answers for the session as it is now (already reviewed…).
    applyReview(deps.sessions.get(current.id)!, { ...review, notes: null }, deps.now());
    throw new SessionConflictError(`session ${current.id} changed while reviewing; retry`);
  }
  return next;
}

/**
 * Attaches an uploaded file (already in the media store as `mediaId`) to `session`'s `step`: compare-and-set, re-checked
 * against the new state when a concurrent upload won. The video's write also enqueues `session.process` and consumes
 * its challenge (`challengeId`, from videoUploadChallenge), in the same transaction: a refused challenge
 * (ChallengeRefusedError) leaves the session as it was, and a challenge is never used up by an upload that was not
 * stored. A re-taken photo's predecessor is deleted; on any failure the new file is deleted, so nothing is left
 * unreferenced. Returns the stored session and, for the video, the processing job's id.
 */
export function attachUpload(
  deps: SessionCommandsDeps,
  session: StoredSession,
  step: SessionStep,
  mediaId: string,
  consent?: Consent,
  challengeId?: string,
): { stored: Session; jobId?: string } {
  let jobId: string | undefined;
  try {
    for (let tries = 0; tries < UPLOAD_WRITE_ATTEMPTS; tries++) {
      const current = tries === 0 ? session : deps.sessions.get(session.id)!;
      const next = applyUpload(current, step, mediaId, deps.now(), consent);
      const replaced = step !== 'video' ? current.media[step] : undefined;
      const written = deps.sessions.update(current, next, () => {
        if (step !== 'video') return;
        if (challengeId !== undefined) {
          if (!deps.challenges) throw noChallengesIssued(challengeId);
          deps.challenges.consume(challengeId, session.appId, session.id);
        }
        jobId = deps.jobs.enqueue<ProcessSessionPayload>(PROCESS_SESSION_JOB, { sessionId: session.id });
      });
      if (written) {
        // A re-taken photo replaces the previous one, which nothing references any more.
        if (replaced) deps.media.delete(replaced);
        return { stored: next, ...(jobId !== undefined ? { jobId } : {}) };
      }
    }
    throw new SessionConflictError(`session ${session.id} kept changing during the upload; retry`);
  } catch (error) {
    deps.media.delete(mediaId);
    throw error;
  }
}
