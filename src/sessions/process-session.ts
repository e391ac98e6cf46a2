/**
 * The `session.process` job: runs the verifyVideo use case on a session's stored video against its selfie
 * and document photo, applies the verifyVideo decision rules, completes the session and records the
 * `video.completed` webhook in the same transaction (so a crash cannot complete a session without its
 * event, nor emit one for a session left unfinished).
 *
 * Failures: a problem with the person's capture (AppError 4xx: no face, invalid video, unusable image) will
 * not go away on retry, so the session completes as declined with `result_reason`. Anything else (a busy
 * process, an I/O error, a model failure) is thrown so the queue retries it; on the last attempt the session
 * completes as needs_review instead of hanging in_progress for ever.
 *
 * A live_agent session (README "Live agent mode") was completed by the agent's decision before its recording arrived:
 * the same processing fills its scores (and notes what the rules found in result_reason) but keeps the agent's result
 * and status, and sends no second `video.completed` (the decision sent it).
 */
import type { Readable } from 'node:stream';
import { AppError } from '../errors.js';
import { decideVideo, type DecisionRules, videoDecisionInput } from '../pipeline/decision.js';
import type { VerifyVideo } from '../pipeline/verify-video.js';
import type { Job } from '../store/job-queue.js';
import type { MediaStore } from '../store/media-store.js';
import type { WebhookEvents } from '../store/webhooks.js';
import type { ChallengeResult } from '../pipeline/challenge.js';
import { compareFingerprints, decodeFingerprint, encodeFingerprint, type RecordingFingerprint } from '../pipeline/recording-fingerprint.js';
import type { AngleSample } from '../pipeline/nod.js';
import type { ChallengeRepository } from './challenge-repository.js';
import type { FingerprintMatcher, RecordingFingerprintRepository, ReplayOf } from './recording-fingerprints.js';
import type { SessionHeadPoseStore } from './session-head-pose.js';
import type { SessionRepository, StoredSession } from './session-repository.js';
import { applyCompletion, applyRecordingScores, awaitsProcessing, type Session, type SessionResult, type SessionScores } from './session-state.js';

export const PROCESS_SESSION_JOB = 'session.process';

export interface ProcessSessionPayload {
  sessionId: string;
}

export interface ProcessSessionDeps {
  sessions: SessionRepository;
  media: MediaStore;
  verifyVideo: VerifyVideo;
  rules: { current(): DecisionRules };
  webhooks: WebhookEvents;
  /**
   * The sessions' active liveness challenges: the one a video upload used is handed to the verifier, and what it found
   * is kept with the challenge (shown by the session's video answer).
   */
  challenges?: Pick<ChallengeRepository, 'forSession' | 'recordResult'>;
  /**
   * The fingerprints of the app's earlier recordings (issue #14, replayed recordings): the new video's is compared with
   * them and kept. Absent = no replay check.
   */
  fingerprints?: Pick<RecordingFingerprintRepository, 'findReplayed' | 'record'>;
  /** Where the processed video's head-pitch series is kept (for nod checks); absent = not kept. */
  headPose?: SessionHeadPoseStore;
  /** Runs the pipeline in a concurrency slot shared with the HTTP APIs (ConcurrencyLimiter.run); default: at once. */
  runLimited?: <T>(work: () => Promise<T>) => Promise<T>;
  /** Attempts the queue makes in all; the handler gives up gracefully on the last one. */
  maxAttempts: number;
  now?: () => number;
log?: (message: string) => void;
  /** Called once a session is completed, with its result (for /metrics). */
  onCompleted?: (result: SessionResult) => void;
}

async function readAll(stream: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * Compares the new recording's fingerprint with a kept one. A kept value this code cannot read (another fingerprint
 * version, written by an older or newer release) cannot be compared: it is skipped and said in the log, not matched.
 */
