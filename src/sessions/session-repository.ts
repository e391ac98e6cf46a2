/**
 * Sessions: one row per session. The repository only reads and writes rows; every rule lives in session-state.ts.
 * Writes are compare-and-set on `version`, so two concurrent requests on one session (two video uploads, two reviews)
 * cannot both win: the loser re-reads and gets the state machine's answer. A write that must commit with others (the
 * processing job, the webhook event) runs in the repository's `transaction` and passes its `tx`.
 *
 * `SessionRepository` is the contract; `SqliteSessionRepository` keeps the rows in the embedded SQLite store
 * (store/database.ts, module "sessions" with its own append-only migrations), `PostgresSessionRepository`
 * (./session-repository-postgres.ts) in PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { migrate, type Db } from '../store/database.js';
import { sqliteGate, type SqliteGate } from '../store/sqlite-gate.js';
import type { StoreTransaction, TransactionRunner } from '../store/transaction.js';
import type { Consent, Review, Session, SessionResult, SessionStatus, SessionStep, VideoMode } from './session-state.js';

/** Append-only (database.ts `migrate`). */
const MIGRATIONS = [
  `CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    external_id TEXT,
    redirect_url TEXT,
    steps TEXT NOT NULL,
    video_mode TEXT NOT NULL,
    video_max_duration INTEGER NOT NULL,
    video_language TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    document_media_id TEXT,
    selfie_media_id TEXT,
    video_media_id TEXT,
    consent_given_at TEXT,
    consent_text_version TEXT,
    consent_ip TEXT,
    consent_user_agent TEXT,
    recorded_at INTEGER,
    duration_seconds REAL,
    face_match_score REAL,
    liveness_score REAL,
    result_reason TEXT,
    completed_at INTEGER,
    review_decision TEXT,
    reviewer_id TEXT,
    review_notes TEXT,
    reviewed_at INTEGER,
    version INTEGER NOT NULL DEFAULT 0
  )`,
  'CREATE INDEX sessions_app_external ON sessions (app_id, external_id)',
  // Live agent mode (README "Live agent mode"): a live session's recording is processed after the agent's decision.
  'ALTER TABLE sessions ADD COLUMN recording_processed_at INTEGER',
];

export interface SessionRow {
  id: string;
  app_id: string;
  external_id: string | null;
  redirect_url: string | null;
  steps: string;
  video_mode: string;
  video_max_duration: number;
  video_language: string;
  status: string;
  result: string | null;
  created_at: number;
  expires_at: number;
  document_media_id: string | null;
  selfie_media_id: string | null;
  video_media_id: string | null;
  consent_given_at: string | null;
  consent_text_version: string | null;
  consent_ip: string | null;
  consent_user_agent: string | null;
  recorded_at: number | null;
  duration_seconds: number | null;
  face_match_score: number | null;
  liveness_score: number | null;
  result_reason: string | null;
  completed_at: number | null;
  review_decision: string | null;
  reviewer_id: string | null;
  review_notes: string | null;
  reviewed_at: number | null;
  recording_processed_at: number | null;
  version: number;
}

/** A session as stored, with the row version used for compare-and-set. */
export type StoredSession = Session & { version: number };

export type NewSession = Pick<Session, 'appId' | 'externalId' | 'redirectUrl' | 'steps' | 'videoMaxDuration' | 'videoLanguage' | 'expiresAt'> & {
  /** Default self_record. */
  videoMode?: VideoMode;
};

export function sessionFromRow(row: SessionRow): StoredSession {
  const media: Partial<Record<SessionStep, string>> = {};
  if (row.document_media_id) media.document = row.document_media_id;
  if (row.selfie_media_id) media.selfie = row.selfie_media_id;
  if (row.video_media_id) media.video = row.video_media_id;
  const consent: Consent | null =
    row.consent_given_at !== null
      ? { givenAt: row.consent_given_at, textVersion: row.consent_text_version!, ip: row.consent_ip!, userAgent: row.consent_user_agent! }
      : null;
  const review: Review | null =
    row.review_decision !== null
      ? { decision: row.review_decision as Review['decision'], reviewerId: row.reviewer_id!, notes: row.review_notes, at: row.reviewed_at! }
      : null;
  return {
    id: row.id,
    appId: row.app_id,
    externalId: row.external_id,
    redirectUrl: row.redirect_url,
    steps: JSON.parse(row.steps) as SessionStep[],
    videoMode: row.video_mode as VideoMode,
    videoMaxDuration: row.video_max_duration,
    videoLanguage: row.video_language,
    status: row.status as SessionStatus,
    result: row.result as SessionResult | null,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    media,
    consent,
    recordedAt: row.recorded_at,
    scores:
      row.duration_seconds !== null
        ? { durationSeconds: row.duration_seconds, faceMatchScore: row.face_match_score!, livenessScore: row.liveness_score! }
        : null,
    resultReason: row.result_reason,
    completedAt: row.completed_at,
    review,
    // Rows written before the column existed: a completed session was processed when it completed.
    recordingProcessedAt: row.recording_processed_at ?? (row.status === 'completed' && row.video_mode === 'self_record' ? row.completed_at : null),
    version: row.version,
  };
}

