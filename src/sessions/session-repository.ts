/**
 * Sessions in the embedded SQLite store (store/database.ts): one row per session, module "sessions" with
 * its own append-only migrations. The repository only reads and writes rows; every rule lives in
 * session-state.ts. Writes are compare-and-set on `version`, so two concurrent requests on one session
 * (two video uploads, two reviews) cannot both win: the loser re-reads and gets the state machine's answer.
 */
import { randomUUID } from 'node:crypto';
import { migrate, type Db } from '../store/database.js';
import type { Consent, Review, Session, SessionResult, SessionStatus, SessionStep } from './session-state.js';

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
];

interface Row {
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
  version: number;
}

/** A session as stored, with the row version used for compare-and-set. */
export type StoredSession = Session & { version: number };

export type NewSession = Pick<Session, 'appId' | 'externalId' | 'redirectUrl' | 'steps' | 'videoMaxDuration' | 'videoLanguage' | 'expiresAt'>;

function fromRow(row: Row): StoredSession {
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
    videoMode: 'self_record',
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
    version: row.version,
  };
}

function toRow(s: Session): Omit<Row, 'version'> {
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
  };
}

const COLUMNS = Object.keys(toRow({ media: {}, steps: [] } as unknown as Session));

export class SessionRepository {
  private readonly insertStatement;
  private readonly updateStatement;
  private readonly getStatement;
  private readonly byExternalIdStatement;

  constructor(
    readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    migrate(db, 'sessions', MIGRATIONS);
    this.insertStatement = db.prepare(`INSERT INTO sessions (${COLUMNS.join(', ')}, version) VALUES (${COLUMNS.map((c) => '@' + c).join(', ')}, 0)`);
    this.updateStatement = db.prepare(
      `UPDATE sessions SET ${COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = @${c}`).join(', ')}, version = version + 1 WHERE id = @id AND version = @version`,
    );
    this.getStatement = db.prepare('SELECT * FROM sessions WHERE id = ?');
    this.byExternalIdStatement = db.prepare('SELECT * FROM sessions WHERE app_id = ? AND external_id = ? ORDER BY created_at DESC, id DESC LIMIT 1');
  }

  /** The app's newest session with this external_id (index sessions_app_external), or undefined. */
  latestByExternalId(appId: string, externalId: string): StoredSession | undefined {
    const row = this.byExternalIdStatement.get(appId, externalId) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  create(fields: NewSession): StoredSession {
    const session: Session = {
      ...fields,
      id: `ses_${randomUUID()}`,
      videoMode: 'self_record',
      status: 'pending',
      result: null,
      createdAt: this.now(),
      media: {},
      consent: null,
      recordedAt: null,
      scores: null,
      resultReason: null,
      completedAt: null,
      review: null,
    };
    this.insertStatement.run(toRow(session));
    return { ...session, version: 0 };
  }

  get(id: string): StoredSession | undefined {
    const row = this.getStatement.get(id) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /**
   * Writes `next` if the row is still at `expected.version`; false when another writer got there first.
   * `alsoInTransaction` runs in the same transaction (e.g. enqueueing the processing job), so a session is
   * never marked recorded without its job, nor the job queued for an unrecorded session.
   */
  update(expected: StoredSession, next: Session, alsoInTransaction?: () => void): boolean {
    return this.db.transaction(() => {
      const changed = this.updateStatement.run({ ...toRow(next), version: expected.version }).changes === 1;
      if (changed) alsoInTransaction?.();
      return changed;
    })();
  }
}