function replayMatcher(fingerprint: RecordingFingerprint, log: (message: string) => void): FingerprintMatcher {
  return (stored) => {
    let earlier: RecordingFingerprint;
    try {
      earlier = decodeFingerprint(stored);
    } catch (error) {
      log(`replay check: a kept fingerprint was skipped (${(error as Error).message})`);
      return null;
    }
    const comparison = compareFingerprints(fingerprint, earlier);
    return comparison.matched ? { similarity: comparison.similarity } : null;
  };
}

/** Whether an error is about the capture itself (retrying cannot help). */
const isCaptureProblem = (error: unknown) => error instanceof AppError && error.status < 500;

export function createProcessSession(deps: ProcessSessionDeps) {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? ((m: string) => console.warn(m));
  const runLimited = deps.runLimited ?? ((work) => work());

  /** Completes `session` (compare-and-set; re-reads once if a concurrent writer moved it) and emits video.completed. */
  async function complete(
    session: StoredSession,
    outcome: { result: SessionResult; scores: SessionScores | null; resultReason: string | null },
    evidence: { pitchSeries?: AngleSample[]; challenge?: ChallengeResult; fingerprint?: { bytes: Uint8Array; replayOf: ReplayOf | null } } = {},
  ): Promise<void> {
    let current: StoredSession | undefined = session;
    for (let tries = 0; tries < 3 && current; tries++) {
      if (!awaitsProcessing(current)) return;
      const expected: StoredSession = current;
      const live = expected.videoMode === 'live_agent';
      const next: Session = live
        ? applyRecordingScores(expected, { scores: outcome.scores, findings: outcome.result === 'approved' ? null : outcome.resultReason }, now())
        : applyCompletion(expected, outcome, now());
      const done = await deps.sessions.transaction(async (tx) => {
        if (!(await deps.sessions.update(expected, next, tx))) return false;
        if (evidence.pitchSeries && deps.headPose) await deps.headPose.record(next.id, evidence.pitchSeries, tx);
        if (evidence.challenge && deps.challenges) await deps.challenges.recordResult(evidence.challenge.id, evidence.challenge, tx);
        if (evidence.fingerprint && deps.fingerprints) await deps.fingerprints.record(next.id, next.appId, evidence.fingerprint.bytes, evidence.fingerprint.replayOf, tx);
        // The agent's decision already sent video.completed for a live session.
        if (live) return true;
        await deps.webhooks.emit(
          next.appId,
          'video.completed',
          {
            session_id: next.id,
            video_mode: next.videoMode,
            status: next.status,
            duration_seconds: next.scores ? Math.round(next.scores.durationSeconds * 10) / 10 : null,
          },
          tx,
        );
        return true;
      });
      if (done) {
        if (!live) deps.onCompleted?.(outcome.result);
        return;
      }
      current = await deps.sessions.get(session.id);
    }
    throw new Error(`session ${session.id}: could not record its completion (concurrent updates)`);
  }

  const giveUpReason = 'automatic processing failed; review the video manually';

  /**
   * The queue's onGiveUp for `session.process` (SqliteJobQueue `onGiveUp`): the job ran out of attempts
   * without the handler completing the session — its last attempt was interrupted by a crash, or the handler
   * itself threw on it — so the session completes as needs_review instead of staying in_progress for ever.
   * Idempotent: a completed (or deleted) session is left as it is.
   */
  async function giveUp(payload: ProcessSessionPayload, job: Pick<Job, 'id' | 'lastError'>): Promise<void> {
    const session = await deps.sessions.get(payload.sessionId);
    if (!session || !awaitsProcessing(session)) return;
    log(`${PROCESS_SESSION_JOB} ${job.id}: out of attempts (${job.lastError ?? 'no error recorded'}); session ${session.id} needs review`);
    await complete(session, { result: 'needs_review', scores: null, resultReason: giveUpReason });
  }

  return Object.assign(async function processSession(payload: ProcessSessionPayload, job: Job<ProcessSessionPayload>): Promise<void> {
    const session = await deps.sessions.get(payload.sessionId);
    if (!session) {
      log(`${PROCESS_SESSION_JOB} ${job.id}: session ${payload.sessionId} no longer exists; nothing to do`);
      return;
    }
    // A job re-run after a crash between completing the session and finishing the job: already done.
    if (!awaitsProcessing(session)) return;
    const videoId = session.media.video;
    const referenceIds = [session.media.selfie, session.media.document];
    const stillStored = async (id: string | undefined) => id === undefined || (await deps.media.get(id)) !== undefined;
    if (!videoId || !(await stillStored(videoId)) || !(await stillStored(referenceIds[0])) || !(await stillStored(referenceIds[1]))) {
      await complete(session, { result: 'declined', scores: null, resultReason: 'the captured media is no longer stored (retention passed)' });
      return;
    }
    try {
      const video = await readAll(await deps.media.open(videoId));
      const selfie = session.media.selfie ? await readAll(await deps.media.open(session.media.selfie)) : undefined;
      const document = session.media.document ? await readAll(await deps.media.open(session.media.document)) : undefined;
      // verifyVideo needs a selfie; a profile without one matches the video against the document photo alone.
      const references = selfie ? { selfie, ...(document ? { id: document } : {}) } : { selfie: document! };
      // The active liveness challenge the upload used up (issue #14; the capture page shows its steps, one window at a
      // time): the recording must perform it. A session without one (video_max_duration too short, or created before
      // challenges) is judged by the passive and temporal signals alone.
      const stored = await deps.challenges?.forSession(session.id);
      const challenge = stored && stored.usedAt !== null ? { id: stored.id, steps: stored.steps } : undefined;
      const input = { video, ...references, ...(challenge ? { challenge } : {}), fingerprint: deps.fingerprints !== undefined };
      const outcome = await runLimited(() => deps.verifyVideo(input));
      // Replayed recording: the same footage as an earlier session of this app (src/pipeline/recording-fingerprint.ts).
      const replayOf = outcome.fingerprint && deps.fingerprints ? await deps.fingerprints.findReplayed(session.appId, session.id, replayMatcher(outcome.fingerprint, log)) : null;
      const decision = decideVideo(deps.rules.current(), { ...videoDecisionInput(outcome), ...(replayOf ? { replayOf } : {}) });
      const scores: SessionScores = {
        durationSeconds: outcome.durationSeconds,
        // Verilock reports one face_match_score ("video face to selfie/document"): the weaker of the two matches.
        faceMatchScore: Math.min(outcome.faceMatch.score, outcome.idMatch?.score ?? Infinity),
        livenessScore: outcome.livenessScore,
      };
      // A live call's recording is as long as the call was; the agent watched it live.
      const tooLong = session.videoMode !== 'live_agent' && outcome.durationSeconds > session.videoMaxDuration + 0.5;
      await complete(session, {
        result: tooLong ? 'declined' : decision.result,
        scores,
        resultReason: tooLong
          ? `the video is ${outcome.durationSeconds.toFixed(1)} s long; this session's video_max_duration is ${session.videoMaxDuration} s`
          : decision.details.length > 0
            ? decision.details.map((d) => d.message).join('; ')
            : null,
      }, {
        pitchSeries: outcome.pitchSeries,
        ...(outcome.challenge ? { challenge: outcome.challenge } : {}),
        ...(outcome.fingerprint ? { fingerprint: { bytes: encodeFingerprint(outcome.fingerprint), replayOf } } : {}),
      });
    } catch (error) {
      if (isCaptureProblem(error)) {
        await complete(session, { result: 'declined', scores: null, resultReason: (error as Error).message });
        return;
      }
      // job.attempts includes this attempt (the queue counts an attempt when it claims the job).
      if (job.attempts >= deps.maxAttempts) {
        log(`${PROCESS_SESSION_JOB} ${job.id}: giving up on session ${session.id} after ${deps.maxAttempts} attempts: ${String(error)}`);
        await complete(session, { result: 'needs_review', scores: null, resultReason: giveUpReason });
        return;
      }
      throw error;
    }
  }, { giveUp });
}
