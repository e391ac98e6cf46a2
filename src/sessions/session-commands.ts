/**
 * The sessions API's state-changing commands (issue #16, "thin HTTP"): each one applies a transition of the state
 * machine (./session-state.ts) and writes it with its side effects (the processing job, the webhook event) in one
 * compare-and-set transaction of the repository. The routes (src/http/routes/sessions.ts) parse, call one of these and
 * map the result to Verilock's wire format.
 */
import type { JobEnqueuer } from '../store/job-queue.js';
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
  jobs: JobEnqueuer;
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
export function createSession(deps: Pick<SessionCommandsDeps, 'sessions' | 'challenges'>, fields: NewSession): Promise<{ session: StoredSession; challenge: StoredChallenge | null }> {
  return deps.sessions.transaction(async (tx) => {
    const session = await deps.sessions.create(fields, tx);
    const challenge =
      // A live_agent session's liveness is judged by the agent on the call (README "Live agent mode"): no challenge.
      deps.challenges && session.videoMode === 'self_record' && session.videoMaxDuration >= CHALLENGE_MIN_RECORDING_SECONDS
        ? await deps.challenges.issue({ appId: session.appId, sessionId: session.id, expiresAt: session.expiresAt, maxRecordingSeconds: session.videoMaxDuration }, tx)
        : null;
    return { session, challenge };
  });
}

/**
 * The challenge a session's video upload uses: the one the upload names (`challenge_id`), else the session's own.
 * Checked here, before the video is stored, so a wrong, expired or used one is refused without writing anything;
 * attachUpload consumes it in the upload's own transaction. Undefined when the session has no challenge and the upload
 * names none. Throws ChallengeRefusedError.
 */
export async function videoUploadChallenge(deps: Pick<SessionCommandsDeps, 'challenges'>, session: Session, namedId: string | undefined): Promise<string | undefined> {
  const id = namedId ?? (await deps.challenges?.forSession(session.id))?.id;
  if (id === undefined) return undefined;
  if (!deps.challenges) throw noChallengesIssued(id);
  await deps.challenges.check(id, session.appId, session.id);
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
export async function reviewSession(deps: SessionCommandsDeps, current: StoredSession, review: Omit<Review, 'at'>): Promise<Session> {
  const next = applyReview(current, review, deps.now());
  const written = await deps.sessions.transaction(async (tx) => {
    if (!(await deps.sessions.update(current, next, tx))) return false;
    await deps.webhooks.emit(
      next.appId,
      'video.reviewed',
      {
        session_id: next.id,
        video_mode: next.videoMode,
        // README "Webhooks": for video.reviewed, `status` is the reviewer's decision.
        status: next.review!.decision,
        duration_seconds: next.scores ? Math.round(next.scores.durationSeconds * 10) / 10 : null,
      },
      tx,
    );
    return true;
  });
  if (!written) {
    // Lost a race with another writer: the state machine answers for the session as it is now (already reviewed…).
    applyReview((await deps.sessions.get(current.id))!, { ...review, notes: null }, deps.now());
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
export async function attachUpload(
  deps: SessionCommandsDeps,
  session: StoredSession,
  step: SessionStep,
  mediaId: string,
  consent?: Consent,
  challengeId?: string,
): Promise<{ stored: Session; jobId?: string }> {
  try {
    for (let tries = 0; tries < UPLOAD_WRITE_ATTEMPTS; tries++) {
      const current = tries === 0 ? session : (await deps.sessions.get(session.id))!;
      const next = applyUpload(current, step, mediaId, deps.now(), consent);
      const replaced = step !== 'video' ? current.media[step] : undefined;
      const written = await deps.sessions.transaction(async (tx): Promise<{ jobId?: string } | undefined> => {
        if (!(await deps.sessions.update(current, next, tx))) return undefined;
        if (step !== 'video') return {};
        if (challengeId !== undefined) {
          if (!deps.challenges) throw noChallengesIssued(challengeId);
          await deps.challenges.consume(challengeId, session.appId, session.id, tx);
        }
        return { jobId: await deps.jobs.enqueue<ProcessSessionPayload>(PROCESS_SESSION_JOB, { sessionId: session.id }, tx) };
      });
      if (written) {
        // A re-taken photo replaces the previous one, which nothing references any more.
        if (replaced) await deps.media.delete(replaced);
        return { stored: next, ...written };
      }
    }
    throw new SessionConflictError(`session ${session.id} kept changing during the upload; retry`);
  } catch (error) {
    await deps.media.delete(mediaId);
    throw error;
  }
}
