/**
 * Active liveness challenges: one row per issued challenge. `ChallengeRepository` is the contract;
 * `SqliteChallengeRepository` keeps them in the embedded SQLite store (store/database.ts, module "challenges" with its
 * own append-only migrations), `PostgresChallengeRepository` (./challenge-repository-postgres.ts) in PostgreSQL. A challenge is bound to the app it was issued to and either to a
 * session (drawn when the session was created, used by its video upload) or to no session (drawn by
 * `POST /v1/challenges`, used by `POST /v1/verifyVideo`); it is single-use and expires.
 *
 * Single use is one statement: `consume` marks the row used with an UPDATE whose WHERE clause holds every condition
 * (this app, this binding, not used, not expired), so of any number of concurrent requests, on one connection or
 * several, exactly one gets the row back; SQLite runs one write at a time (https://www.sqlite.org/lockingv3.html), and
PostgreSQL re-checks the WHERE clause on the row a concurrent winner updated (READ COMMITTED, "EvalPlanQual":
https://www.postgresql.org/docs/current/transaction-iso.html#XACT-READ-COMMITTED), so the loser updates nothing.
 * The others are told why, from the row as it is after their failed update.
 */
import { randomUUID } from 'node:crypto';
import { AppError, type ErrorCode } from '../errors.js';
import { migrate, type Db } from '../store/database.js';
import { sqliteGate, type SqliteGate } from '../store/sqlite-gate.js';
import type { StoreTransaction } from '../store/transaction.js';
import type { ChallengeResult } from '../pipeline/challenge.js';
import { drawChallenge, type Challenge, type ChallengeStep } from './challenge-draw.js';

/** Append-only (database.ts `migrate`). */
const MIGRATIONS = [
  `CREATE TABLE challenges (
     id TEXT PRIMARY KEY,
     app_id TEXT NOT NULL,
     session_id TEXT,
     steps TEXT NOT NULL,
     recording_seconds REAL NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     used_at INTEGER
   );
   CREATE INDEX challenges_session ON challenges (session_id) WHERE session_id IS NOT NULL;
   CREATE INDEX challenges_caller_expiry ON challenges (expires_at) WHERE session_id IS NULL;`,
  // A session's challenge keeps what the verifier found in the recording (ChallengeResult as JSON), for the session's
  // video answer; a verifyVideo caller's challenge is answered in the response and keeps nothing.
  'ALTER TABLE challenges ADD COLUMN result TEXT',
];

/**
 * How long a verifyVideo caller's challenge is kept after it expired, ms (24 h): a late request with it still hears
 * "expired" rather than "unknown" for a day; after that the row is deleted, so the table does not grow with every
 * verifyVideo call. Session challenges stay as long as their session (sessions are not deleted either).
 */
export const CALLER_CHALLENGE_KEPT_AFTER_EXPIRY_MS = 24 * 3600 * 1000;

/** A challenge as stored. Times in ms since the epoch. */
export interface StoredChallenge extends Challenge {
  appId: string;
  /** The session it belongs to, or null for a verifyVideo caller's challenge. */
  sessionId: string | null;
  /** How long the capture client must record, seconds. */
  recordingSeconds: number;
  createdAt: number;
  expiresAt: number;
  /** When a recording used it; null while unused. */
  usedAt: number | null;
  /** What the verifier found in a session's recording (recordResult); null before it ran, and for verifyVideo callers' challenges. */
  result: ChallengeResult | null;
}

/** Why a challenge id was refused, checked in this order (ownership first: nothing is told about another app's). */
export type ChallengeRefusal = 'unknown' | 'another_app' | 'another_session' | 'already_used' | 'expired';

const REFUSAL_CODES: Record<ChallengeRefusal, ErrorCode> = {
  unknown: 'CHALLENGE_INVALID',
  another_app: 'CHALLENGE_INVALID',
  another_session: 'CHALLENGE_INVALID',
  already_used: 'CHALLENGE_USED',
  expired: 'CHALLENGE_EXPIRED',
};