export function sessionToRow(s: Session): Omit<SessionRow, 'version'> {
  return {
    id: s.id,
    app_id: s.appId,
    external_id: s.externalId,
    redirect_url: s.redirectUrl,
    steps: JSON.stringify(s.steps),
    video_mode: s.videoMode,
    video_max_duration: s.videoMaxDuration,
    video_language: s.videoLanguage,
    status: s.status,
    result: s.result,
    created_at: s.createdAt,
    expires_at: s.expiresAt,
    document_media_id: s.media.document ?? null,
    selfie_media_id: s.media.selfie ?? null,
    video_media_id: s.media.video ?? null,
    consent_given_at: s.consent?.givenAt ?? null,
    consent_text_version: s.consent?.textVersion ?? null,
    consent_ip: s.consent?.ip ?? null,
    consent_user_agent: s.consent?.userAgent ?? null,
    recorded_at: s.recordedAt,
    duration_seconds: s.scores?.durationSeconds ?? null,
    face_match_score: s.scores?.faceMatchScore ?? null,
    liveness_score: s.scores?.livenessScore ?? null,
    result_reason: s.resultReason,
    completed_at: s.completedAt,
    review_decision: s.review?.decision ?? null,
    reviewer_id: s.review?.reviewerId ?? null,
    review_notes: s.review?.notes ?? null,
    reviewed_at: s.review?.at ?? null,
    recording_processed_at: s.recordingProcessedAt,
  };
}

/** The columns a write sets (every one but `version`), in one order for every statement. */
export const SESSION_COLUMNS = Object.keys(sessionToRow({ media: {}, steps: [] } as unknown as Session));

/** A new session's row: what `create` fills in besides the caller's fields (both implementations use it). */
export function newSession(fields: NewSession, now: number): Session {
  return {
    ...fields,
    id: `ses_${randomUUID()}`,
    videoMode: fields.videoMode ?? 'self_record',
    status: 'pending',
    result: null,
    createdAt: now,
    media: {},
    consent: null,
    recordedAt: null,
    scores: null,
    resultReason: null,
    completedAt: null,
    review: null,
    recordingProcessedAt: null,
  };
}

export interface SessionRepository extends TransactionRunner {
  /** The app's newest session with this external_id, or undefined. */
  latestByExternalId(appId: string, externalId: string): Promise<StoredSession | undefined>;
  create(fields: NewSession, tx?: StoreTransaction): Promise<StoredSession>;
  get(id: string, tx?: StoreTransaction): Promise<StoredSession | undefined>;
  /**
   * Writes `next` if the row is still at `expected.version`; false when another writer got there first. Inside `tx`,
   * the caller's other writes (enqueueing the processing job) commit with it, so a session is never marked recorded
   * without its job, nor the job queued for an unrecorded session.
   */
  update(expected: StoredSession, next: Session, tx?: StoreTransaction): Promise<boolean>;
}

export class SqliteSessionRepository implements SessionRepository {
  private readonly gate: SqliteGate;
  private readonly insertStatement;
  private readonly updateStatement;
  private readonly getStatement;
  private readonly byExternalIdStatement;

  constructor(
    readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    migrate(db, 'sessions', MIGRATIONS);
    this.gate = sqliteGate(db);
    this.insertStatement = db.prepare(`INSERT INTO sessions (${SESSION_COLUMNS.join(', ')}, version) VALUES (${SESSION_COLUMNS.map((c) => '@' + c).join(', ')}, 0)`);
    this.updateStatement = db.prepare(
      `UPDATE sessions SET ${SESSION_COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = @${c}`).join(', ')}, version = version + 1 WHERE id = @id AND version = @version`,
    );
    this.getStatement = db.prepare('SELECT * FROM sessions WHERE id = ?');
    this.byExternalIdStatement = db.prepare('SELECT * FROM sessions WHERE app_id = ? AND external_id = ? ORDER BY created_at DESC, id DESC LIMIT 1');
  }

  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return this.gate.transaction(work);
  }

  /** Index sessions_app_external. */
  latestByExternalId(appId: string, externalId: string): Promise<StoredSession | undefined> {
    return this.gate.run(undefined, () => {
      const row = this.byExternalIdStatement.get(appId, externalId) as SessionRow | undefined;
      return row ? sessionFromRow(row) : undefined;
    });
  }

  create(fields: NewSession, tx?: StoreTransaction): Promise<StoredSession> {
    return this.gate.run(tx, () => {
      const session = newSession(fields, this.now());
      this.insertStatement.run(sessionToRow(session));
      return { ...session, version: 0 };
    });
  }

  get(id: string, tx?: StoreTransaction): Promise<StoredSession | undefined> {
    return this.gate.run(tx, () => {
      const row = this.getStatement.get(id) as SessionRow | undefined;
      return row ? sessionFromRow(row) : undefined;
    });
  }

  update(expected: StoredSession, next: Session, tx?: StoreTransaction): Promise<boolean> {
    return this.gate.run(tx, () => this.updateStatement.run({ ...sessionToRow(next), version: expected.version }).changes === 1);
  }
}