/** A refused challenge id: `reason` says which rule; the code (and HTTP status) follows from it. */
export class ChallengeRefusedError extends AppError {
  constructor(
    readonly reason: ChallengeRefusal,
    readonly challengeId: string,
    message: string,
  ) {
    super(REFUSAL_CODES[reason], message);
    this.name = 'ChallengeRefusedError';
  }
}

/** The refusal of any challenge id where no challenges are issued (a server wired without a ChallengeRepository). */
export function noChallengesIssued(id: string): ChallengeRefusedError {
  return new ChallengeRefusedError('unknown', id, `no challenge ${id} was issued to this app (this server issues none)`);
}

/** Who wants to use a challenge: the app, and the session whose video it is (absent = a verifyVideo request). */
export interface ChallengeUse {
  appId: string;
  sessionId?: string;
}

/**
 * Why `challenge` may not be used by `use` at `now`, or null when it may. Ownership first, so another app learns
 * nothing of a challenge's state; then the binding; then use before expiry (a replay is the stronger signal).
 */
export function challengeRefusal(challenge: Pick<StoredChallenge, 'appId' | 'sessionId' | 'usedAt' | 'expiresAt'> | undefined, use: ChallengeUse, now: number): ChallengeRefusal | null {
  if (!challenge) return 'unknown';
  if (challenge.appId !== use.appId) return 'another_app';
  if (challenge.sessionId !== (use.sessionId ?? null)) return 'another_session';
  if (challenge.usedAt !== null) return 'already_used';
  if (now >= challenge.expiresAt) return 'expired';
  return null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The refusal as an error whose message tells the caller what to do (and, for another app's, no more than for an unknown id). */
export function challengeRefusedError(id: string, challenge: StoredChallenge | undefined, use: ChallengeUse, reason: ChallengeRefusal): ChallengeRefusedError {
  const redraw = challenge?.sessionId ? 'create a new session' : 'draw a new one with POST /v1/challenges';
  switch (reason) {
    case 'unknown':
    case 'another_app':
      return new ChallengeRefusedError(reason, id, `no challenge ${id} was issued to this app`);
    case 'another_session':
      return new ChallengeRefusedError(
        reason,
        id,
        challenge?.sessionId
          ? use.sessionId
            ? `challenge ${id} belongs to another session`
            : `challenge ${id} belongs to session ${challenge.sessionId}: it is used by that session's video upload, not by POST /v1/verifyVideo`
          : `challenge ${id} was issued for POST /v1/verifyVideo, not for session ${use.sessionId}`,
      );
    case 'already_used':
      return new ChallengeRefusedError(reason, id, `challenge ${id} was already used at ${iso(challenge!.usedAt!)}; each challenge is used once: ${redraw}`);
    case 'expired':
      return new ChallengeRefusedError(reason, id, `challenge ${id} expired at ${iso(challenge!.expiresAt)}; ${redraw}`);
  }
}

export interface ChallengeRow {
  id: string;
  app_id: string;
  session_id: string | null;
  steps: string;
  recording_seconds: number;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  result: string | null;
}

export const challengeFromRow = (row: ChallengeRow): StoredChallenge => ({
  id: row.id,
  steps: JSON.parse(row.steps) as ChallengeStep[],
  appId: row.app_id,
  sessionId: row.session_id,
  recordingSeconds: row.recording_seconds,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  usedAt: row.used_at,
  result: row.result === null ? null : (JSON.parse(row.result) as ChallengeResult),
});

/** What `issue` needs: who the challenge is for, until when, and the longest recording the route will accept. */
export interface ChallengeIssue {
  appId: string;
  /** The session it belongs to; null for a verifyVideo caller. */
  sessionId: string | null;
  /** ms since the epoch. */
  expiresAt: number;
  /** Longest recording the challenge may ask for, seconds (the session's video_max_duration, or VIDEO_MAX_SECONDS). */
  maxRecordingSeconds: number;
}

export interface ChallengeRepository {
  /**
   * Keeps what the verifier found for a used challenge (a session's, when its video is processed; called inside the
   * session's completion transaction). A re-processed video overwrites it. Rejects when the challenge is unknown or
   * was never used: a result for a recording that did not use it is a wiring error.
   */
  recordResult(id: string, result: ChallengeResult, tx?: StoreTransaction): Promise<void>;
  /**
   * Draws a challenge (challenge-draw.ts) and stores it. Rejects with RangeError when `maxRecordingSeconds` is shorter
   * than any challenge (CHALLENGE_MIN_RECORDING_SECONDS): callers check first. Also deletes verifyVideo callers'
   * challenges expired more than CALLER_CHALLENGE_KEPT_AFTER_EXPIRY_MS ago.
   */
  issue(fields: ChallengeIssue, tx?: StoreTransaction): Promise<StoredChallenge>;
  get(id: string): Promise<StoredChallenge | undefined>;
  /** The session's newest challenge, or undefined when it has none (created before challenges, or too short for one). */
  forSession(sessionId: string): Promise<StoredChallenge | undefined>;
  /**
   * Rejects with ChallengeRefusedError when `id` may not be used by this app (and session) now; answers the challenge
   * otherwise. Marks nothing: routes call it before expensive work (storing a video, waiting for a slot), so a doomed
   * request is refused early; `consume` then decides.
   */
  check(id: string, appId: string, sessionId?: string): Promise<StoredChallenge>;
  /**
   * Marks the challenge used, in one statement, and answers it; rejects with ChallengeRefusedError (unknown, another
   * app's, another session's, already used, expired) when this app (and session) may not use it now. Inside a caller's
   * transaction (the session's video upload), it commits or rolls back with the caller's writes.
   */
  consume(id: string, appId: string, sessionId?: string, tx?: StoreTransaction): Promise<StoredChallenge>;
}

/** A freshly drawn challenge for `fields` at `now` (both implementations store it as it is). */
export function drawStoredChallenge(fields: ChallengeIssue, now: number): StoredChallenge {
  const drawn = drawChallenge(fields.maxRecordingSeconds);
  return {
    id: `chl_${randomUUID()}`,
    steps: drawn.steps,
    appId: fields.appId,
    sessionId: fields.sessionId,
    recordingSeconds: drawn.recordingSeconds,
    createdAt: now,
    expiresAt: fields.expiresAt,
    usedAt: null,
    result: null,
  };
}

/** `check`'s answer for the challenge as read: the challenge, or the refusal error to throw. */
export function checkedChallenge(id: string, challenge: StoredChallenge | undefined, appId: string, sessionId: string | undefined, now: number): StoredChallenge {
  const use: ChallengeUse = { appId, ...(sessionId !== undefined ? { sessionId } : {}) };
  const reason = challengeRefusal(challenge, use, now);
  if (reason) throw challengeRefusedError(id, challenge, use, reason);
  return challenge!;
}

/**
 * Why `consume`'s update found nothing to mark: the row (if any) breaks a rule, read as it is now, after a concurrent
 * request that took it. A used mark is never removed and the expiry never moves, so the row cannot have become usable.
 */
export function consumeRefusal(id: string, challenge: StoredChallenge | undefined, appId: string, sessionId: string | undefined, now: number): Error {
  const use: ChallengeUse = { appId, ...(sessionId !== undefined ? { sessionId } : {}) };
  const reason = challengeRefusal(challenge, use, now);
  if (!reason) return new Error(`challenge ${id}: the single-use update matched nothing, yet the row breaks no rule`);
  return challengeRefusedError(id, challenge, use, reason);
}

export class SqliteChallengeRepository implements ChallengeRepository {
  private readonly gate: SqliteGate;
  private readonly insertStatement;
  private readonly getStatement;
  private readonly forSessionStatement;
  private readonly consumeStatement;
  private readonly pruneStatement;
  private readonly recordResultStatement;

  constructor(
    readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    migrate(db, 'challenges', MIGRATIONS);
    this.gate = sqliteGate(db);
    this.insertStatement = db.prepare(
      'INSERT INTO challenges (id, app_id, session_id, steps, recording_seconds, created_at, expires_at, used_at) VALUES (@id, @app_id, @session_id, @steps, @recording_seconds, @created_at, @expires_at, NULL)',
    );
    this.getStatement = db.prepare('SELECT * FROM challenges WHERE id = ?');
    this.forSessionStatement = db.prepare('SELECT * FROM challenges WHERE session_id = ? ORDER BY created_at DESC, id DESC LIMIT 1');
    // `IS` compares NULL with NULL as equal: a verifyVideo request (no session) matches only a challenge without one.
    this.consumeStatement = db.prepare(
      'UPDATE challenges SET used_at = @now WHERE id = @id AND app_id = @app_id AND session_id IS @session_id AND used_at IS NULL AND expires_at > @now RETURNING *',
    );
    this.pruneStatement = db.prepare('DELETE FROM challenges WHERE session_id IS NULL AND expires_at < ?');
    this.recordResultStatement = db.prepare('UPDATE challenges SET result = ? WHERE id = ? AND used_at IS NOT NULL');
  }

  recordResult(id: string, result: ChallengeResult, tx?: StoreTransaction): Promise<void> {
    return this.gate.run(tx, () => {
      if (result.id !== id) throw new Error(`challenge ${id}: the result is for challenge ${result.id}`);
      if (this.recordResultStatement.run(JSON.stringify(result), id).changes !== 1) throw new Error(`challenge ${id}: unknown or never used; no result recorded`);
    });
  }

  issue(fields: ChallengeIssue, tx?: StoreTransaction): Promise<StoredChallenge> {
    return this.gate.run(tx, () => {
      const now = this.now();
      const challenge = drawStoredChallenge(fields, now);
      this.insertStatement.run({
        id: challenge.id,
        app_id: challenge.appId,
        session_id: challenge.sessionId,
        steps: JSON.stringify(challenge.steps),
        recording_seconds: challenge.recordingSeconds,
        created_at: challenge.createdAt,
        expires_at: challenge.expiresAt,
      });
      if (fields.sessionId === null) this.pruneStatement.run(now - CALLER_CHALLENGE_KEPT_AFTER_EXPIRY_MS);
      return challenge;
    });
  }

  get(id: string): Promise<StoredChallenge | undefined> {
    return this.gate.run(undefined, () => this.read(id));
  }

  forSession(sessionId: string): Promise<StoredChallenge | undefined> {
    return this.gate.run(undefined, () => {
      const row = this.forSessionStatement.get(sessionId) as ChallengeRow | undefined;
      return row ? challengeFromRow(row) : undefined;
    });
  }

  check(id: string, appId: string, sessionId?: string): Promise<StoredChallenge> {
    return this.gate.run(undefined, () => checkedChallenge(id, this.read(id), appId, sessionId, this.now()));
  }

  consume(id: string, appId: string, sessionId?: string, tx?: StoreTransaction): Promise<StoredChallenge> {
    return this.gate.run(tx, () => {
      const now = this.now();
      const row = this.consumeStatement.get({ id, app_id: appId, session_id: sessionId ?? null, now }) as ChallengeRow | undefined;
      if (row) return challengeFromRow(row);
      throw consumeRefusal(id, this.read(id), appId, sessionId, now);
    });
  }

  private read(id: string): StoredChallenge | undefined {
    const row = this.getStatement.get(id) as ChallengeRow | undefined;
    return row ? challengeFromRow(row) : undefined;
  }
}
